import type { Engine } from '../docker/engine.js';
import { fetchWithTimeout } from '../gateway/http.js';
import { askOwnHealth, type HealthAnswer } from '../gateway/own-health.js';
import { doorSlots } from '../stack/front-door-admin.js';
import type { ServiceModel } from '../stack/model.js';
import type { Clock } from '../time/clock.js';

export interface UpTimeouts {
  health: number;
  mcp: number;
  litellm: number;
}

/** How long a (re)started MCP container must stay up before its step passes: one that exits at start fails here. */
export const MCP_SETTLE_MS = 1_000;

/** What one service's readiness wait may use: its container, the run's engine and clock, and the step's wait and notes. */
export interface ReadinessRun {
  id: string;
  service: ServiceModel;
  engine: Engine;
  clock: Clock;
  timeouts: UpTimeouts;
  /** The container was (re)started by this run, so a server that crashes at once is caught here. */
  started: boolean;
  /** LiteLLM's base URL from this machine: the front door's published port. */
  litellmBaseUrl: string;
  /** A wait on the container that fails as the service's step (stack-runner's waitOn). */
  wait<T>(what: string, timeoutMs: number, check: () => Promise<T>): Promise<T>;
  /** Makes the bundled Postgres hold its roles and passwords (src/db/provision.ts); the actions it took. */
  provisionPostgres(): Promise<string[]>;
  notes: string[];
}

/** Waits until the service is ready the way its kind is; returns the line its step ends with. */
export function waitReady(run: ReadinessRun): Promise<string> {
  const readiness = run.service.readiness;
  switch (readiness.kind) {
    case 'health':
      return healthy(run);
    case 'mcp':
      return stayingUp(run);
    case 'litellm':
      return litellmReady(run, readiness.database);
    case 'front-door':
      return litellmReady(run, true);
  }
}

/** Docker's health status, and for the bundled Postgres its roles made right. */
async function healthy(run: ReadinessRun): Promise<string> {
  await run.wait('Docker health "healthy"', run.timeouts.health, async () => {
    const state = await run.engine.containerState(run.id);
    if (state?.health === 'healthy') return true;
    throw new Error(`health is ${state?.health ?? 'not reported'}`);
  });
  if (run.service.role !== 'postgres') return 'healthy';
  // Checked on every run, kept containers too: a hash or password changed by hand is repaired here.
  run.notes.push(...(await run.provisionPostgres()));
  return 'healthy, roles ordinary and stored as SCRAM-SHA-256, SCRAM logins over TCP ok';
}

/** An MCP server's container staying up: what it answers is proven from LiteLLM's network afterwards. */
async function stayingUp(run: ReadinessRun): Promise<string> {
  // Proven later from LiteLLM's network; here only that it stays up, so a server that exits at start fails its
  // own step before LiteLLM is started (the wait fails at once on an exit or a restart).
  let firstSeen: number | undefined;
  await run.wait(`the container staying up for ${MCP_SETTLE_MS / 1000} s`, run.timeouts.mcp, async () => {
    const now = run.clock.now();
    firstSeen ??= now;
    return !run.started || now - firstSeen >= MCP_SETTLE_MS ? true : undefined;
  });
  return 'running';
}

/** What a health route answered: from inside LiteLLM's container, or through the published port. */
type HealthAsk = (route: string) => Promise<HealthAnswer>;

/**
 * LiteLLM live, then ready with its database connected when it has one: LiteLLM asked inside its own container (the
 * front door before it may send requests to another LiteLLM, the old one during an upgrade), the front door through
 * the port LAN clients use.
 */
function litellmReady(run: ReadinessRun, database: boolean): Promise<string> {
  if (run.service.role === 'front-door') return frontDoorReady(run, database);
  const where = `${run.service.containerName}'s own 127.0.0.1:${run.service.listens}`;
  return healthRoutes(run, database, where, (route) => askOwnHealth(run.engine, run.id, run.service.listens, route));
}

/**
 * LiteLLM ready through the published port, and every backend of the front door routing to it: legacy SSE has a
 * backend of its own (sticky by client address), health-checked on its own, so a LiteLLM just back in one may not
 * be in the other yet (read through HAProxy's runtime API in the front door's container).
 */
async function frontDoorReady(run: ReadinessRun, database: boolean): Promise<string> {
  const base = run.litellmBaseUrl;
  const ready = await healthRoutes(run, database, base, async (route) => {
    const response = await fetchWithTimeout(`${base}${route}`);
    return { status: response.status, body: await response.json().catch(() => undefined) };
  });
  await run.wait('every route of the front door to a LiteLLM it health-checked', run.timeouts.litellm, async () => {
    const slots = await doorSlots(run.engine, run.id);
    const backends = [...new Set(slots.map((slot) => slot.backend))];
    const idle = backends.filter((backend) => !slots.some((slot) => slot.backend === backend && slot.up));
    if (backends.length === 0 || idle.length > 0) throw new Error(`no LiteLLM up in ${idle.join(', ') || 'any backend'} yet`);
    return true;
  });
  return ready;
}

async function healthRoutes(run: ReadinessRun, database: boolean, where: string, ask: HealthAsk): Promise<string> {
  await run.wait(`${where}/health/liveliness`, run.timeouts.litellm, async () => {
    const answer = await ask('/health/liveliness');
    if (answer.status !== 200) throw new Error(`liveliness answered HTTP ${answer.status}`);
    return true;
  });
  const report = await run.wait(`${where}/health/readiness with the DB connected`, run.timeouts.litellm, async () => {
    const answer = await ask('/health/readiness');
    const body = (answer.body ?? {}) as { status?: string; db?: string; litellm_version?: string };
    if (answer.status !== 200) throw new Error(`readiness answered HTTP ${answer.status}`);
    if (database && body.db !== 'connected') throw new Error(`readiness reports db "${body.db ?? 'unknown'}"`);
    return body;
  });
  return `live, ready, db ${report.db ?? 'n/a'}${report.litellm_version ? `, LiteLLM ${report.litellm_version}` : ''}`;
}
