import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { DoctorReport } from '../../src/doctor/types.js';
import { abbreviateKey, hashKey } from '../../src/keys/token.js';
import { KEY_ALLOWED_ROUTES } from '../../src/litellm/routes.js';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS } from '../helpers/test-stack.js';
import { applyLiteLLMSchema, imageSchema } from '../stack/schema.js';
import { createNetwork, dockerClient, runId, startContainer, testLabels, waitForHealthy, type StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const labels = testLabels(run, {}, stack.owner);
const network = `mcpgwt-${run}-k177`;
/** The seed's LiteLLM in DB mode, built by prepare.sh (manifest `litellmOldDb` once the seed part is merged). */
const OLD_DB_IMAGE = (stack.images as { litellmOldDb?: string }).litellmOldDb ?? process.env.MCPGW_TEST_LITELLM_OLD_DB_IMAGE ?? 'mcpgw-test/litellm-db:1.77.3';
const PASSWORD = 'seed pw/with:odd@chars';
/** A key the seed inserted by hand as a SHA-256 row (no key_name, no grant): only its hash goes into mcpgw.yaml. */
const HAND_KEY = 'sk-seed-hand-made-virtual-key-0123456789';
const TEST_KEY = 'sk-itest-k177-declared-by-value-4e2b9c1a7d';

/**
 * mcpgw's key commands and doctor on LiteLLM 1.77.3's real schema (litellm-proxy-extras 0.2.19, taken from the
 * seed's image), in an external Postgres reached as the seed reaches it: by its compose service name `postgres` on a
 * shared network, a name only Docker's DNS knows (mcpgw resolves it on the network, hostReachableUrl).
 */
describe("keys on a 1.77-era database (LiteLLM 1.77.3's schema, no last_rotation_at, no tool lists, no deprecated tokens)", () => {
  let postgres: StartedContainer;
  let dir = '';
  let url = '';
  const cli = (...argv: string[]) => runCli(argv, { cwd: dir, env: { HOME: dir } });
  const query = async <R extends object = Record<string, unknown>>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const row = async (alias: string) =>
    (
      await query<{ token: string; key_name: string | null; models: string[]; mcp_servers: string[] | null; allowed_routes: string[] }>(
        `SELECT v.token, v.key_name, v.models, p.mcp_servers, v.allowed_routes FROM "LiteLLM_VerificationToken" v
           LEFT JOIN "LiteLLM_ObjectPermissionTable" p ON p.object_permission_id = v.object_permission_id WHERE v.key_alias = $1`,
        [alias],
      )
    )[0];
  const config = (keys: Record<string, unknown>[]) =>
    stringify({
      version: 1,
      name: `mcpgwt-${run}-k177`,
      host: 'localhost',
      bind: '127.0.0.1',
      secrets: './secrets.env',
      // Only its tag matters here: the LiteLLM version doctor judges grants by (nothing is started).
      litellm: {
        image: 'ghcr.io/berriai/litellm-database:v1.77.3-stable',
        port: 14177,
        models: [{ name: 'haiku', model: 'anthropic/claude-3-haiku-20240307' }],
      },
      postgres: { mode: 'external', network, network_external: true },
      mcp_servers: { db_main: { transport: 'sse', url: 'http://mcp-postgres:8080/sse' } },
      keys,
    });
  const declared = [
    { alias: 'test', models: ['haiku'], mcp_servers: ['db_main'] },
    { alias: 'hand', token_sha256: hashKey(HAND_KEY), models: ['haiku'], mcp_servers: ['db_main'] },
  ];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-k177-'));
    const schema = await imageSchema(OLD_DB_IMAGE, path.dirname(stack.schemaDir), labels);
    expect(schema.version).toBe('0.2.19');
    await createNetwork(docker, network, labels);
    postgres = await startContainer(docker, {
      name: `mcpgwt-${run}-k177-pg`,
      image: stack.images.postgres,
      labels,
      networks: [{ name: network, aliases: ['postgres'] }],
      env: { POSTGRES_USER: 'litellm', POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: 'litellm' },
    });
    await waitForHealthy(postgres, { timeoutMs: 60_000 });
    const address = (await postgres.container.inspect()).NetworkSettings.Networks[network]?.IPAddress;
    url = `postgresql://litellm:${encodeURIComponent(PASSWORD)}@${address}:5432/litellm`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await applyLiteLLMSchema(client, schema.dir, { recordLedger: true })).length).toBe(35);
    } finally {
      await client.end();
    }
    // The seed's way: the row inserted by hand with only the hash, an alias and models.
    await query(`INSERT INTO "LiteLLM_VerificationToken" (token, key_alias, models) VALUES ($1, 'hand-old-alias', '{haiku}')`, [hashKey(HAND_KEY)]);
    await writeFile(path.join(dir, 'mcpgw.yaml'), config(declared));
    const secrets = {
      LITELLM_MASTER_KEY: TEST_SECRETS.LITELLM_MASTER_KEY,
      LITELLM_SALT_KEY: TEST_SECRETS.LITELLM_SALT_KEY,
      // LiteLLM's own URL, with the host LiteLLM resolves on the shared network.
      DATABASE_URL: `postgresql://litellm:${encodeURIComponent(PASSWORD)}@postgres:5432/litellm`,
      MCPGW_KEY_TEST: TEST_KEY,
    };
    await writeFile(
      path.join(dir, 'secrets.env'),
      Object.entries(secrets)
        .map(([name, value]) => `${name}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
  }, 120_000);

  afterAll(async () => {
    await postgres?.remove();
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the hand-made row on a schema without last_rotation_at, and marks the key declared by hash', async () => {
    const columns = await query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'LiteLLM_VerificationToken' AND column_name IN ('last_rotation_at', 'rotation_count')`,
    );
    expect(columns).toEqual([]);
    const listed = await cli('keys', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).keys).toEqual([
      expect.objectContaining({ alias: 'hand-old-alias', key: 'sk-...', mcpServers: [], mcpTools: {}, declaredByHash: true, managedByMcpgw: false }),
    ]);
    const table = await cli('keys', 'list');
    expect(table.stdout).toMatch(/hand-old-alias\s+sk-\.\.\. \(by hash\)/);
  });

  it('sync keeps the row of a key declared by hash (its key_name too) and converges its alias, grants and models; a second sync keeps all', async () => {
    await query(`UPDATE "LiteLLM_VerificationToken" SET key_name = 'sk-...6789' WHERE token = $1`, [hashKey(HAND_KEY)]);
    const synced = await cli('keys', 'sync', '--json');
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).changes).toEqual([
      { alias: 'test', action: 'create' },
      { alias: 'hand', action: 'update', fields: ['alias', 'mcp_servers', 'allowed_routes'] },
    ]);
    const hand = await row('hand');
    expect(hand).toMatchObject({ token: hashKey(HAND_KEY), key_name: 'sk-...6789', models: ['haiku'], allowed_routes: KEY_ALLOWED_ROUTES });
    expect(hand?.mcp_servers).toHaveLength(1);
    expect(await row('test')).toMatchObject({ token: hashKey(TEST_KEY), key_name: abbreviateKey(TEST_KEY) });
    const again = await cli('keys', 'sync', '--json');
    expect(JSON.parse(again.stdout).changes.map((change: { action: string }) => change.action)).toEqual(['keep', 'keep']);
  });

  it('recreates a key declared by hash after a DB wipe from the hash itself: its clients keep working', async () => {
    await query(`DELETE FROM "LiteLLM_VerificationToken" WHERE token = $1`, [hashKey(HAND_KEY)]);
    const synced = await cli('keys', 'sync', '--json');
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).changes).toContainEqual({ alias: 'hand', action: 'create' });
    expect(await row('hand')).toMatchObject({ token: hashKey(HAND_KEY), key_name: null, models: ['haiku'] });
  });

  it('refuses a tool allow-list the schema cannot hold, naming the migration and the upgrade; nothing is written', async () => {
    const before = await query(`SELECT count(*)::int AS n FROM "LiteLLM_ObjectPermissionTable"`);
    await writeFile(
      path.join(dir, 'mcpgw.yaml'),
      config([...declared, { alias: 'tools', mcp_servers: ['db_main'], mcp_tools: { db_main: ['list_schemas'] } }]),
    );
    await writeFile(
      path.join(dir, 'secrets.env'),
      `${await readFile(path.join(dir, 'secrets.env'), 'utf8')}MCPGW_KEY_TOOLS=sk-itest-k177-tools-8d3f1b6e2a9c4\n`,
    );
    try {
      const synced = await cli('keys', 'sync');
      expect(synced.code).toBe(1);
      expect(synced.stderr).toMatch(/tools declares mcp_tools, but this database's LiteLLM schema has no LiteLLM_ObjectPermissionTable\.mcp_tool_permissions/);
      expect(synced.stderr).toMatch(/20251006143948_add_mcp_tool_permissions/);
      expect(synced.stderr).toMatch(/mcpgw upgrade/);
      expect(await query(`SELECT count(*)::int AS n FROM "LiteLLM_ObjectPermissionTable"`)).toEqual(before);
    } finally {
      await writeFile(path.join(dir, 'mcpgw.yaml'), config(declared));
    }
  });

  it('doctor reads the 1.77 rows: a key without a grant reaches every server on 1.77.3 and none from 1.80 on, fix: grant', async () => {
    const created = await cli('keys', 'create', '--alias', 'llm-only', '--json');
    expect(created.code, created.stderr).toBe(0);
    const result = await cli('doctor', '--json', '--offline', '--only', 'keys');
    const report = JSON.parse(result.stdout) as DoctorReport;
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual([]);
    expect(byId['keys.declared']?.status).toBe('pass');
    expect(byId['keys.mcp-grant']).toMatchObject({ status: 'warn' });
    expect(byId['keys.mcp-grant']?.evidence).toContain('LiteLLM 1.77.3: a key without one reaches every MCP server');
    expect(byId['keys.mcp-grant']?.causes.map((cause) => `${cause.cause} | ${cause.fix}`).join('\n')).toMatch(
      /key llm-only has no MCP grant: LiteLLM 1\.77\.3 gives it every MCP server, LiteLLM 1\.80\.0 and later none .*\| declare the key in mcpgw\.yaml/,
    );
  });

  it('rotation: a grace period is refused without the deprecated-token table; --grace 0 rotates, and a key declared by hash becomes declared by its value', async () => {
    const refused = await cli('keys', 'rotate', 'test');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no LiteLLM_DeprecatedVerificationToken .*20260203120000_add_deprecated_verification_token_table/);
    expect(refused.stderr).toMatch(/--grace 0/);
    expect((await row('test'))?.token).toBe(hashKey(TEST_KEY));

    const rotated = await cli('keys', 'rotate', 'test', '--grace', '0', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout).key as string;
    expect((await row('test'))?.token).toBe(hashKey(next));
    expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toContain(`MCPGW_KEY_TEST=${next}\n`);

    const hand = await cli('keys', 'rotate', 'hand', '--grace', '0', '--json');
    expect(hand.code, hand.stderr).toBe(0);
    const handNext = JSON.parse(hand.stdout).key as string;
    expect(hand.stderr).toMatch(/hand was declared by its hash: .*mcpgw\.yaml now declares it by its value, secret: MCPGW_KEY_HAND/);
    const yaml = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
    expect(yaml).not.toContain('token_sha256');
    expect(yaml).toMatch(/secret: MCPGW_KEY_HAND/);
    expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toContain(`MCPGW_KEY_HAND=${handNext}\n`);
    expect(await row('hand')).toMatchObject({ token: hashKey(handNext) });
    // The next sync keeps the new value: nothing puts the old hash back.
    const synced = await cli('keys', 'sync', '--json');
    expect(JSON.parse(synced.stdout).changes).toContainEqual({ alias: 'hand', action: 'keep' });

    const revoked = await cli('keys', 'revoke', 'llm-only');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await row('llm-only')).toBeUndefined();
  });
});
