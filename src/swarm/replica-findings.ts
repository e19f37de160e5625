import { createHash } from 'node:crypto';
import type { McpgwConfig } from '../config/schema.js';
import { imageVersion } from '../litellm/version.js';
import { fail, pass, skip, warn, type Cause, type CheckOutcome } from '../outcome.js';
import { litellmService, type StackModel } from '../stack/model.js';
import type { ReplicaView, WorkerHeartbeats } from './replica-view.js';

/** What mcpgw.yaml says every replica must be. */
export interface ReplicaExpectations {
  /** Where the replicas run: the fixes name only what works there (`upgrade` still refuses a swarm). */
  engine: McpgwConfig['engine'];
  replicas: number;
  /** Worker processes per replica (LiteLLM's --num_workers; mcpgw starts one unless the command sets more). */
  workers: number;
  /** The LiteLLM release the configured image names; undefined for a tag that names none. */
  version?: string;
  /** SHA-256 of the config.yaml mcpgw renders from mcpgw.yaml. */
  configSha256: string;
  /** The MCP servers config.yaml declares. */
  servers: string[];
}

/** Worker processes per LiteLLM replica: its command's --num_workers, else the one mcpgw starts it with. */
export function litellmWorkers(model: StackModel): number {
  const command = litellmService(model).command ?? [];
  const flag = command.indexOf('--num_workers');
  return flag >= 0 ? Number(command[flag + 1]) || 1 : 1;
}

/** What mcpgw.yaml expects, given the config.yaml text mcpgw renders from it. */
export function replicaExpectations(config: McpgwConfig, model: StackModel, renderedConfig: string): ReplicaExpectations {
  const version = imageVersion(config.litellm.image);
  return {
    engine: config.engine,
    replicas: config.litellm.replicas,
    workers: litellmWorkers(model),
    ...(version ? { version } : {}),
    configSha256: createHash('sha256').update(renderedConfig).digest('hex'),
    servers: Object.keys(model.litellmConfig.mcp_servers),
  };
}

/** Whether the replicas are judged unasked: more than one, or a swarm (one engine's one LiteLLM is the probe's gateway level). */
export function judgesReplicas(config: Pick<McpgwConfig, 'engine' | 'litellm'>): boolean {
  return config.engine === 'swarm' || config.litellm.replicas > 1;
}

/** Each judgment's title, by id: the probe's step and the doctor's check say the same. */
export const REPLICA_TITLES = {
  'replicas.ready': 'every LiteLLM replica runs and is ready with its database',
  'replicas.version': 'every replica runs the same LiteLLM release, the configured one',
  'replicas.config': 'every replica runs the config.yaml mcpgw.yaml renders',
  'replicas.tools': 'every replica lists the same tools for each MCP server',
  'replicas.keys': 'every replica admits and refuses the same keys',
  'replicas.redis': 'the replicas coordinate through a Redis LiteLLM reaches',
  'replicas.heartbeat': "LiteLLM's worker heartbeats: replicas × workers",
} as const;

/** One judgment over all replicas, as the probe's replicas level and the doctor's replicas.* checks report it. */
export interface ReplicaFinding {
  id: keyof typeof REPLICA_TITLES;
  title: string;
  outcome: CheckOutcome;
}

const where = (view: ReplicaView) => `${view.replica} on ${view.node}`;
const served = (views: readonly ReplicaView[]) => views.filter((view) => !view.unreachable);

/**
 * Replicas grouped by what `read` reads on each, the most common value first: one group is agreement, and
 * the replicas outside the first group are the odd ones out.
 */
function groups(views: readonly ReplicaView[], read: (view: ReplicaView) => string): { value: string; views: ReplicaView[] }[] {
  const byValue = new Map<string, ReplicaView[]>();
  for (const view of views) byValue.set(read(view), [...(byValue.get(read(view)) ?? []), view]);
  return [...byValue].map(([value, members]) => ({ value, views: members })).sort((a, b) => b.views.length - a.views.length);
}

const named = (views: readonly ReplicaView[]) => views.map(where).join(', ');

