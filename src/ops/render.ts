import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hostWarning } from '../config/host.js';
import { UserError } from '../errors.js';
import { findStale, writeRendered, type StaleFile, type WriteResult } from '../render/write.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';

export interface RenderRequest {
  /** Where the files go; next to mcpgw.yaml by default. */
  out?: string;
  /** Compare with the files on disk instead of writing. */
  check?: boolean;
}

export type RenderOutcome = { outDir: string; count: number } & ({ check: true; stale: StaleFile[] } | { check: false; written: WriteResult[] });

/** docker-compose.yml (on a swarm, the stack file and haproxy.cfg), LiteLLM's config and the env files from mcpgw.yaml: written, or checked. */
export async function renderStackFiles(ctx: OpContext, request: RenderRequest): Promise<RenderOutcome> {
  const { loaded, files } = await loadStack(ctx);
  const outDir = request.out ? path.resolve(ctx.deps.cwd, request.out) : loaded.dir;
  if (request.out !== undefined && (await stat(outDir).catch(() => undefined))?.isDirectory() === false) {
    throw new UserError(`--out ${request.out} is a file, not a folder`, 'give a folder (it is created when missing)');
  }
  const warning = hostWarning(loaded.config.host);
  if (warning) ctx.ui.warn(warning);
  if (request.check) return { outDir, count: files.length, check: true, stale: await findStale(outDir, files) };
  return { outDir, count: files.length, check: false, written: await writeRendered(outDir, files) };
}
