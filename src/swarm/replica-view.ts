import type { SqlClient } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { execScript, loadScript } from '../gateway/container-script.js';
import { restToolsByServer } from '../gateway/rest-tools.js';
import type { McpgwConfig } from '../config/schema.js';
import { StepFailed } from '../errors.js';
import { LITELLM_CONFIG_PATH, LITELLM_CONTAINER_PORT, LITELLM_SERVICE, litellmService, type StackModel } from '../stack/model.js';
import { type Cluster, nodeEngine } from './cluster.js';
import { swarmServiceName } from './converge.js';

/**
 * One LiteLLM replica and where it runs: on one engine the stack's LiteLLM container, on a swarm a task's
 * container on its node's engine.
 */
export interface ReplicaPlace {
  /** How the report names it: the container on one engine, `<service>.<slot>` on a swarm. */
  replica: string;
  /** The node it runs on: the engine's address, or the swarm node's hostname. */
  node: string;
  engine: Engine;
  container: string;
}

/**
 * The replicas of a stack. On one engine, its one LiteLLM container: the replica level then runs there as it runs
 * on a swarm, where each LiteLLM task Swarm wants running is read in its container on its node's engine.
 */
export async function replicaPlaces(
  config: Pick<McpgwConfig, 'engine'>,
  model: StackModel,
  engine: () => Promise<Engine>,
  env: Readonly<Record<string, string | undefined>>,
  cluster?: Cluster,
): Promise<ReplicaPlace[]> {
  if (config.engine === 'swarm') {
    if (!cluster) throw new StepFailed("a swarm's replicas are read through its cluster", 'run `mcpgw probe`, which judges every replica of a swarm');
    const service = swarmServiceName(model.name, LITELLM_SERVICE);
    const tasks = (await cluster.manager.swarm().tasks(service)).filter((task) => task.desiredState === 'running');
    return tasks.flatMap((task) => {
      const node = nodeEngine(cluster, task.nodeId);
      const replica = `${LITELLM_SERVICE}.${task.slot ?? task.id.slice(0, 12)}`;
      // A task not (yet) running has no container to ask: it is judged as a replica that does not answer.
      return node ? [{ replica, node: node.node.hostname, engine: node.engine, container: task.containerId ?? `${replica} (${task.state})` }] : [];
    });
  }
  const container = litellmService(model).containerName;
  return [{ replica: container, node: env.DOCKER_HOST ?? 'the local engine', engine: await engine(), container }];
}

/** What a replica answered one request at 127.0.0.1 inside its container. */
interface Seen {
  status?: number;
  body?: unknown;
  error?: string;
}

/** data/litellm-replica.py's answer. */
interface ScriptAnswer {
  hostname: string;
  package_version: string | null;
  config: { path: string; sha256?: string; error?: string };
  readiness: Seen;
  details?: Seen;
  coordination?: { source?: string | null; target?: Record<string, unknown>; answers?: boolean; error?: string };
  tools?: Seen;
  keys?: ({ alias: string } & Seen)[];
  unknown_key?: Seen;
}

/** A key as a replica answered it on an authenticated route: admitted (200), refused (401/403), or unknown. */
export interface Admission {
  admitted?: boolean;
  /** What was seen when it was neither: another status, or no answer. */
  seen?: string;
}

/** One replica as it stands, from inside its own container; every field is what was seen, nothing is judged. */
export interface ReplicaView {
  replica: string;
  node: string;
  container: string;
  /** Why nothing more could be read: the container is absent or stopped, or the exec failed. */
  unreachable?: string;
  /** The container's hostname: what LiteLLM writes into its worker heartbeat rows. */
  hostname?: string;
  version?: string;
  versionFrom?: 'proxy' | 'package';
  /** The config.yaml LiteLLM was started with, and its SHA-256. */
  config?: { path: string; sha256?: string; error?: string };
  /** GET /health/readiness: HTTP status, status and db. */
  readiness?: { status?: number; state?: string; db?: string; error?: string };
  redis?: {
    /** /health/readiness/details: LiteLLM's own "no Redis" banner (no Redis and not provably one worker). */
    noRedisWarning?: boolean;
    /** /coordination_redis/settings: coordination_redis, cache_backend, environment, or null for none. */
    source?: string | null;
    /** Host and port (or URL, nodes) as configured; credentials are never read. */
    target?: Record<string, unknown>;
    /** LiteLLM's own ping of that Redis (/coordination_redis/settings/test). */
    answers?: boolean;
    error?: string;
  };
  /** Server → its tool names (sorted) from LiteLLM's REST tool list, asked with the master key. */
  tools?: Record<string, string[]>;
  toolsError?: string;
  keys: ({ alias: string } & Admission)[];
  unknownKey?: Admission;
  /** LiteLLM's own log lines about Redis (its last 300 lines). */
  redisLog: string[];
}

export interface ReplicaAsk {
  masterKey: string;
  /** Keys whose admission is compared across replicas (values travel in the exec's environment only). */
  keys: { alias: string; key: string }[];
  timeoutMs: number;
}

const SCRIPT = loadScript('litellm-replica.py', 'mcpgw-replica: ', 'the replica view');
const LOG_LINES = 300;