/** Every replica present, running, and ready with its database; fewer than mcpgw.yaml asks is a missing replica. */
export function judgeReady(views: readonly ReplicaView[], expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.ready'];
  const evidence: string[] = [];
  const causes: Cause[] = [];
  for (const view of views) {
    if (view.unreachable) {
      evidence.push(`${where(view)}: ${view.unreachable}`);
      causes.push({
        cause: `replica ${where(view)} cannot be read: ${view.unreachable}`,
        fix: `\`mcpgw status\` shows its state; \`mcpgw logs litellm\` why it stopped`,
      });
      continue;
    }
    const ready = view.readiness ?? {};
    const seen = ready.error
      ? `${where(view)}: GET /health/readiness: ${ready.error}`
      : `${where(view)}: GET /health/readiness → ${ready.status} status=${ready.state ?? '?'} db=${ready.db ?? '?'}`;
    evidence.push(seen);
    if (ready.status === 200 && ready.state === 'healthy' && ready.db === 'connected') continue;
    causes.push(
      ready.db !== undefined && ready.db !== 'connected'
        ? {
            cause: `replica ${where(view)} has no database connection (db=${ready.db}), so it refuses every virtual key`,
            fix: '`mcpgw doctor --only database`; from that node the replica must reach Postgres on the stack network',
          }
        : { cause: `replica ${where(view)} is not ready`, fix: '`mcpgw logs litellm` shows why; the front door sends it nothing until it is' },
    );
  }
  if (views.length < expect.replicas) {
    causes.push({
      cause: `${views.length} of the ${expect.replicas} replicas mcpgw.yaml asks for (litellm.replicas) exist`,
      fix: "`mcpgw status` shows each replica's task and why one is not running; `mcpgw up` deploys them again",
    });
  }
  return {
    id: 'replicas.ready',
    title,
    outcome: causes.length ? fail([`${views.length} of ${expect.replicas} replicas`, ...evidence], causes) : pass(...evidence),
  };
}

/** The same LiteLLM release on every replica, and the one the configured image names. */
export function judgeVersion(views: readonly ReplicaView[], expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.version'];
  const reading = served(views);
  if (reading.length === 0) return { id: 'replicas.version', title, outcome: skip('no replica could be read (see replicas.ready)') };
  const found = groups(reading, (view) => view.version ?? 'unknown');
  const evidence = found.map((group) => `LiteLLM ${group.value} on ${named(group.views)}`);
  const causes: Cause[] = [];
  const [common, ...odd] = found;
  for (const group of odd) {
    causes.push({
      cause:
        `${named(group.views)} run${group.views.length === 1 ? 's' : ''} LiteLLM ${group.value}, the others ${common?.value}: ` +
        'a roll left half done, or a node with another image under the same tag',
      fix: '`mcpgw up` rolls every replica onto the configured image (mcpgw puts the same image digest on every node)',
    });
  }
  if (odd.length === 0 && expect.version && common && common.value !== 'unknown' && common.value !== expect.version) {
    causes.push({
      cause: `every replica runs LiteLLM ${common.value}, mcpgw.yaml's litellm.image names ${expect.version}`,
      fix:
        expect.engine === 'swarm'
          ? '`mcpgw up` rolls the replicas onto the configured image; to move to another release, set it as litellm.image first'
          : '`mcpgw up` (or `mcpgw upgrade --to` the release you mean) recreates the replicas on the configured image',
    });
  }
  return { id: 'replicas.version', title, outcome: causes.length ? fail(evidence, causes) : pass(...evidence) };
}

