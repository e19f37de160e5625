import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';
import { systemClock } from '../time/clock.js';

export function processDeps(hostname: () => string, signal: AbortSignal): Deps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    clock: systemClock,
    randomBytes,
    hostname,
    signal,
    readStdin,
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
    // Loaded on first use, so `mcpgw --help` never loads dockerode, pg or the stack model.
    docker: async () => (await import('../docker/engine.js')).connectEngine(process.env),
    dockerAt: async (url) => (await import('../docker/engine.js')).connectEngine({ ...process.env, DOCKER_HOST: url }),
    database: async (url) => (await import('../db/connect.js')).connectDatabase(url),
    hostShell: async () => (await import('../docker/engine-setup.js')).localHostShell(),
    fetch: globalThis.fetch,
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
}
