import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/cli/main.js';
import { connectDatabase } from '../../src/db/connect.js';
import { connectEngine } from '../../src/docker/engine.js';
import { localHostShell } from '../../src/docker/engine-setup.js';
import type { Deps } from '../../src/deps.js';
import { systemClock, type Clock } from '../../src/time/clock.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs mcpgw in-process with captured streams; `deps` overrides the defaults: real crypto and clock, the Docker
 * engine that `env`'s DOCKER_HOST names (none set: the local socket), real Postgres connections, this machine's shell.
 */
export async function runCli(argv: string[], deps: Partial<Deps> & { cwd: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env = deps.env ?? {};
  const code = await run(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
    clock: systemClock,
    randomBytes,
    hostname: () => 'testhost',
    signal: new AbortController().signal,
    readStdin: async () => '',
    docker: () => connectEngine(env),
    dockerAt: (url) => connectEngine({ ...env, DOCKER_HOST: url }),
    database: connectDatabase,
    hostShell: localHostShell,
    fetch: globalThis.fetch,
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

/** The real clock stopped at one instant: timestamps read `iso`, waits still sleep. */
export function clockAt(iso: string): Clock {
  return { ...systemClock, now: () => Date.parse(iso) };
}