/** The same config.yaml bytes on every replica, and the bytes mcpgw renders from mcpgw.yaml now. */
export function judgeConfig(views: readonly ReplicaView[], expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.config'];
  const reading = served(views);
  if (reading.length === 0) return { id: 'replicas.config', title, outcome: skip('no replica could be read (see replicas.ready)') };
  const hashOf = (view: ReplicaView) => view.config?.sha256 ?? `unreadable (${view.config?.error ?? 'not read'})`;
  const found = groups(reading, hashOf);
  const short = (hash: string) => (/^[0-9a-f]{64}$/.test(hash) ? `sha256 ${hash.slice(0, 12)}` : hash);
  const evidence = [
    `rendered from mcpgw.yaml: sha256 ${expect.configSha256.slice(0, 12)}`,
    ...found.map((group) => `${short(group.value)} on ${named(group.views)}`),
  ];
  const odd = found.filter((group) => group.value !== expect.configSha256);
  if (odd.length === 0) return { id: 'replicas.config', title, outcome: pass(...evidence) };
  const stale = found.length > 1 && found.some((group) => group.value === expect.configSha256);
  const causes = odd.map((group) => ({
    cause:
      `${named(group.views)} run${group.views.length === 1 ? 's' : ''} a config.yaml (${short(group.value)}, ${group.views[0]?.config?.path ?? '?'}) ` +
      `other than the one mcpgw.yaml renders${stale ? ', unlike the other replicas' : ''}: MCP servers, models and settings differ by replica`,
    fix: stale
      ? '`mcpgw up` replaces the odd replicas (config.yaml is read once, at start)'
      : 'mcpgw.yaml changed since the last `mcpgw up`, or config.yaml was edited by hand: `mcpgw up` applies mcpgw.yaml',
  }));
  return { id: 'replicas.config', title, outcome: fail(evidence, causes) };
}

/** Each MCP server lists the same tools on every replica (LiteLLM's REST tool list, with the master key). */
export function judgeTools(views: readonly ReplicaView[], expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.tools'];
  const reading = served(views);
  if (reading.length === 0) return { id: 'replicas.tools', title, outcome: skip('no replica could be read (see replicas.ready)') };
  const evidence: string[] = [];
  const causes: Cause[] = [];
  for (const view of reading.filter((entry) => entry.toolsError)) {
    evidence.push(`${where(view)}: ${view.toolsError}`);
    causes.push({ cause: `replica ${where(view)} did not give its tool list`, fix: '`mcpgw logs litellm` on that replica shows the MCP error' });
  }
  const listing = reading.filter((view) => view.tools);
  const servers = [...new Set([...expect.servers, ...listing.flatMap((view) => Object.keys(view.tools ?? {}))])].sort();
  for (const server of servers) {
    const found = groups(listing, (view) => (view.tools?.[server] ?? []).join(', '));
    const count = (value: string) => (value ? value.split(', ').length : 0);
    if (found.length === 1) {
      evidence.push(`${server}: ${count(found[0]?.value ?? '')} tools on every replica`);
      continue;
    }
    evidence.push(`${server}: ${found.map((group) => `${count(group.value)} tools on ${named(group.views)}`).join('; ')}`);
    const [common, ...odd] = found;
    for (const group of odd) {
      const missing = (common?.value ? common.value.split(', ') : []).filter((tool) => !group.value.split(', ').includes(tool));
      causes.push({
        cause:
          `${named(group.views)} list${group.views.length === 1 ? 's' : ''} other tools for ${server} than ${named(common?.views ?? [])}` +
          `${missing.length ? ` (missing: ${missing.slice(0, 5).join(', ')})` : ''}: a client sees tools come and go with the replica that answers`,
        fix: 'a replica on another config.yaml (see replicas.config) or one that cannot reach the server from its node: `mcpgw logs litellm` there, then `mcpgw up`',
      });
    }
  }
  return { id: 'replicas.tools', title, outcome: causes.length ? fail(evidence, causes) : pass(...evidence) };
}

