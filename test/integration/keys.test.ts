import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { abbreviateKey, hashKey } from '../../src/keys/token.js';
import { runCli } from '../helpers/cli.js';
import { gatewayTools as gatewayToolsAt } from '../helpers/gateway.js';
import { writeTestStack } from '../helpers/test-stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const name = `mcpgwt-${Date.now().toString(36)}-keys`;
const PORT = 14110;
const KEYS = {
  MCPGW_KEY_CLAUDE_CODE: 'sk-itest-claude-code-4b9f2c7e1a6d3058',
  MCPGW_KEY_CODEX: 'sk-itest-codex-91c3e5a7f2b8d4e60',
};

const gatewayTools = (key: string) => gatewayToolsAt(PORT, key);

async function pgContainerClient(): Promise<pg.Client> {
  const info = await docker.getContainer(`${name}-postgres`).inspect();
  const host = info.NetworkSettings.Networks[`${name}-pg`]?.IPAddress;
  const client = new pg.Client({ host, user: 'litellm', password: 'itest pw/with:odd@chars', database: 'litellm' });
  await client.connect();
  return client;
}

describe('mcpgw keys against LiteLLM\'s real tables and the real proxy', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-keys-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48160 }, beta: { transport: 'sse', port: 48161 } },
      secrets: KEYS,
      extra: {
        keys: [
          { alias: 'claude-code', mcp_servers: ['alpha'], expires: '90d' },
          { alias: 'codex', mcp_servers: ['alpha', 'beta'], budget: 10 },
        ],
      },
    });
    // Short key cache, so revocations and grant changes reach the proxy within the test.
    const file = path.join(dir, 'mcpgw.yaml');
    const config = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
    config.litellm.key_cache_ttl = 1;
    await writeFile(file, stringify(config));
    const up = await runCli(['up'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/ok {4}keys: created claude-code, created codex/);
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the rows LiteLLM authenticates: each key sees exactly its granted servers', async () => {
    expect(await gatewayTools(KEYS.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toEqual(['alpha', 'beta']);
    expect(await gatewayTools('sk-itest-unknown-key-000000000000')).toBe(401);
  });

  it("hashes and abbreviates exactly like LiteLLM's own functions in the pinned package", async () => {
    const samples = ['sk-mcpgw-vector-a-0123456789', `sk-${'x'.repeat(40)}`, 'sk-ünïcödé-key-0123456789'];
    const script = `import json,sys\nfrom litellm.proxy.utils import hash_token\nfrom litellm.proxy.auth.auth_utils import abbreviate_api_key\nprint(json.dumps([[hash_token(k), abbreviate_api_key(k)] for k in json.loads(sys.argv[1])]))`;
    const container = await docker.createContainer({ Image: stack.images.litellm, Entrypoint: ['python', '-c', script, JSON.stringify(samples)], Labels: { 'io.mcpgw.test': '1' } });
    try {
      await container.start();
      await container.wait();
      const output = ((await container.logs({ stdout: true, stderr: false })) as unknown as Buffer).toString('utf8');
      const expected = JSON.parse(output.slice(output.indexOf('[['))) as [string, string][];
      expect(samples.map((key) => [hashKey(key), abbreviateKey(key)])).toEqual(expected);
    } finally {
      await container.remove({ force: true });
    }
  });

  it("stores LiteLLM's own hash, abbreviation and defaults", async () => {
    const db = await pgContainerClient();
    try {
      const { rows } = await db.query(
        `SELECT v.token, v.key_name, v.models, v.max_budget, v.expires > now() + interval '89 days' AS expires_ok, p.mcp_servers
           FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias = 'claude-code'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ token: hashKey(KEYS.MCPGW_KEY_CLAUDE_CODE), key_name: 'sk-...3058', models: [], max_budget: null, expires_ok: true });
      expect(rows[0].mcp_servers).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it("keys create --via-api goes through LiteLLM's /key/generate and yields the rows mcpgw writes itself", async () => {
    const db = await pgContainerClient();
    try {
      const ours = (await db.query(`SELECT mcp_servers FROM "LiteLLM_ObjectPermissionTable" p JOIN "LiteLLM_VerificationToken" v USING (object_permission_id) WHERE v.key_alias = 'claude-code'`)).rows[0] as { mcp_servers: string[] };
      const result = await runCli(['keys', 'create', '--alias', 'via-api', '--mcp', 'alpha', '--via-api', '--json'], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      const { key } = JSON.parse(result.stdout) as { key: string };
      expect(ours.mcp_servers).toHaveLength(1);
      const columns = `v.token, v.key_name, v.models, v.spend, v.blocked, v.team_id, v.user_id IS NULL AS no_user, p.mcp_servers, p.mcp_access_groups`;
      const api = (await db.query(`SELECT ${columns} FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias = 'via-api'`)).rows[0];
      const mine = (await db.query(`SELECT ${columns} FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias = 'claude-code'`)).rows[0];
      expect(api.token).toBe(hashKey(key));
      expect(api.key_name).toBe(abbreviateKey(key));
      for (const column of ['models', 'spend', 'team_id', 'mcp_servers', 'mcp_access_groups'] as const) expect(mine[column]).toEqual(api[column]);
      // Not asserted: authenticating the API-made key. LiteLLM caches it from /key/generate's own objects, and the
      // test image's stand-in for Prisma's native engine hands that path Json columns in a shape it rejects
      // (test/stack/README.md, "DB mode"); keys written by mcpgw take the DB path and are checked above.
    } finally {
      await db.query(`DELETE FROM "LiteLLM_VerificationToken" WHERE key_alias = 'via-api'`);
      await db.end();
    }
  });

  it('lists keys with server names and never the key or its hash', async () => {
    const result = await runCli(['keys', 'list', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { keys: { alias: string; mcpServers: string[]; expires: string | null }[] };
    // LiteLLM's naive UTC timestamp read back as UTC whatever the machine's zone (run with TZ set to check).
    const expires = Date.parse(report.keys[0]?.expires ?? '');
    expect(Math.abs(expires - (Date.now() + 90 * 86_400_000))).toBeLessThan(10 * 60_000);
    expect(report.keys.map((key) => [key.alias, key.mcpServers])).toEqual([
      ['claude-code', ['alpha']],
      ['codex', ['alpha', 'beta']],
    ]);
    for (const key of Object.values(KEYS)) {
      expect(result.stdout).not.toContain(key);
      expect(result.stdout).not.toContain(hashKey(key));
    }
  });

  it('creates an ad-hoc key, prints it once, and refuses it MCP access without grants', async () => {
    const result = await runCli(['keys', 'create', '--alias', 'no-grant', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const { key } = JSON.parse(result.stdout) as { key: string };
    expect(key).toMatch(/^sk-/);
    expect(result.stderr).toMatch(/no-grant has no MCP grant/);
    expect(result.stderr).not.toContain(key);
    expect(await gatewayTools(key)).toEqual([]);
    const duplicate = await runCli(['keys', 'create', '--alias', 'no-grant'], { cwd: dir });
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/alias "no-grant" .* already exists/);
  });

  it('rejects bad input with exit 2 and writes nothing', async () => {
    const unknown = await runCli(['keys', 'create', '--alias', 'x', '--mcp', 'gamma'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown MCP server "gamma"/);
    const model = await runCli(['keys', 'create', '--alias', 'z', '--models', 'gpt-9'], { cwd: dir });
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/unknown model\(s\) gpt-9/);
    const malformed = await runCli(['keys', 'create', '--alias', 'y', '--key', 'pk-not-a-litellm-key-123456'], { cwd: dir });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/does not start with "sk-"/);
    expect(malformed.stderr).not.toContain('pk-not-a-litellm-key-123456');
    const list = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: { alias: string }[] };
    expect(list.keys.map((key) => key.alias)).not.toContain('x');
  });

  it('repairs drifted grants and reports exactly what changed', async () => {
    const db = await pgContainerClient();
    try {
      await db.query(`UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = '{}' WHERE object_permission_id = (SELECT object_permission_id FROM "LiteLLM_VerificationToken" WHERE key_alias = 'codex')`);
    } finally {
      await db.end();
    }
    const dry = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, changes: [{ alias: 'claude-code', action: 'keep' }, { alias: 'codex', action: 'update', fields: ['mcp_servers'] }] });
    const sync = await runCli(['keys', 'sync'], { cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/update {2}codex \(mcp_servers\)/);
    expect((await runCli(['keys', 'sync'], { cwd: dir })).stdout).toMatch(/keep {4}codex/);
  });

  it('brings every declared key back after a DB wipe', async () => {
    const db = await pgContainerClient();
    try {
      await db.query('DROP SCHEMA public CASCADE');
      await db.query('CREATE SCHEMA public');
    } finally {
      await db.end();
    }
    // LiteLLM re-creates its schema when it starts (the image migrates at start-up, like the real one).
    await docker.getContainer(`${name}-litellm`).restart({ t: 2 });
    const up = await runCli(['up'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/ok {4}keys: created claude-code, created codex/);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toEqual(['alpha', 'beta']);
    const sync = await runCli(['keys', 'sync', '--json'], { cwd: dir });
    expect(JSON.parse(sync.stdout).changes.map((change: { action: string }) => change.action)).toEqual(['keep', 'keep']);
  });

  it('leaves no partial rows when a write fails or the connection dies inside the transaction', async () => {
    const db = await pgContainerClient();
    try {
      // Make the token insert fail after the grant rows went in: the whole sync must roll back.
      await db.query(`CREATE OR REPLACE FUNCTION mcpgw_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`);
      await db.query(`CREATE TRIGGER mcpgw_test_fail BEFORE INSERT ON "LiteLLM_VerificationToken" FOR EACH ROW EXECUTE FUNCTION mcpgw_test_fail()`);
      await db.query('DELETE FROM "LiteLLM_VerificationToken"');
      await db.query('DELETE FROM "LiteLLM_ObjectPermissionTable"');
      const sync = await runCli(['keys', 'sync'], { cwd: dir });
      expect(sync.code).toBe(1);
      expect(sync.stderr).toMatch(/the key transaction was rolled back: injected failure/);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM "LiteLLM_ObjectPermissionTable"');
      expect(rows[0].n).toBe(0);

      // The connection dies half-way (after the grant rows, at the first token row): same outcome.
      await db.query(`CREATE OR REPLACE FUNCTION mcpgw_test_fail() RETURNS trigger AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql`);
      const killed = await runCli(['keys', 'sync'], { cwd: dir });
      expect(killed.code).toBe(1);
      expect(killed.stderr).toMatch(/the key transaction was rolled back: .*terminat/i);
      const after = await db.query('SELECT (SELECT count(*) FROM "LiteLLM_ObjectPermissionTable")::int AS grants, (SELECT count(*) FROM "LiteLLM_VerificationToken")::int AS tokens');
      expect(after.rows[0]).toEqual({ grants: 0, tokens: 0 });
    } finally {
      await db.query('DROP TRIGGER IF EXISTS mcpgw_test_fail ON "LiteLLM_VerificationToken"');
      await db.end();
    }
    expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
  });

  it('rotates a declared key: same grants, new key in the secrets file, old key expires after the grace', async () => {
    const result = await runCli(['keys', 'rotate', 'codex', '--grace', '4s', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const { key } = JSON.parse(result.stdout) as { key: string };
    expect(key).not.toBe(KEYS.MCPGW_KEY_CODEX);
    expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toContain(`MCPGW_KEY_CODEX=${key}\n`);
    expect(await gatewayTools(key)).toEqual(['alpha', 'beta']);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toEqual(['alpha', 'beta']);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toBeTypeOf('number');
    expect(await gatewayTools(key)).toEqual(['alpha', 'beta']);
    const sync = JSON.parse((await runCli(['keys', 'sync', '--json'], { cwd: dir })).stdout) as { changes: { alias: string; action: string }[] };
    expect(sync.changes.find((change) => change.alias === 'codex')?.action).toBe('keep');
  });

  it('revokes a key so the gateway refuses it', async () => {
    const result = await runCli(['keys', 'revoke', 'claude-code'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await gatewayTools(KEYS.MCPGW_KEY_CLAUDE_CODE)).toBe(401);
    expect((await runCli(['keys', 'revoke', 'claude-code'], { cwd: dir })).code).toBe(2);
  });

  it('says clearly when the password is wrong, without printing it', async () => {
    const secretsFile = path.join(dir, 'secrets.env');
    const original = await readFile(secretsFile, 'utf8');
    await writeFile(secretsFile, original.replace('POSTGRES_PASSWORD=itest pw/with:odd@chars', 'POSTGRES_PASSWORD=wrong-password-123'));
    try {
      const result = await runCli(['keys', 'list'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Postgres refused the password for litellm@/);
      expect(result.stderr).not.toContain('wrong-password-123');
    } finally {
      await writeFile(secretsFile, original);
    }
  });

  it('says clearly when the database is down', async () => {
    await docker.getContainer(`${name}-postgres`).stop({ t: 2 });
    try {
      const result = await runCli(['keys', 'list'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Postgres container of stack .* is not running|is unreachable/);
      expect(result.stderr).not.toContain('itest pw');
    } finally {
      await docker.getContainer(`${name}-postgres`).start();
    }
  });
});
