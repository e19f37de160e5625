// Each LiteLLM replica judged from inside its own container, on one engine: the stack's one LiteLLM read for real
// (version, the config.yaml it runs, its tools, key admission, Redis as it sees it, its worker heartbeat), then a
// second LiteLLM of the same stack started on another config.yaml, caught by the findings as a replica would be.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { DoctorReport } from '../../src/doctor/types.js';
import { dockerEngine } from '../../src/docker/engine.js';
import { restToolsByServer } from '../../src/gateway/rest-tools.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { buildStackModel } from '../../src/stack/model.js';
import { judgeReplicas, judgeRedis, REPLICA_TITLES, replicaExpectations } from '../../src/swarm/replica-findings.js';
import { readHeartbeats, readReplica, type ReplicaPlace } from '../../src/swarm/replica-view.js';
import { runCli } from '../helpers/cli.js';
import { keysRoleClient } from '../helpers/stack-db.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { dockerClient, runId, type StartedContainer, startContainer, testLabels, waitForContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const engine = dockerEngine(docker);
const run = runId();
const name = `mcpgwt-${run}-replicas`;
const PORT = 14850;
const USER_KEY = 'sk-itest-replicas-user-5b0d7e3a9c1f2468';
/** Every replicas.* finding, in report order, passing. */
const ALL_PASS = Object.keys(REPLICA_TITLES).map((id) => [id, 'pass']);
const SECRETS = [USER_KEY, TEST_SECRETS.LITELLM_MASTER_KEY, TEST_SECRETS.LITELLM_SALT_KEY, TEST_SECRETS.POSTGRES_PASSWORD];

