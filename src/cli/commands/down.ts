import { downStack } from '../../ops/down.js';
import type { CommandContext } from '../context.js';

export async function downCommand(ctx: CommandContext, options: { volumes?: boolean }): Promise<void> {
  const { ui } = ctx;
  const { model, report } = await downStack(ctx, Boolean(options.volumes));
  if (ctx.options.json) {
    ui.json(report);
    return;
  }
  for (const name of report.removedContainers) ui.result(`removed container ${name}`);
  for (const name of report.removedNetworks) ui.result(`removed network ${name}`);
  for (const network of report.keptNetworks) ui.result(`kept network ${network.name} (${network.reason})`);
  for (const name of report.removedVolumes) ui.result(`removed volume ${name}`);
  if (report.removedRules > 0) ui.result(`removed ${report.removedRules} DOCKER-USER rule(s) of stack "${model.name}"`);
  if (!options.volumes && model.volumes.length > 0) ui.result(`kept volume(s) ${model.volumes.join(', ')} (use --volumes to delete the data)`);
  if (report.removedContainers.length === 0) ui.result(`nothing of stack "${model.name}" was running`);
}
