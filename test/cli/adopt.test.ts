import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import type { SqlClient } from '../../src/db/connect.js';
import { StepFailed } from '../../src/errors.js';
import { hashKey } from '../../src/keys/token.js';
import { ignoredFields } from '../../src/litellm/config-fields.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { fixturesDir } from '../helpers/fixtures.js';

const seedDir = path.join(fixturesDir, 'adopt', 'seed');
const noDocker = () => Promise.reject(new StepFailed('cannot reach the Docker engine at /nonexistent.sock'));

/**
 * A small typed fake of the seed's database: answers adopt's read-only queries with one hand row (the seed's
 * virtual key by its SHA-256, no alias, no creator) and records every statement.
 */
function fakeDatabase(virtualKey: string): { statements: string[]; open: () => Promise<SqlClient> } {
  const statements: string[] = [];
  const client: SqlClient = {
    async query<R extends object>(sql: string) {
      statements.push(sql.trim().split(/\s+/).slice(0, 4).join(' '));
      const rows = (r: unknown[]) => ({ rows: r as R[], rowCount: r.length });
      if (sql.includes('to_regclass')) return rows([{ ledger: false, permissions: true, servers: true, tables: '31' }]);
      if (sql.includes('pg_database')) return rows([{ datname: 'app' }, { datname: 'postgres' }]);
      if (sql.includes('"LiteLLM_VerificationToken"'))
        return rows([
          {
            token: hashKey(virtualKey),
            key_alias: null,
            key_name: null,
            expires: null,
            blocked: null,
            models: [],
            created_by: null,
            created_at: null,
            mcp_servers: null,
            mcp_access_groups: null,
          },
        ]);
      if (sql.includes('"LiteLLM_MCPServerTable"')) return rows([]);
      return rows([]);
    },
    async end() {},
  };
  return { statements, open: async () => client };
}

/** The seed's LiteLLM 1.77.3 container as Docker inspects it, with the environment its env file gave it. */
function seedEngine(env: Map<string, string>): FakeEngine {
  const engine = new FakeEngine();
  engine.details.set('litellm', {
    id: 'c-litellm',
    name: 'litellm',
    image: 'ghcr.io/berriai/litellm:main-latest',
    imageId: 'sha256:1773',
    running: true,
    status: 'running',
    networks: ['postgres-net', 'litellm-mcp-net'],
    labels: {},
    ports: [{ target: 4000, hostIp: '0.0.0.0', hostPort: 4000 }],
    env: [...env].map(([name, value]) => `${name}=${value}`),
  });
  engine.execOutput.set('c-litellm', '1.77.3\n0.2.19\n/usr/lib/python3/litellm_proxy_extras/migrations\n20250326162113_baseline\n');
  engine.members.set('postgres-net', [{ name: 'postgres', aliases: ['postgres'], address: '172.30.0.2' }]);
  // LiteLLM's place on the network: postgres-mcp refuses its Host with 421, as the seed's did; the other name resolves to nothing.
  engine.containers.push({ id: 'c-litellm', name: 'litellm', image: 'ghcr.io/berriai/litellm:main-latest', labels: {}, state: 'running', status: 'Up' });
  const answers = [
    {
      name: 'db_main',
      url: 'http://mcp-postgres:8080/sse',
      transport: 'sse',
      ok: false,
      elapsed_ms: 4,
      stage: 'open',
      status: 421,
      body: 'Invalid Host header',
    },
    {
      name: 'monitoring',
      url: 'http://mcp-monitor:8700/mcp',
      transport: 'http',
      ok: false,
      elapsed_ms: 2,
      stage: 'resolve',
      error: 'Name or service not known',
    },
  ];
  engine.execOutput.set('litellm', `mcpgw-vantage: ${JSON.stringify(answers)}\n`);
  return engine;
}

async function seedCopy(dir: string): Promise<string> {
  const target = path.join(dir, 'litellm');
  await cp(seedDir, target, { recursive: true });
  return target;
}

