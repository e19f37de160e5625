import { readFileSync } from 'node:fs';
import type { Engine } from '../docker/engine.js';

/**
 * A Python script of data/ that mcpgw runs where LiteLLM stands (inside its container, or a throwaway of its
 * image): standard library only, its answer one line of stdout after `mark`, as JSON.
 */
export interface ContainerScript {
  source: string;
  mark: string;
  /** What it asks, for an error that names it: "the MCP check", "the replica view". */
  what: string;
}

/** Docker's exec or a throwaway container's start, on top of the script's own deadline. */
export const DOCKER_OVERHEAD_MS = 15_000;

export function loadScript(file: string, mark: string, what: string): ContainerScript {
  return { source: readFileSync(new URL(`../../data/${file}`, import.meta.url), 'utf8'), mark, what };
}

/**
 * Runs the script inside a running container: `args` on its command line (never a secret), `env` for the
 * script's process only (keys, the master key), at most `timeoutMs` plus Docker's own overhead.
 */
export async function execScript(
  engine: Pick<Engine, 'exec'>,
  container: string,
  script: ContainerScript,
  args: string[],
  env: string[],
  timeoutMs: number,
): Promise<unknown> {
  const run = await withDeadline(engine.exec(container, ['python3', '-c', script.source, ...args], env), timeoutMs + DOCKER_OVERHEAD_MS);
  return parseMarked(script, run.output, run.exitCode);
}

/** The script's answer line, parsed; without one, its exit code and last lines say why. */
export function parseMarked(script: ContainerScript, output: string, exitCode: number): unknown {
  const line = output.split('\n').find((candidate) => candidate.startsWith(script.mark));
  if (!line)
    throw new Error(
      `${script.what} in LiteLLM's image printed no answer (exit code ${exitCode}): ${output.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`,
    );
  return JSON.parse(line.slice(script.mark.length)) as unknown;
}

export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`docker exec gave no answer within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([work, overdue]);
  } finally {
    clearTimeout(timer);
  }
}
