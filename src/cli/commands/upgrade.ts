import { ReportedFailure, StepFailed } from '../../errors.js';
import { upgradeStack } from '../../ops/upgrade.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

export async function upgradeCommand(ctx: CommandContext, options: CommandOptions<'upgrade'>): Promise<void> {
  const { ui } = ctx;
  const outcome = await upgradeStack(ctx, { to: options.to, yes: options.yes });
  if (ctx.options.json) ui.json({ ok: outcome.state === 'up-to-date' || outcome.state === 'upgraded', ...outcome });
  switch (outcome.state) {
    case 'up-to-date':
      if (!ctx.options.json) ui.result(`up to date: ${outcome.container} runs ${outcome.target.image} and the database has all its migrations`);
      return;
    case 'refused': {
      if (!ctx.options.json) for (const finding of outcome.findings) ui.result(`✗ ${finding.what}\n  fix: ${finding.fix}`);
      const count = outcome.findings.length;
      throw new ReportedFailure(
        `upgrade refused by its preflight (${count} finding${count === 1 ? '' : 's'} above); nothing was changed`,
        'apply each fix, then run the upgrade again',
      );
    }
    case 'upgraded': {
      const { cutover } = outcome;
      if (!cutover.ok) return;
      if (!ctx.options.json) {
        const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        ui.result(`upgraded to ${outcome.target.image} (${cutover.migrations} migration(s) applied)`);
        if (cutover.downtimeMs === undefined)
          ui.result(`no downtime: the new LiteLLM was ready in ${seconds(cutover.ownStartMs)} beside the old one, the front door serving throughout`);
        else
          ui.result(
            `downtime ${seconds(cutover.downtimeMs)} (the old LiteLLM held the port itself, so the front door took it over once it stopped); ` +
              `the new LiteLLM's own start ${seconds(cutover.ownStartMs)} (${(cutover.downtimeMs / cutover.ownStartMs).toFixed(2)}x)`,
          );
        ui.info(
          `backup ${outcome.backup}; mcpgw.yaml updated (previous copy ${outcome.configBackup})` +
            (outcome.engine === 'compose' ? '; the old container is kept stopped as <name>-previous' : ''),
        );
      }
      return;
    }
    case 'rolled-back': {
      const { cutover } = outcome;
      if (cutover.ok) return;
      if (!ctx.options.json) for (const line of cutover.rolledBack) ui.info(`rolled back: ${line}`);
      if (cutover.rollbackError)
        throw new StepFailed(
          `upgrade failed at ${cutover.stage} (${cutover.cause}) and the rollback did not finish: ${cutover.rollbackError}`,
          `restore ${outcome.backup} (\`mcpgw restore ${outcome.backup} --yes\`) and start the old container`,
        );
      throw new ReportedFailure(
        `upgrade failed at ${cutover.stage} and was rolled back, the old LiteLLM serves again: ${cutover.cause.split('\n')[0]}`,
        `fix the cause, then run the upgrade again (backup ${outcome.backup})`,
      );
    }
  }
}
