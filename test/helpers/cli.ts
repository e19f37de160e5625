import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/cli/main.js';
import type { Deps } from '../../src/ops/deps.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs mcpgw in-process with captured streams; `deps` overrides the defaults (real crypto, clock and engine). */
export async function runCli(argv: string[], deps: Partial<Deps> & { cwd: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: {},
    clock: { now: () => new Date() },
    randomBytes,
    hostname: () => 'testhost',
    signal: new AbortController().signal,
    ...deps,
  });
  return { code, stdout, stderr };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