describe('each LiteLLM replica read from inside its container, on one engine (a real LiteLLM, Postgres, MCP servers over HTTP and SSE)', () => {
  let dir = '';
  let up = { code: -1, stderr: '', stdout: '' };
  let odd: StartedContainer | undefined;
  const litellm = `${name}-litellm`;
  const ask = { masterKey: TEST_SECRETS.LITELLM_MASTER_KEY, keys: [{ alias: 'user', key: USER_KEY }], timeoutMs: 40_000 };
  const placeOf = (container: string): ReplicaPlace => ({ replica: container, node: 'the local engine', engine, container });
  const deployedConfig = () => readFile(path.join(dir, 'config', 'config.yaml'), 'utf8');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-replicas-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48850 }, beta: { transport: 'sse', port: 48851 } },
      secrets: { MCPGW_KEY_USER: USER_KEY },
      extra: { keys: [{ alias: 'user', mcp_servers: ['alpha'] }] },
    });
    up = await runCli(['up', '--no-probe'], { cwd: dir });
  });

  afterAll(async () => {
    await odd?.remove();
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('probe --replicas reads the one LiteLLM as a replica: release, config hash, tools, keys, Redis, heartbeat, all passing', async () => {
    expect(up.code, up.stderr).toBe(0);
    const result = await runCli(['probe', '--replicas', '--no-llm', '--json'], { cwd: dir });
    for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.code, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as ProbeReport;
    const level = report.steps.filter((step) => step.level === 'replicas');
    expect(level.map((step) => [step.id, step.status])).toEqual(ALL_PASS);
    // Right after the gateway level, before MCP.
    expect(report.steps.findIndex((step) => step.level === 'replicas')).toBe(report.steps.findIndex((step) => step.id === 'gateway.version') + 1);

    // What the view read, against what this machine reads itself: the container's hostname and the deployed file,
    // and the REST tool list asked through the published port.
    const [view] = report.replicas ?? [];
    const info = await docker.getContainer(litellm).inspect();
    const listed = await fetch(`http://127.0.0.1:${PORT}/mcp-rest/tools/list`, { headers: { authorization: `Bearer ${TEST_SECRETS.LITELLM_MASTER_KEY}` } });
    const tools = restToolsByServer(await listed.json());
    expect(tools?.tools.get('alpha')?.length).toBeGreaterThan(0);
    expect(view).toMatchObject({
      replica: litellm,
      container: litellm,
      hostname: info.Config.Hostname,
      version: stack.versions.litellm,
      versionFrom: 'proxy',
      config: {
        path: '/app/config.yaml',
        sha256: createHash('sha256')
          .update(await deployedConfig())
          .digest('hex'),
      },
      readiness: { status: 200, state: 'healthy', db: 'connected' },
      redis: { noRedisWarning: false, source: null },
      tools: Object.fromEntries(tools?.tools ?? []),
      keys: [{ alias: 'user', admitted: true }],
      unknownKey: { admitted: false },
    });
    expect(Object.keys(view?.tools ?? {}).sort()).toEqual(['alpha', 'beta']);
    const heartbeat = level.find((step) => step.id === 'replicas.heartbeat');
    expect(heartbeat?.evidence).toEqual([
      '1 live worker rows (of 1 expected)',
      expect.stringMatching(new RegExp(`^${info.Config.Hostname}: 1 worker\\(s\\), newest beat \\d+ s ago$`)),
    ]);
    expect(level.find((step) => step.id === 'replicas.redis')?.evidence[0]).toBe('one LiteLLM worker in all: nothing to coordinate, no Redis needed');
  });

  it('doctor skips the replicas.* checks on one engine with one LiteLLM, and runs them with --replicas', async () => {
    const plain = JSON.parse((await runCli(['doctor', '--only', 'replicas', '--json'], { cwd: dir })).stdout) as DoctorReport;
    expect(plain.checks.map((check) => check.status)).toEqual(Array(7).fill('skip'));
    expect(plain.checks[0]?.evidence[0]).toMatch(/`mcpgw doctor --replicas` judges it anyway/);
    const result = await runCli(['doctor', '--only', 'replicas', '--replicas', '--json'], { cwd: dir });
    for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(
      report.checks.map((check) => [check.id, check.status]),
      result.stdout,
    ).toEqual(ALL_PASS);
  });

  it('a second LiteLLM of the stack on another config.yaml: the config, tools and Redis findings fire (an unreachable coordination Redis too), and doctor sees a stranger heartbeat', async () => {
    // The stack's LiteLLM as it runs (image, command, environment, networks), on a config.yaml without beta and
    // with a coordination Redis no name resolves (LiteLLM logs the failed ping and serves on).
    const info = await docker.getContainer(litellm).inspect();
    const config = parse(await deployedConfig()) as { mcp_servers: Record<string, unknown>; general_settings: Record<string, unknown> };
    delete config.mcp_servers.beta;
    config.general_settings.coordination_redis = { host: 'redis-nowhere', port: 6379 };
    const oddConfig = path.join(dir, 'odd', 'config.yaml');
    // Mounted elsewhere and named by its --config: the view hashes the file LiteLLM was started with.
    const oddPath = '/app/odd-config.yaml';
    await mkdir(path.dirname(oddConfig));
    await writeFile(oddConfig, stringify(config), { mode: 0o644 });
    odd = await startContainer(docker, {
      name: `${name}-litellm-odd`,
      image: info.Config.Image,
      labels: testLabels(run, {}, stack.owner),
      networks: Object.keys(info.NetworkSettings.Networks).map((network) => ({ name: network })),
      env: Object.fromEntries(info.Config.Env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])),
      cmd: info.Config.Cmd.map((arg) => (arg === '/app/config.yaml' ? oddPath : arg)),
      ...(info.Config.Entrypoint ? { entrypoint: [info.Config.Entrypoint].flat() } : {}),
      ...(info.Config.User ? { user: info.Config.User } : {}),
      binds: [`${oddConfig}:${oddPath}:ro`],
    });
    const started = odd;
    await waitForContainer(
      started,
      'ready with its database',
      async () => {
        const ready = await started.exec([
          'python3',
          '-c',
          "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:4000/health/readiness').read().decode())",
        ]);
        return ready.exitCode === 0 && ready.output.includes('"db":"connected"') ? true : undefined;
      },
      { timeoutMs: 240_000 },
    );

    const views = await Promise.all([litellm, started.name].map((container) => readReplica(placeOf(container), ask)));
    const db = await keysRoleClient(docker, name, dir);
    const heartbeats = await readHeartbeats(db).finally(() => db.end());
    const loaded = await loadConfig(path.join(dir, 'mcpgw.yaml'));
    const expected = replicaExpectations(loaded.config, buildStackModel(loaded.config), await deployedConfig());
    const findings = Object.fromEntries(judgeReplicas(views, heartbeats, expected).map((finding) => [finding.id, finding.outcome]));
    const explained = (id: string) => (findings[id]?.causes ?? []).map((cause) => `${cause.cause} | ${cause.fix}`).join('\n');
    expect(
      Object.entries(findings).map(([id, outcome]) => [id, outcome.status]),
      JSON.stringify({ views, findings }, null, 1),
    ).toEqual([
      ['replicas.ready', 'pass'],
      ['replicas.version', 'pass'],
      ['replicas.config', 'fail'],
      ['replicas.tools', 'fail'],
      ['replicas.keys', 'pass'],
      ['replicas.redis', 'pass'],
      ['replicas.heartbeat', 'pass'],
    ]);
    const oddHash = createHash('sha256')
      .update(await readFile(oddConfig))
      .digest('hex');
    expect(views[1]?.config).toEqual({ path: oddPath, sha256: oddHash });
    expect(explained('replicas.config')).toMatch(
      new RegExp(
        `^${started.name} on the local engine runs a config.yaml \\(sha256 ${oddHash.slice(0, 12)}, ${oddPath}\\) other than the one mcpgw.yaml renders, unlike the other replicas`,
      ),
    );
    expect(explained('replicas.tools')).toMatch(
      new RegExp(`${started.name} on the local engine lists other tools for beta than ${litellm} on the local engine \\(missing: `),
    );
    // Both beat into the one database, each under its own hostname: LiteLLM's own census now counts two workers.
    expect(heartbeats.map((row) => row.hostname).sort()).toEqual([info.Config.Hostname, (await started.container.inspect()).Config.Hostname].sort());
    expect(views[0]?.redis).toEqual({ noRedisWarning: true, source: null });
    expect(views[1]?.redis).toMatchObject({
      noRedisWarning: false,
      source: 'coordination_redis',
      target: { host: 'redis-nowhere', port: 6379 },
      answers: false,
    });
    const asTwo = judgeRedis(views, { ...expected, replicas: 2 });
    expect(asTwo.outcome.status).toBe('fail');
    expect(asTwo.outcome.causes?.[0]?.cause).toMatch(new RegExp(`^replica ${litellm} on the local engine runs without Redis among 2 workers`));
    expect(asTwo.outcome.causes?.[1]?.cause).toMatch(
      new RegExp(`^replica ${started.name} on the local engine has a coordination Redis it cannot reach \\(.+\\)`),
    );
    expect(asTwo.outcome.causes?.[1]?.seen).toMatch(/redis/i);

    // The stack's own doctor knows only its container: the other LiteLLM is a heartbeat it cannot place.
    const doctor = JSON.parse((await runCli(['doctor', '--only', 'replicas.heartbeat', '--replicas', '--json'], { cwd: dir })).stdout) as DoctorReport;
    expect(doctor.checks[0]?.status).toBe('warn');
    expect(doctor.checks[0]?.causes[0]?.cause).toMatch(/beats into this database but is no replica mcpgw found: another LiteLLM shares the database/);
  });
});
