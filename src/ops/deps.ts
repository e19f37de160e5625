import { randomBytes } from 'node:crypto';
import type { OutputStream } from '../ui/output.js';

/** Everything a command touches outside its own logic, so tests can run commands in-process. */
export interface Deps {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  clock: { now(): Date };
  randomBytes(size: number): Buffer;
  hostname(): string;
  /** Aborted on SIGINT; long-running steps stop and clean up. */
  signal: AbortSignal;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
}

export function processDeps(hostname: () => string, signal: AbortSignal): Deps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    clock: { now: () => new Date() },
    randomBytes,
    hostname,
    signal,
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
  };
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
