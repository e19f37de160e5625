import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { containerPgTools } from '../backup/pg-tools.js';
import type { ContainerSpec } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import type { ImageMigrations } from '../litellm/migrations.js';
import { labelsFor } from '../stack/labels.js';
import { HARDENING, LITELLM_CONTAINER_PORT, POSTGRES_CAPS } from '../stack/model.js';
import type { Clock } from '../time/clock.js';
import { WaitAborted, waitUntil } from '../time/wait.js';
import { runMigrations } from './migrate.js';

/** A key as the rehearsal checks it: its hash (what /key/info looks up), its plaintext when mcpgw.yaml has it. */
export interface RehearsedKey {
  alias: string;
  sha256: string;
  plaintext?: string;
  /** The grants the database holds now (server ids and access groups): the upgraded LiteLLM must resolve the same. */
  servers: string[];
  groups: string[];
}

export interface RehearsalInput {
  stack: string;
  /** The stack's Postgres image: the rehearsal database and its psql. */
  postgresImage: string;
  database: string;
  user: string;
  /** The backup's SQL as restore sends it (screened, one transaction). */
  sql: () => Readable;
  target: { image: string; shipped: ImageMigrations };
  /** The new LiteLLM's container as `up` would create it (ports, networks and DATABASE_URL replaced here). */
  litellm: ContainerSpec;
  masterKey: string;
  keys: RehearsedKey[];
  /**
   * The coordination Redis the target's config names (a swarm stack's `coordination_redis`, which LiteLLM needs
   * reachable to start): a throwaway one with the same password joins the rehearsal network under the same name.
   */
  redis?: { image: string; host: string; password: string };
}

export interface RehearsalReport {
  migrations: string;
  /** From the rehearsal LiteLLM's start to its readiness with the database: the new LiteLLM's own start time. */
  startMs: number;
  totalMs: number;
  keys: { alias: string; ok: boolean; detail: string }[];
}

const READY_TIMEOUT_MS = 240_000;

/**
 * Inside the rehearsal LiteLLM (nothing is published): readiness with the database, or, given keys in
 * REHEARSAL_KEYS, each key as LiteLLM itself resolves it — /key/info by its hash with the master key (status and
 * MCP grants) and, when the plaintext is known, /v1/models with the key itself: admitted on an authenticated route
 * that mcpgw's keys may call (their allowed_routes keep them off management routes such as /key/info).
 */
const PROBE_PY = `
import json, os, sys, urllib.request, urllib.error
base = 'http://127.0.0.1:${LITELLM_CONTAINER_PORT}'
def get(path, key):
    req = urllib.request.Request(base + path, headers={'Authorization': 'Bearer ' + key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r: return r.status, json.loads(r.read() or b'{}')
    except urllib.error.HTTPError as e: return e.code, {}
    except OSError: return None, {}
if sys.argv[1] == 'ready':
    status, body = get('/health/readiness', None)
    print(json.dumps({'status': status, 'db': body.get('db')}))
else:
    out = []
    for k in json.loads(os.environ['REHEARSAL_KEYS']):
        status, body = get('/key/info?key=' + k['sha256'], os.environ['REHEARSAL_MASTER'])
        info = body.get('info') or {}
        perm = info.get('object_permission') or {}
        admitted = get('/v1/models', k['plaintext'])[0] if k.get('plaintext') else None
        out.append({'alias': k['alias'], 'status': status, 'state': info.get('status'), 'blocked': info.get('blocked'),
                    'servers': sorted(perm.get('mcp_servers') or []), 'groups': sorted(perm.get('mcp_access_groups') or []), 'admitted': admitted})
    print(json.dumps(out))
`;

/**
 * The upgrade done once where nothing serves: the verified backup restored into a throwaway Postgres (hardened,
 * on an internal network of its own, labelled), the target's migrations run there by the target image, the target
 * LiteLLM started on it with no published port, and every declared key checked there by LiteLLM. Everything it
 * creates is removed at the end, whatever happened.
 */