/** Reads one replica from inside its container: the proxy at 127.0.0.1, its config file, its package. */
export async function readReplica(place: ReplicaPlace, ask: ReplicaAsk): Promise<ReplicaView> {
  const base = { replica: place.replica, node: place.node, container: place.container, keys: [], redisLog: [] };
  const state = await place.engine.containerState(place.container).catch((error: Error) => error);
  if (state instanceof Error) return { ...base, unreachable: `its engine did not answer: ${state.message}` };
  if (!state) return { ...base, unreachable: `container ${place.container} does not exist` };
  if (!state.running) return { ...base, unreachable: `container ${place.container} is ${state.status} (exit code ${state.exitCode})` };
  const request = JSON.stringify({ port: LITELLM_CONTAINER_PORT, config_path: LITELLM_CONFIG_PATH, timeout_s: ask.timeoutMs / 1000 });
  const env = [`MCPGW_MASTER_KEY=${ask.masterKey}`, `MCPGW_KEYS=${JSON.stringify(ask.keys)}`];
  let answer: ScriptAnswer;
  try {
    // Each request inside has the deadline; the tool list, keys and Redis test come one after another.
    answer = (await execScript(place.engine, place.container, SCRIPT, [request], env, ask.timeoutMs * 3)) as ScriptAnswer;
  } catch (error) {
    return { ...base, unreachable: (error as Error).message };
  }
  const logs = await place.engine.logs(place.container, LOG_LINES);
  return {
    ...base,
    ...viewOf(answer),
    redisLog: logs
      .split('\n')
      .filter((line) => /redis/i.test(line))
      .slice(-5),
  };
}

function viewOf(answer: ScriptAnswer): Omit<ReplicaView, 'replica' | 'node' | 'container' | 'redisLog'> {
  const details = answer.details?.status === 200 ? (answer.details.body as { litellm_version?: unknown; show_no_redis_warning?: unknown }) : undefined;
  const reported = typeof details?.litellm_version === 'string' ? details.litellm_version : undefined;
  const version = reported ?? answer.package_version ?? undefined;
  const readiness = answer.readiness.body as { status?: string; db?: string } | undefined;
  const listing = answer.tools?.status === 200 ? restToolsByServer(answer.tools.body) : undefined;
  return {
    hostname: answer.hostname,
    ...(version ? { version, versionFrom: reported ? ('proxy' as const) : ('package' as const) } : {}),
    config: answer.config,
    readiness: answer.readiness.error
      ? { error: answer.readiness.error }
      : {
          ...(answer.readiness.status !== undefined ? { status: answer.readiness.status } : {}),
          ...(typeof readiness?.status === 'string' ? { state: readiness.status } : {}),
          ...(typeof readiness?.db === 'string' ? { db: readiness.db } : {}),
        },
    redis: redisOf(answer, details),
    ...(listing ? { tools: Object.fromEntries(listing.tools) } : { toolsError: describe('GET /mcp-rest/tools/list', answer.tools) }),
    keys: (answer.keys ?? []).map((key) => ({ alias: key.alias, ...admission(key) })),
    ...(answer.unknown_key ? { unknownKey: admission(answer.unknown_key) } : {}),
  };
}

function redisOf(answer: ScriptAnswer, details: { show_no_redis_warning?: unknown } | undefined): ReplicaView['redis'] {
  const { source, target, answers, error } = answer.coordination ?? {};
  return {
    ...(typeof details?.show_no_redis_warning === 'boolean' ? { noRedisWarning: details.show_no_redis_warning } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(target ? { target } : {}),
    ...(answers !== undefined ? { answers } : {}),
    ...(error ? { error } : {}),
  };
}

function admission(seen: Seen): Admission {
  if (seen.status === 200) return { admitted: true };
  if (seen.status === 401 || seen.status === 403) return { admitted: false };
  return { seen: describe('GET /v1/models', seen) };
}

function describe(what: string, seen: Seen | undefined): string {
  if (!seen) return `${what}: not asked`;
  if (seen.error) return `${what}: ${seen.error}`;
  return `${what} → HTTP ${seen.status}${seen.body ? ` ${JSON.stringify(seen.body).slice(0, 200)}` : ''}`;
}

/** LiteLLM's own liveness window for its worker heartbeats (proxy_worker_heartbeat.py: 3 × the 60 s interval). */
export const HEARTBEAT_WINDOW_S = 180;

/** The live rows of LiteLLM_ProxyWorkerHeartbeat for one hostname: one row per worker process. */
export interface WorkerHeartbeats {
  hostname: string;
  workers: number;
  /** Seconds since its newest beat, by the database's clock (as LiteLLM compares them). */
  newestAgeS: number;
}

/** Every live heartbeat row in LiteLLM's database, by hostname; the same window and clock LiteLLM counts with. */
export async function readHeartbeats(db: SqlClient): Promise<WorkerHeartbeats[]> {
  const { rows } = await db.query<{ hostname: string; workers: number; age: number }>(
    `SELECT hostname, COUNT(*)::int AS workers, EXTRACT(EPOCH FROM NOW() - MAX(last_heartbeat_at))::int AS age
       FROM "LiteLLM_ProxyWorkerHeartbeat" WHERE last_heartbeat_at > NOW() - make_interval(secs => $1)
      GROUP BY hostname ORDER BY hostname`,
    [HEARTBEAT_WINDOW_S],
  );
  return rows.map((row) => ({ hostname: row.hostname, workers: row.workers, newestAgeS: Math.max(0, row.age) }));
}
