import type { Engine } from '../docker/engine.js';
import { execScript, loadScript } from './container-script.js';

const SCRIPT = loadScript('litellm-health.py', 'mcpgw-health: ', "LiteLLM's health route");
/** A health route answers at once or not at all: a slow one is not ready. */
const ASK_TIMEOUT_MS = 5_000;

export interface HealthAnswer {
  status: number;
  /** The answer parsed as JSON; undefined when it was not JSON. */
  body: unknown;
}

/**
 * Asks one of LiteLLM's health routes inside its container (data/litellm-health.py), so that container is judged by
 * itself, not whichever LiteLLM the front door picks. Throws when nothing answered there.
 */
export async function askOwnHealth(engine: Pick<Engine, 'exec'>, container: string, port: number, route: string): Promise<HealthAnswer> {
  const answer = (await execScript(
    engine,
    container,
    SCRIPT,
    [JSON.stringify({ port, path: route, timeout_s: ASK_TIMEOUT_MS / 1000 })],
    [],
    ASK_TIMEOUT_MS,
  )) as {
    status?: number;
    body?: unknown;
    error?: string;
  };
  if (answer.status === undefined) throw new Error(answer.error ?? 'no answer');
  return { status: answer.status, body: answer.body ?? undefined };
}