describe('mcpgw adopt', () => {
  it.each([
    ['a path that does not exist', (dir: string) => [path.join(dir, 'nowhere')], /does not exist/],
    ['a folder without a compose file', (dir: string) => [dir], /holds no compose file/],
  ])('exits 2 for %s', async (_name, argv, says) => {
    await withTempDir(async (dir) => {
      const result = await runCli(['adopt', ...argv(dir)], { cwd: dir, docker: noDocker });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(says);
    });
  });

  it('exits 2 for a compose file that runs no LiteLLM, and without PATH', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1\n');
      const other = await runCli(['--json', 'adopt', dir], { cwd: dir, docker: noDocker });
      expect(other.code).toBe(2);
      expect(JSON.parse(other.stdout)).toMatchObject({ ok: false });
      expect(other.stdout).toMatch(/runs no LiteLLM/);
      expect((await runCli(['adopt'], { cwd: dir })).code).toBe(2);
    });
  });

  it('reads the seed read-only (READ ONLY transaction, rolled back), reports it as one JSON document and prints no secret', async () => {
    await withTempDir(async (dir) => {
      const compose = await seedCopy(dir);
      const env = parseSecrets(await readFile(path.join(compose, 'secrets', 'litellm.env'), 'utf8'));
      const db = fakeDatabase(env.get('LITELLM_VIRTUAL_KEY_TEST') as string);
      const before = (await stat(path.join(compose, 'docker-compose.yml'))).mtimeMs;
      const engine = seedEngine(env);
      const result = await runCli(['--json', 'adopt', compose], { cwd: dir, docker: async () => engine, database: db.open });
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({
        ok: true,
        secrets: { masterKey: 'set', saltKey: 'missing' },
        litellm: { container: 'litellm', version: '1.77.3', autoExecutesChat: false },
      });
      // Docker was only asked (an exec for the version): nothing stopped, started or removed.
      expect(engine.calls).toEqual(['exec c-litellm sh', 'exec litellm python3']);
      expect(report.mcpServers[0]).toMatchObject({ name: 'db_main', reach: 'fails', hostHeader: 'localhost:8080' });
      expect(report.keys).toEqual([expect.objectContaining({ handMade: true, valueIn: 'LITELLM_VIRTUAL_KEY_TEST', intended: ['db_main', 'monitoring'] })]);
      expect(report.database.migrationLevel).toMatch(/31 LiteLLM tables but no _prisma_migrations ledger/);
      expect(db.statements[0]).toBe('BEGIN TRANSACTION READ ONLY');
      expect(db.statements.at(-1)).toBe('ROLLBACK');
      expect(db.statements.filter((sql) => /^(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)/i.test(sql))).toEqual([]);
      for (const value of env.values()) expect(result.stdout + result.stderr).not.toContain(value);
      expect((await stat(path.join(compose, 'docker-compose.yml'))).mtimeMs).toBe(before);
      expect(await stat(path.join(dir, 'mcpgw.yaml')).catch(() => undefined)).toBeUndefined();
    });
  });

  it('exits 1 naming the blocker when the database cannot be read, and --write then writes nothing', async () => {
    await withTempDir(async (dir) => {
      const compose = await seedCopy(dir);
      const database = () => Promise.reject(new StepFailed('Postgres at litellm@postgres:5432/litellm is unreachable (ENOTFOUND)'));
      const result = await runCli(['adopt', compose, '--write'], { cwd: dir, docker: noDocker, database });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/\[blocker\] LiteLLM's database could not be read: .*ENOTFOUND/);
      expect(result.stderr).toMatch(/nothing was written/);
      expect(result.stdout).toMatch(/\[blocker\] LiteLLM's version could not be read/);
      expect(await stat(path.join(dir, 'mcpgw.yaml')).catch(() => undefined)).toBeUndefined();
    });
  });

  it('--write writes an mcpgw.yaml that loads, secrets 0600 in a 0700 folder, backups with their sha256; refuses a second time', async () => {
    await withTempDir(async (dir) => {
      const compose = await seedCopy(dir);
      const env = parseSecrets(await readFile(path.join(compose, 'secrets', 'litellm.env'), 'utf8'));
      const db = fakeDatabase(env.get('LITELLM_VIRTUAL_KEY_TEST') as string);
      await mkdir(path.join(dir, 'gw'));
      const argv = ['-f', 'gw/mcpgw.yaml', 'adopt', compose, '--write'];
      const docker = async () => seedEngine(env);
      const result = await runCli(argv, { cwd: dir, docker, database: db.open });
      expect(result.code).toBe(0);
      for (const value of env.values()) expect(result.stdout + result.stderr).not.toContain(value);
      const loaded = await loadConfig(path.join(dir, 'gw', 'mcpgw.yaml'));
      expect(loaded.config.keys).toEqual([
        expect.objectContaining({ alias: 'test', secret: 'LITELLM_VIRTUAL_KEY_TEST', mcp_servers: ['db_main', 'monitoring'] }),
      ]);
      expect((await stat(loaded.secretsFile)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(loaded.secretsFile))).mode & 0o777).toBe(0o700);
      const secrets = parseSecrets(await readFile(loaded.secretsFile, 'utf8'));
      expect(secrets.get('LITELLM_SALT_KEY')).toBe(env.get('LITELLM_MASTER_KEY'));
      expect(await readFile(path.join(dir, 'gw', 'adopted', 'docker-compose.yml'), 'utf8')).toBe(
        await readFile(path.join(compose, 'docker-compose.yml'), 'utf8'),
      );
      expect(await readFile(path.join(dir, 'gw', 'adopted', 'config.yaml'), 'utf8')).toBe(await readFile(path.join(compose, 'config', 'config.yaml'), 'utf8'));
      expect(result.stdout).toMatch(/kept .*docker-compose\.yml as .*adopted\/docker-compose\.yml \(sha256 [0-9a-f]{64}\)/);
      expect(loaded.config.adopted).toMatchObject({ litellm_container: 'litellm', litellm_version: '1.77.3' });
      expect(loaded.config.postgres).toMatchObject({ network: 'postgres-net', network_external: true });
      expect(loaded.config.litellm.networks).toEqual(['litellm-mcp-net']);
      // What mcpgw will run from it: the rendered config.yaml carries the servers as the new LiteLLM needs them, nothing it ignores.
      const rendered = await runCli(['-f', 'gw/mcpgw.yaml', 'render'], { cwd: dir, docker: noDocker });
      expect(rendered.code, rendered.stderr).toBe(0);
      const litellmConfig = parse(await readFile(path.join(dir, 'gw', 'config', 'config.yaml'), 'utf8'));
      expect(litellmConfig.mcp_servers.db_main).toMatchObject({
        transport: 'sse',
        url: 'http://mcp-postgres:8080/sse',
        static_headers: { Host: 'localhost:8080' },
      });
      expect(litellmConfig.general_settings).toMatchObject({ master_key: 'os.environ/LITELLM_MASTER_KEY', database_url: 'os.environ/DATABASE_URL' });
      expect(ignoredFields(litellmConfig, '1.108.7')).toEqual([]);
      const again = await runCli(argv, { cwd: dir, docker, database: db.open });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already exists; adopt --write never overwrites it/);
    });
  });
});
