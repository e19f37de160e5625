import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hostWarning } from '../../config/host.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { findStale, writeRendered } from '../../render/write.js';
import type { CommandContext } from '../context.js';
import { loadStack } from '../../ops/stack.js';

export interface RenderOptions {
  out?: string;
  check?: boolean;
}

export async function renderCommand(ctx: CommandContext, options: RenderOptions): Promise<void> {
  const { ui } = ctx;
  const { loaded, files } = await loadStack(ctx);
  const outDir = options.out ? path.resolve(ctx.deps.cwd, options.out) : loaded.dir;
  if (options.out !== undefined && (await stat(outDir).catch(() => undefined))?.isDirectory() === false) {
    throw new UserError(`--out ${options.out} is a file, not a folder`, 'give a folder (it is created when missing)');
  }
  const warning = hostWarning(loaded.config.host);
  if (warning) ui.warn(warning);

  if (options.check) {
    const stale = await findStale(outDir, files);
    if (ctx.options.json) ui.json({ ok: stale.length === 0, outDir, upToDate: stale.length === 0, stale });
    else if (stale.length === 0) ui.result(`${files.length} files in ${outDir} are up to date`);
    else for (const file of stale) ui.result(`stale  ${file.path}: ${file.detail}`);
    // The report (ok: false under --json) is already on stdout: the failure only sets the exit code.
    if (stale.length > 0) throw new ReportedFailure(`${stale.length} rendered file(s) differ from mcpgw.yaml`, 'run `mcpgw render` to update them');
    return;
  }

  const results = await writeRendered(outDir, files);
  if (ctx.options.json) {
    ui.json({ outDir, files: results });
    return;
  }
  for (const result of results) ui.result(`${result.state.padEnd(9)} ${path.join(outDir, result.path)}`);
}