/** Each declared key admitted or refused alike everywhere; a key no replica knows refused by every replica. */
export function judgeKeys(views: readonly ReplicaView[]): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.keys'];
  const reading = served(views);
  if (reading.length === 0) return { id: 'replicas.keys', title, outcome: skip('no replica could be read (see replicas.ready)') };
  const verdict = (entry: { admitted?: boolean; seen?: string } | undefined) =>
    entry?.admitted === true ? 'admitted' : entry?.admitted === false ? 'refused' : (entry?.seen ?? 'not tried');
  const evidence: string[] = [];
  const causes: Cause[] = [];
  const aliases = [...new Set(reading.flatMap((view) => view.keys.map((key) => key.alias)))];
  for (const alias of aliases) {
    const found = groups(reading, (view) => verdict(view.keys.find((key) => key.alias === alias)));
    evidence.push(`key ${alias}: ${found.map((group) => `${group.value} by ${found.length === 1 ? 'every replica' : named(group.views)}`).join('; ')}`);
    if (found.length > 1) {
      causes.push({
        cause: `key ${alias} is admitted by some replicas and not by others: each replica caches keys for litellm.key_cache_ttl, and without a shared Redis a change reaches each one late`,
        fix: 'wait key_cache_ttl seconds and probe again; if it stays, `mcpgw logs litellm` on the refusing replica (its database connection)',
      });
    }
  }
  const unknown = groups(reading, (view) => verdict(view.unknownKey));
  evidence.push(`an unknown key: ${unknown.map((group) => `${group.value} by ${unknown.length === 1 ? 'every replica' : named(group.views)}`).join('; ')}`);
  for (const group of unknown.filter((entry) => entry.value !== 'refused')) {
    causes.push({
      cause: `${named(group.views)} did not refuse a key that exists nowhere (${group.value})`,
      fix: "check the replica's master key and `mcpgw logs litellm` there: every replica must share the master key and the database",
    });
  }
  return { id: 'replicas.keys', title, outcome: causes.length ? fail(evidence, causes) : pass(...evidence) };
}

/**
 * Beyond one worker, every replica coordinates through Redis (limits, budgets, the key cache, scheduled jobs):
 * LiteLLM's coordination_redis, answering. With one worker in all, none is needed.
 */
export function judgeRedis(views: readonly ReplicaView[], expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.redis'];
  const reading = served(views);
  if (reading.length === 0) return { id: 'replicas.redis', title, outcome: skip('no replica could be read (see replicas.ready)') };
  const workers = expect.replicas * expect.workers;
  const evidence = reading.map((view) => `${where(view)}: ${describeRedis(view)}`);
  if (workers <= 1) return { id: 'replicas.redis', title, outcome: pass(`one LiteLLM worker in all: nothing to coordinate, no Redis needed`, ...evidence) };
  const causes: Cause[] = [];
  for (const view of reading) {
    const redis = view.redis ?? {};
    if (redis.source === 'coordination_redis' && redis.answers === true) continue;
    if (redis.source === 'coordination_redis') {
      causes.push({
        cause: `replica ${where(view)} has a coordination Redis it cannot reach${redis.error ? ` (${redis.error})` : ''}: its limits, budgets and key cache go out of step`,
        fix: "`mcpgw status` (the Redis service); from that node the replica must reach Redis on the stack's front network",
        ...(view.redisLog.length ? { seen: view.redisLog.join('\n') } : {}),
      });
    } else if (redis.source) {
      causes.push({
        cause:
          redis.source === 'environment'
            ? `replica ${where(view)} takes its Redis from REDIS_* variables, which LiteLLM drops silently when that Redis is unreachable at start`
            : `replica ${where(view)} borrows the response cache's Redis (${redis.source}), which mcpgw neither renders nor can test from LiteLLM`,
        fix: 'mcpgw renders general_settings.coordination_redis for a swarm: `mcpgw up` deploys the rendered config.yaml',
      });
    } else {
      causes.push({
        cause:
          `replica ${where(view)} runs without Redis among ${workers} workers: rpm/tpm limits and budgets are counted per process ` +
          `(limit × ${workers}), a revoked key stays admitted per process until its cache expires`,
        fix: 'engine: swarm renders Redis as coordination_redis: `mcpgw up`; a config.yaml edited by hand loses it',
        ...(view.redisLog.length ? { seen: view.redisLog.join('\n') } : {}),
      });
    }
  }
  return {
    id: 'replicas.redis',
    title,
    outcome: causes.length ? fail([`${workers} workers in all`, ...evidence], causes) : pass(`${workers} workers in all`, ...evidence),
  };
}

function describeRedis(view: ReplicaView): string {
  const redis = view.redis ?? {};
  const parts = [
    redis.source === undefined ? 'coordination Redis unknown' : redis.source === null ? 'no coordination Redis' : `Redis from ${redis.source}`,
    ...(redis.target && Object.keys(redis.target).length
      ? [
          Object.entries(redis.target)
            .map(([key, value]) => `${key}=${String(value)}`)
            .join(' '),
        ]
      : []),
    ...(redis.answers === undefined ? [] : [redis.answers ? 'answers LiteLLM' : 'does not answer LiteLLM']),
    ...(redis.noRedisWarning === undefined ? [] : [`show_no_redis_warning=${redis.noRedisWarning}`]),
    ...(redis.error ? [redis.error] : []),
  ];
  return parts.join(', ');
}