export async function rehearse(engine: Engine, input: RehearsalInput, clock: Clock, signal: AbortSignal): Promise<RehearsalReport> {
  const began = clock.now();
  const suffix = randomBytes(4).toString('hex');
  const name = `${input.stack}-rehearsal-${suffix}`;
  const labels = labelsFor(input.stack, 'rehearsal');
  const password = randomBytes(24).toString('hex');
  const created: string[] = [];
  await engine.createNetwork(name, labels, { internal: true });
  try {
    const postgres = await engine.createContainer({
      name: `${name}-postgres`,
      image: input.postgresImage,
      env: [`POSTGRES_USER=${input.user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${input.database}`],
      capDrop: [...HARDENING.capDrop],
      capAdd: [...POSTGRES_CAPS],
      securityOpt: [...HARDENING.securityOpt],
      labels,
      ports: [],
      networks: [{ name, aliases: ['postgres'] }],
      mounts: [],
    });
    created.push(postgres);
    await engine.startContainer(postgres);
    const login = { user: input.user, password, database: input.database };
    await waitUntil(
      'the rehearsal Postgres accepting logins',
      async () => {
        const state = await engine.containerState(postgres);
        if (!state?.running) throw new WaitAborted(`it exited: ${await engine.logs(postgres, 20)}`);
        const ready = await engine.exec(postgres, ['pg_isready', '-h', '127.0.0.1', '-U', input.user, '-d', input.database]);
        return ready.exitCode === 0 ? true : undefined;
      },
      { timeoutMs: 90_000, clock, signal },
    );
    if (input.redis) created.push(await startRedis(engine, input.redis, name, labels, clock, signal));
    await containerPgTools(engine, postgres, login).restore(input.sql());
    const url = `postgresql://${encodeURIComponent(input.user)}:${password}@postgres:5432/${input.database}`;
    const migrations = await runMigrations(engine, {
      image: input.target.image,
      shipped: input.target.shipped,
      databaseUrl: url,
      networks: [name],
      labels,
      name: `${name}-migrate`,
    });
    const litellm = await engine.createContainer({
      ...input.litellm,
      name: `${name}-litellm`,
      image: input.target.image,
      env: [...input.litellm.env.filter((entry) => !entry.startsWith('DATABASE_URL=')), `DATABASE_URL=${url}`],
      labels,
      ports: [],
      networks: [{ name, aliases: ['litellm'] }],
    });
    created.push(litellm);
    const startedAt = clock.now();
    await engine.startContainer(litellm);
    await waitUntil(
      'the rehearsal LiteLLM ready with its database',
      async () => {
        const state = await engine.containerState(litellm);
        if (!state?.running) throw new WaitAborted(`it exited (code ${state?.exitCode}):\n${await engine.logs(litellm, 30)}`);
        const probe = await engine.exec(litellm, ['python3', '-c', PROBE_PY, 'ready']);
        const seen = JSON.parse(probe.output.trim().split('\n').at(-1) || '{}') as { status?: number; db?: string };
        if (seen.status === 200 && seen.db === 'connected') return true;
        throw new Error(`readiness ${seen.status ?? 'no answer'}, db ${seen.db ?? 'unknown'}`);
      },
      { timeoutMs: READY_TIMEOUT_MS, clock, signal },
    );
    const startMs = clock.now() - startedAt;
    const keys = await checkKeys(engine, litellm, input);
    return { migrations, startMs, totalMs: clock.now() - began, keys };
  } finally {
    for (const id of created.reverse()) await engine.removeContainer(id).catch(() => undefined);
    await engine.removeNetwork(name).catch(() => undefined);
  }
}

/** The rehearsal's own coordination Redis, hardened, healthy (its image's check) before LiteLLM starts. */
async function startRedis(
  engine: Engine,
  redis: NonNullable<RehearsalInput['redis']>,
  network: string,
  labels: Record<string, string>,
  clock: Clock,
  signal: AbortSignal,
): Promise<string> {
  const id = await engine.createContainer({
    name: `${network}-redis`,
    image: redis.image,
    // Handed to redis-server on stdin by the image's entrypoint, never on a command line.
    env: [`REDIS_PASSWORD=${redis.password}`],
    capDrop: [...HARDENING.capDrop],
    capAdd: [],
    securityOpt: [...HARDENING.securityOpt],
    labels,
    ports: [],
    networks: [{ name: network, aliases: [redis.host] }],
    mounts: [],
  });
  try {
    await engine.startContainer(id);
    await waitUntil(
      'the rehearsal Redis healthy',
      async () => {
        const state = await engine.containerState(id);
        if (!state?.running) throw new WaitAborted(`it exited: ${await engine.logs(id, 20)}`);
        if (state.health === 'healthy') return true;
        throw new Error(`health ${state.health ?? 'unknown'}`);
      },
      { timeoutMs: 60_000, clock, signal },
    );
  } catch (error) {
    await engine.removeContainer(id).catch(() => undefined);
    throw error;
  }
  return id;
}

async function checkKeys(engine: Engine, litellm: string, input: RehearsalInput): Promise<RehearsalReport['keys']> {
  if (input.keys.length === 0) return [];
  const payload = input.keys.map((key) => ({ alias: key.alias, sha256: key.sha256, ...(key.plaintext ? { plaintext: key.plaintext } : {}) }));
  const result = await engine.exec(
    litellm,
    ['python3', '-c', PROBE_PY, 'keys'],
    [`REHEARSAL_MASTER=${input.masterKey}`, `REHEARSAL_KEYS=${JSON.stringify(payload)}`],
  );
  let seen: { alias: string; status: number; state?: string; blocked?: boolean; servers: string[]; groups: string[]; admitted: number | null }[];
  try {
    seen = JSON.parse(result.output.trim().split('\n').at(-1) ?? '');
  } catch {
    throw new StepFailed(`the rehearsal LiteLLM could not be asked about the keys (exit ${result.exitCode}): ${result.output.slice(-300)}`);
  }
  return input.keys.map((key) => {
    const found = seen.find((entry) => entry.alias === key.alias);
    if (found?.status !== 200) return { alias: key.alias, ok: false, detail: `LiteLLM does not find it (/key/info answered ${found?.status ?? 'nothing'})` };
    const problems: string[] = [];
    if (found.state && found.state !== 'active') problems.push(`status ${found.state}`);
    if (found.admitted !== null && found.admitted !== 200) problems.push(`refused with its own key (HTTP ${found.admitted})`);
    const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((item, index) => item === [...b].sort()[index]);
    if (!same(found.servers, key.servers) || !same(found.groups, key.groups))
      problems.push(`grants ${[...found.servers, ...found.groups].join(', ') || 'none'} instead of ${[...key.servers, ...key.groups].join(', ') || 'none'}`);
    const granted = [...found.servers, ...found.groups].length;
    return problems.length === 0
      ? { alias: key.alias, ok: true, detail: `active${found.admitted === 200 ? ', admitted' : ''}, ${granted} grant(s) as before` }
      : { alias: key.alias, ok: false, detail: problems.join('; ') };
  });
}
