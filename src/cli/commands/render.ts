import path from 'node:path';
import { ReportedFailure } from '../../errors.js';
import { renderStackFiles } from '../../ops/render.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

export async function renderCommand(ctx: CommandContext, options: CommandOptions<'render'>): Promise<void> {
  const { ui } = ctx;
  const outcome = await renderStackFiles(ctx, { out: options.out, check: options.check });
  const { outDir } = outcome;
  if (outcome.check) {
    const { stale } = outcome;
    if (ctx.options.json) ui.json({ ok: stale.length === 0, outDir, upToDate: stale.length === 0, stale });
    else if (stale.length === 0) ui.result(`${outcome.count} files in ${outDir} are up to date`);
    else for (const file of stale) ui.result(`stale  ${file.path}: ${file.detail}`);
    // The report (ok: false under --json) is already on stdout: the failure only sets the exit code.
    if (stale.length > 0) throw new ReportedFailure(`${stale.length} rendered file(s) differ from mcpgw.yaml`, 'run `mcpgw render` to update them');
    return;
  }
  if (ctx.options.json) {
    ui.json({ outDir, files: outcome.written });
    return;
  }
  for (const result of outcome.written) ui.result(`${result.state.padEnd(9)} ${path.join(outDir, result.path)}`);
}
