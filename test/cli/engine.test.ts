import { chmod, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockAt, runCli, withTempDir } from '../helpers/cli.js';
import { ruleLine, stackRules } from '../../src/docker/firewall.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { FakeHost } from '../helpers/fake-host.js';
import { fakeKeyDatabase } from '../helpers/key-columns.js';
import { fixtureStack } from '../helpers/fixtures.js';

/** The http fixture (stack "gateway": Postgres, the everything server, LiteLLM) on a fake engine. */
async function withStack<T>(work: (dir: string, engine: FakeEngine) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    await cp(fixtureStack('http').dir, dir, { recursive: true });
    await chmod(path.join(dir, 'secrets.env'), 0o600);
    return work(dir, new FakeEngine());
  });
}

const ours = (service: string, state: string, extra: object = {}) => ({
  id: `id-${service}`,
  name: `gateway-${service}`,
  image: `image-of-${service}`,
  labels: { 'io.mcpgw.stack': 'gateway', 'io.mcpgw.service': service },
  state,
  status: state,
  ...extra,
});

describe('stack commands on a fake engine (Deps.docker)', () => {
  it('status shows each service as the engine has it and exits 1 when one is not running, its --json one document', async () => {
    await withStack(async (dir, engine) => {
      engine.containers = [
        ours('litellm', 'running', { startedAt: '2026-12-01T10:00:00Z' }),
        ours('front-door', 'running', { startedAt: '2026-12-01T10:00:00Z', ports: [{ target: 4000, hostIp: '0.0.0.0', hostPort: 4000 }] }),
        ours('postgres', 'exited'),
      ];
      const result = await runCli(['status', '--json'], { cwd: dir, docker: async () => engine, clock: clockAt('2026-12-01T10:05:00Z') });
      expect(result.code, result.stderr).toBe(1);
      const { ok, services } = JSON.parse(result.stdout) as {
        ok: boolean;
        services: { service: string; state: string; uptimeSeconds?: number; ports: string[] }[];
      };
      expect(ok).toBe(false);
      expect(services.find((service) => service.service === 'litellm')).toMatchObject({ state: 'running', uptimeSeconds: 300, ports: [] });
      expect(services.find((service) => service.service === 'front-door')).toMatchObject({ state: 'running', ports: ['0.0.0.0:4000->4000'] });
      expect(services.find((service) => service.service === 'postgres')?.state).toBe('exited');
      expect(services.find((service) => service.service.startsWith('mcp'))?.state).toBe('absent');
      expect(result.stderr).toMatch(/postgres, mcp-everything not running or unhealthy/);
    });
  });

  it('status with a typo in mcpgw.yaml still shows what runs, from the labels, and says the file is invalid (exit 2)', async () => {
    await withStack(async (dir, engine) => {
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
      const other = { ...ours('litellm', 'running'), id: 'id-elsewhere', labels: { 'io.mcpgw.stack': 'other', 'io.mcpgw.service': 'litellm' } };
      engine.containers = [
        ours('litellm', 'running', { startedAt: '2026-12-01T10:00:00Z', ports: [{ target: 4000, hostIp: '0.0.0.0', hostPort: 4000 }] }),
        ours('postgres', 'running'),
        other,
      ];
      const deps = { cwd: dir, docker: async () => engine, clock: clockAt('2026-12-01T10:05:00Z') };
      const text = await runCli(['status'], deps);
      expect(text.code).toBe(2);
      expect(text.stdout).toMatch(/^litellm +running +- +5m +0\.0\.0\.0:4000->4000 +image-of-litellm$/m);
      expect(text.stdout).toMatch(/^postgres +running/m);
      // Another stack's container is not this stack's; nothing declared is reported absent, since nothing was read.
      expect(text.stdout).not.toContain('absent');
      expect(text.stdout.match(/^litellm /gm)).toHaveLength(1);
      expect(text.stderr).toMatch(/mcpgw\.yaml has 1 problem: showing the containers labelled io\.mcpgw\.stack=gateway/);
      expect(text.stderr).toMatch(/mcpgw\.yaml:\d+:3 +litellm\.prot: unknown field/);

      const json = await runCli(['status', '--json'], deps);
      expect(json.code).toBe(2);
      const report = JSON.parse(json.stdout) as {
        ok: boolean;
        stack: string;
        config: { valid: boolean; issues: { path: string }[] };
        services: { service: string }[];
      };
      expect(report).toMatchObject({ ok: false, stack: 'gateway', config: { valid: false, issues: [{ path: 'litellm.prot' }] } });
      expect(report.services.map((service) => service.service)).toEqual(['litellm', 'postgres']);
    });
  });

  it('status finds the stack by the name line of a file whose YAML does not parse', async () => {
    await withStack(async (dir, engine) => {
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n   prot: [4000\n'));
      engine.containers = [ours('litellm', 'running')];
      const result = await runCli(['status'], { cwd: dir, docker: async () => engine });
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/^litellm +running/m);
      expect(result.stderr).toContain('(yaml)');
    });
  });

  it('down with a typo in mcpgw.yaml removes what is labelled with the stack, LiteLLM first, then exits 2 naming the problem', async () => {
    await withStack(async (dir, engine) => {
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
      const foreign = { id: 'id-other', name: 'other', image: 'x', labels: {}, state: 'running', status: 'running' };
      engine.containers = [ours('postgres', 'running'), ours('litellm', 'running'), foreign];
      // The stack's own network goes; a network another owner made, which a container joined, stays.
      engine.networks.set('gateway-pg', { labels: { 'io.mcpgw.stack': 'gateway' }, containers: ['id-postgres', 'id-litellm'] });
      engine.networks.set('shared-lan', { labels: {}, containers: ['id-litellm', 'id-other'] });
      engine.volumes.set('gateway-pgdata', { 'io.mcpgw.stack': 'gateway' });
      const host = new FakeHost();
      host.chain = stackRules('gateway', ['br-1']).map(ruleLine);
      const down = await runCli(['down'], { cwd: dir, docker: async () => engine, hostShell: async () => host });
      expect(down.code).toBe(2);
      expect(engine.containers).toEqual([foreign]);
      expect(engine.calls.filter((call) => !call.startsWith('remove network'))).toEqual([
        'stop id-litellm',
        'remove id-litellm',
        'stop id-postgres',
        'remove id-postgres',
      ]);
      expect(engine.calls).toContain('remove network gateway-pg');
      expect(engine.calls).not.toContain('remove network shared-lan');
      expect(engine.volumes.has('gateway-pgdata')).toBe(true);
      expect(down.stdout).toMatch(/kept volume\(s\) gateway-pgdata/);
      expect(host.chain).toEqual([]);
      expect(down.stderr).toMatch(/mcpgw\.yaml has 1 problem: removed what is labelled io\.mcpgw\.stack=gateway/);
      expect(down.stderr).toMatch(/litellm\.prot: unknown field/);
    });
  });

  it("down removes only this stack's containers and network, and its volume only with --volumes", async () => {
    await withStack(async (dir, engine) => {
      const foreign = { id: 'id-other', name: 'other', image: 'x', labels: {}, state: 'running', status: 'running' };
      engine.containers = [ours('litellm', 'running'), ours('postgres', 'running'), foreign];
      engine.networks.set('litellm-mcp-net', { labels: { 'io.mcpgw.stack': 'gateway' }, containers: [] });
      engine.volumes.set('gateway-pgdata', { 'io.mcpgw.stack': 'gateway' });
      const docker = async () => engine;
      // The stack's DOCKER-USER rules go with it; another stack's and the operator's stay.
      const host = new FakeHost();
      const others = ['-A DOCKER-USER -o br-9 -m comment --comment "mcpgw:stack=gateway-b" -j DROP', '-A DOCKER-USER -j RETURN'];
      host.chain = [...stackRules('gateway', ['br-1']).map(ruleLine), ...others];
      const kept = await runCli(['down'], { cwd: dir, docker, hostShell: async () => host });
      expect(kept.code, kept.stderr).toBe(0);
      expect(engine.containers).toEqual([foreign]);
      expect(engine.calls).toEqual(['stop id-litellm', 'remove id-litellm', 'stop id-postgres', 'remove id-postgres', 'remove network litellm-mcp-net']);
      expect(kept.stdout).toMatch(/kept volume\(s\) gateway-pgdata/);
      expect(kept.stdout).toMatch(/removed 4 DOCKER-USER rule\(s\) of stack "gateway"/);
      expect(host.chain).toEqual(others);
      const removed = await runCli(['down', '--volumes'], { cwd: dir, docker, hostShell: async () => host });
      expect(removed.code, removed.stderr).toBe(0);
      expect(engine.volumes.size).toBe(0);
      expect(removed.stdout).toMatch(/removed volume gateway-pgdata/);
    });
  });

  it('logs prefixes each service when there are several, and names the services on a typo (exit 2)', async () => {
    await withStack(async (dir, engine) => {
      engine.containers = [ours('litellm', 'running', { log: 'ready\nserving\n' }), ours('postgres', 'running', { log: 'accepting connections\n' })];
      const docker = async () => engine;
      const all = await runCli(['logs'], { cwd: dir, docker });
      expect(all.code, all.stderr).toBe(0);
      expect(all.stdout).toBe('litellm | ready\nlitellm | serving\npostgres | accepting connections\n');
      const one = await runCli(['logs', 'litellm'], { cwd: dir, docker });
      expect(one.stdout).toBe('ready\nserving\n');
      const typo = await runCli(['logs', 'litelm'], { cwd: dir, docker });
      expect(typo.code).toBe(2);
      expect(typo.stderr).toMatch(/unknown service "litelm".*\n.*litellm/);
    });
  });

  it("logs with a typo in mcpgw.yaml still shows the stack's logs, redacted with its secrets file, then exits 2 naming the problem", async () => {
    await withStack(async (dir, engine) => {
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
      const master = /^LITELLM_MASTER_KEY=(.+)$/m.exec(await readFile(path.join(dir, 'secrets.env'), 'utf8'))?.[1] ?? '';
      expect(master).not.toBe('');
      engine.containers = [ours('litellm', 'running', { log: `started with ${master}\n` })];
      const docker = async () => engine;
      const result = await runCli(['logs'], { cwd: dir, docker });
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/^started with \S+$/m);
      expect(result.stdout + result.stderr).not.toContain(master);
      expect(result.stderr).toMatch(/mcpgw\.yaml has 1 problem: showing the logs of the containers labelled io\.mcpgw\.stack=gateway/);
      expect(result.stderr).toMatch(/litellm\.prot: unknown field/);
      // Without its secrets file nothing is shown: the logs could not be redacted.
      await rm(path.join(dir, 'secrets.env'));
      const blind = await runCli(['logs'], { cwd: dir, docker });
      expect(blind.code).toBe(2);
      expect(blind.stdout).toBe('');
      expect(blind.stderr).toMatch(/secrets file .* not found/);
    });
  });

  it("keys list with a typo in mcpgw.yaml reads the keys from the running stack's database (its labelled Postgres, the keys role), exit 2", async () => {
    await withStack(async (dir, engine) => {
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
      // The config.yaml LiteLLM was deployed with names the servers behind the grants' ids.
      await mkdir(path.join(dir, 'config'));
      await writeFile(path.join(dir, 'config', 'config.yaml'), 'mcp_servers:\n  everything:\n    url: http://x\n    server_id: id-everything\n');
      const secrets = await readFile(path.join(dir, 'secrets.env'), 'utf8');
      const password = /^MCPGW_POSTGRES_KEYS_PASSWORD=(.+)$/m.exec(secrets)?.[1] ?? '';
      expect(password).not.toBe('');
      engine.containers = [ours('postgres', 'running'), ours('litellm', 'running')];
      engine.details.set('gateway-postgres', {
        ...ours('postgres', 'running'),
        imageId: 'sha256:pg',
        running: true,
        networks: ['gateway-pg'],
        ports: [],
        env: ['POSTGRES_USER=mcpgw_admin', 'POSTGRES_DB=gatewaydb', 'POSTGRES_PASSWORD=admin-secret'],
      });
      engine.members.set('gateway-pg', [{ name: 'gateway-postgres', aliases: ['postgres'], address: '172.30.0.2' }]);
      const urls: string[] = [];
      const keys = fakeKeyDatabase(
        [{ token: 'a'.repeat(64), key_name: 'sk-...abcd', key_alias: 'codex', models: [], spend: 0, mcp_servers: ['id-everything'], has_permission: true }],
        'current',
      );
      const database = (url: string) => (urls.push(url), keys());
      const deps = { cwd: dir, docker: async () => engine, database };
      const text = await runCli(['keys', 'list'], deps);
      expect(text.code).toBe(2);
      expect(urls).toEqual([`postgresql://mcpgw_keys:${encodeURIComponent(password)}@172.30.0.2:5432/gatewaydb`]);
      expect(text.stdout).toMatch(/^codex +sk-\.\.\.abcd +all +everything /m);
      expect(text.stdout + text.stderr).not.toContain(password);
      expect(text.stderr).toMatch(/mcpgw\.yaml has 1 problem: listing the keys in the database of the containers labelled io\.mcpgw\.stack=gateway/);
      expect(text.stderr).toMatch(/litellm\.prot: unknown field/);

      const json = await runCli(['keys', 'list', '--json'], deps);
      expect(json.code).toBe(2);
      const report = JSON.parse(json.stdout) as { keys: { alias: string; mcpServers: string[] }[]; config: { valid: boolean; issues: { path: string }[] } };
      expect(report).toMatchObject({ keys: [{ alias: 'codex', mcpServers: ['everything'] }], config: { valid: false, issues: [{ path: 'litellm.prot' }] } });

      // Published (postgres.host_port): there, on loopback.
      const details = engine.details.get('gateway-postgres');
      if (details) engine.details.set('gateway-postgres', { ...details, ports: [{ target: 5432, hostIp: '127.0.0.1', hostPort: 15432 }] });
      urls.length = 0;
      expect((await runCli(['keys', 'list'], deps)).code).toBe(2);
      expect(urls).toEqual([`postgresql://mcpgw_keys:${encodeURIComponent(password)}@127.0.0.1:15432/gatewaydb`]);

      // External mode (no Postgres container): the URL LiteLLM's container runs with, its host made reachable from here.
      engine.containers = [ours('litellm', 'running')];
      engine.details.set('gateway-litellm', {
        ...ours('litellm', 'running'),
        imageId: 'sha256:litellm',
        running: true,
        networks: ['gateway-db'],
        ports: [],
        env: ['DATABASE_URL=postgresql://litellm:pw@db.lan:5432/litellm'],
      });
      urls.length = 0;
      expect((await runCli(['keys', 'list'], deps)).code).toBe(2);
      expect(urls).toEqual(['postgresql://litellm:pw@db.lan:5432/litellm']);
      // Nothing of the stack runs: said, without a database to ask.
      engine.containers = [];
      const none = await runCli(['keys', 'list'], deps);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no Postgres or LiteLLM container is labelled io\.mcpgw\.stack=gateway on this engine/);
    });
  });

  it('up --dry-run plans against what the engine holds and changes nothing: from the old shared layout, the new networks and the retired one', async () => {
    await withStack(async (dir, engine) => {
      // A stack started by an earlier mcpgw: one MCP network for every server, Postgres's network not internal.
      engine.networks.set('litellm-mcp-net', { labels: { 'io.mcpgw.stack': 'gateway' }, containers: [] });
      engine.networks.set('postgres-net', { labels: { 'io.mcpgw.stack': 'gateway' }, containers: [], internal: false });
      const result = await runCli(['up', '--dry-run', '--json'], { cwd: dir, docker: async () => engine });
      expect(result.code, result.stderr).toBe(0);
      const { plan } = JSON.parse(result.stdout) as {
        plan: { networks: { name: string; action: string }[]; volumes: { action: string }[]; services: { action: string }[]; retired_networks: string[] };
      };
      expect(plan.networks).toEqual([
        { name: 'gateway-litellm-net', action: 'create' },
        { name: 'postgres-net', action: 'recreate' },
        { name: 'gateway-mcp-everything-net', action: 'create' },
      ]);
      expect(plan.retired_networks).toEqual(['litellm-mcp-net']);
      expect(plan.volumes.map((volume) => volume.action)).toEqual(['create']);
      expect(plan.services.map((service) => service.action)).toEqual(['create', 'create', 'create', 'create']);
      expect(engine.calls).toEqual([]);
      const table = await runCli(['up', '--dry-run'], { cwd: dir, docker: async () => engine });
      expect(table.stdout).toMatch(/network\s+litellm-mcp-net\s+remove\s+the former shared MCP network/);
    });
  });
});