/**
 * LiteLLM_ProxyWorkerHeartbeat as LiteLLM counts it (rows beaten within 180 s): `workers` rows from each
 * replica's hostname, replicas × workers in all. A replica without rows never reached its scheduler; rows from
 * other hostnames are another LiteLLM on this database (or a replica replaced less than 180 s ago).
 */
export function judgeHeartbeats(views: readonly ReplicaView[], heartbeats: readonly WorkerHeartbeats[] | Error, expect: ReplicaExpectations): ReplicaFinding {
  const title = REPLICA_TITLES['replicas.heartbeat'];
  if (heartbeats instanceof Error)
    return {
      id: 'replicas.heartbeat',
      title,
      outcome: warn(`LiteLLM_ProxyWorkerHeartbeat not read: ${heartbeats.message}`, [
        { cause: "LiteLLM's worker census cannot be read", fix: '`mcpgw doctor --only database`' },
      ]),
    };
  const live = heartbeats.reduce((sum, row) => sum + row.workers, 0);
  const evidence = [
    `${live} live worker rows (of ${expect.replicas * expect.workers} expected)`,
    ...heartbeats.map((row) => `${row.hostname}: ${row.workers} worker(s), newest beat ${row.newestAgeS} s ago`),
  ];
  const reading = served(views);
  const hostnames = new Set(reading.flatMap((view) => (view.hostname ? [view.hostname] : [])));
  const causes: Cause[] = [];
  const warnings: Cause[] = [];
  for (const view of reading.filter((entry) => entry.hostname)) {
    const rows = heartbeats.find((row) => row.hostname === view.hostname)?.workers ?? 0;
    if (rows < expect.workers) {
      causes.push({
        cause: `replica ${where(view)} (hostname ${view.hostname}) has ${rows} live heartbeat row(s) for ${expect.workers} worker(s): a worker without its database or its scheduler`,
        fix: '`mcpgw logs litellm` on that replica; LiteLLM beats at start and every 60 s',
      });
    } else if (rows > expect.workers) {
      warnings.push({
        cause: `hostname ${view.hostname} has ${rows} live rows for ${expect.workers} worker(s): a worker restarted within 180 s, or the command starts more workers than mcpgw expects`,
        fix: 'probe again in 3 minutes; if it stays, check the replica command (--num_workers)',
      });
    }
  }
  const others = heartbeats.filter((row) => !hostnames.has(row.hostname));
  if (others.length > 0) {
    warnings.push({
      cause:
        `${others.map((row) => row.hostname).join(', ')} beat${others.length === 1 ? 's' : ''} into this database but ${others.length === 1 ? 'is' : 'are'} ` +
        'no replica mcpgw found: another LiteLLM shares the database (it counts in LiteLLM\'s "no Redis" census), or a replaced replica within 180 s',
      fix: 'probe again in 3 minutes; if it stays, find and stop the other LiteLLM (`docker ps` on each node) or give it its own database',
    });
  }
  if (causes.length) return { id: 'replicas.heartbeat', title, outcome: fail(evidence, [...causes, ...warnings]) };
  if (warnings.length) return { id: 'replicas.heartbeat', title, outcome: warn(evidence, warnings) };
  return { id: 'replicas.heartbeat', title, outcome: pass(...evidence) };
}

/** Every judgment, in report order. */
export function judgeReplicas(views: readonly ReplicaView[], heartbeats: readonly WorkerHeartbeats[] | Error, expect: ReplicaExpectations): ReplicaFinding[] {
  return [
    judgeReady(views, expect),
    judgeVersion(views, expect),
    judgeConfig(views, expect),
    judgeTools(views, expect),
    judgeKeys(views),
    judgeRedis(views, expect),
    judgeHeartbeats(views, heartbeats, expect),
  ];
}
