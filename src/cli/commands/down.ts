import { ExitCode, ReportedFailure } from '../../errors.js';
import { downStack } from '../../ops/down.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

export async function downCommand(ctx: CommandContext, options: CommandOptions<'down'>): Promise<void> {
  const { ui } = ctx;
  const { stack, volumes, report, invalid } = await downStack(ctx, Boolean(options.volumes));
  if (invalid) ui.info(`${invalid.message}: removed what is labelled io.mcpgw.stack=${stack} instead of the services it declares`);
  if (ctx.options.json) {
    ui.json(invalid ? { ...report, config: { valid: false, file: invalid.file, issues: invalid.issues } } : report);
    // The stack is down; the file still has to be fixed (exit 2, its problems under config.issues).
    if (invalid) throw new ReportedFailure(invalid.message, 'fix the problems under config.issues', ExitCode.usage);
    return;
  }
  for (const name of report.removedContainers) ui.result(`removed container ${name}`);
  for (const name of report.removedNetworks) ui.result(`removed network ${name}`);
  for (const network of report.keptNetworks) ui.result(`kept network ${network.name} (${network.reason})`);
  for (const name of report.removedVolumes) ui.result(`removed volume ${name}`);
  if (report.removedRules > 0) ui.result(`removed ${report.removedRules} DOCKER-USER rule(s) of stack "${stack}"`);
  if (!options.volumes && volumes.length > 0) ui.result(`kept volume(s) ${volumes.join(', ')} (use --volumes to delete the data)`);
  if (report.removedContainers.length === 0) ui.result(`nothing of stack "${stack}" was running`);
  if (invalid) throw invalid;
}
