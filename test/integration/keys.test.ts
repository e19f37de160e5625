import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { POSTGRES_KEYS_ROLE } from '../../src/config/postgres-roles.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { WaitTimeout, waitUntil } from '../../src/time/wait.js';
import { abbreviateKey, hashKey } from '../../src/keys/token.js';
import { KEY_ALLOWED_ROUTES } from '../../src/litellm/routes.js';
import { runCli } from '../helpers/cli.js';
import { gatewayTools as gatewayToolsAt } from '../helpers/gateway.js';
import { asOwner, keysRoleClient } from '../helpers/stack-db.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { startUpstream, UPSTREAM_MODELS, useUpstreamModel } from '../helpers/upstream.js';
import type { StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const name = `mcpgwt-${run}-keys`;
const UPSTREAM_KEY = 'sk-itest-keys-upstream-6d1f3b8a0c2e4957';
const PORT = 14110;
const KEYS = {
  MCPGW_KEY_CLAUDE_CODE: 'sk-itest-claude-code-4b9f2c7e1a6d3058',
  MCPGW_KEY_CODEX: 'sk-itest-codex-91c3e5a7f2b8d4e60',
};

const gatewayTools = (key: string) => gatewayToolsAt(PORT, key);
const MASTER_KEY = 'sk-itest-master-5c1e8d2f9a';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type GatewayAnswer = Awaited<ReturnType<typeof gatewayTools>>;
const refused = (answer: GatewayAnswer) => answer === 401 || answer === 403;
const is = (wanted: GatewayAnswer) => (answer: GatewayAnswer) => isDeepStrictEqual(answer, wanted);

/**
 * The gateway's answer for `key` once it is the one `settled` waits for, else the last one within 15 s (so the
 * assertion after it shows what LiteLLM said). A change to a key's row reaches LiteLLM when its key cache lets the
 * old entry go (litellm.key_cache_ttl: 1 s here, useUpstreamModel).
 */
async function settledTools(key: string, settled: (answer: GatewayAnswer) => boolean): Promise<GatewayAnswer> {
  let answer: GatewayAnswer = await gatewayTools(key);
  if (settled(answer)) return answer;
  await waitUntil(
    "the gateway's answer for a changed key",
    async () => {
      answer = await gatewayTools(key);
      return settled(answer) || undefined;
    },
    { timeoutMs: 15_000 },
  ).catch((error: unknown) => {
    if (!(error instanceof WaitTimeout)) throw error;
  });
  return answer;
}

/**
 * For an answer that must *stay* as it was after a change (a key still refused), no poll can prove it: wait until
 * every cache entry from before the change has lapsed (the 1 s key cache, and half a second of margin), then ask.
 */
const outlastKeyCache = () => sleep(1_500);

/** Runs a Python script inside the running LiteLLM container (LiteLLM's own interpreter and modules); returns its last stdout line as JSON. */
function litellmPython(script: string, input: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('docker', ['exec', `${name}-litellm`, 'python', '-c', script, JSON.stringify(input)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? 'null'));
    });
  });
}

/** LiteLLM's own _generate_stable_server_id over alpha's rendered entry without its pin: [its URL, the derived id grants held before mcpgw pinned ids]. */
async function derivedAlphaId(): Promise<[string, string]> {
  const script =
    `import json,sys,yaml\nfrom litellm.proxy._experimental.mcp_server.mcp_server_manager ` +
    `import MCPServerManager\nc = ` +
    `yaml.safe_load(open('/app/config.yaml'))['mcp_servers']['alpha']\nprint(json.dumps([c['url'], ` +
    `MCPServerManager._generate_stable_server_id(None, 'alpha', c.get('url', ''), ` +
    `c['transport'], c.get('auth_type'), c.get('alias'))]))`;
  return (await litellmPython(script, null)) as [string, string];
}

/**
 * LiteLLM's budget reset job (ResetBudgetJob, litellm/proxy/common_utils/reset_budget_job.py; the proxy schedules
 * it every PROXY_BUDGET_RESCHEDULER_MIN_TIME, ~10 min) run once over the keys, with LiteLLM's own Prisma client
 * on the stack's database.
 */
const RESET_KEY_BUDGETS = `import asyncio,json,os
from litellm.caching.caching import DualCache
from litellm.proxy.utils import PrismaClient, ProxyLogging
from litellm.proxy.common_utils.reset_budget_job import ResetBudgetJob
async def main():
    logging = ProxyLogging(user_api_key_cache=DualCache())
    prisma = PrismaClient(database_url=os.environ['DATABASE_URL'], proxy_logging_obj=logging)
    await prisma.connect()
    try:
        await ResetBudgetJob(proxy_logging_obj=logging, prisma_client=prisma).reset_budget_for_litellm_keys()
    finally:
        await prisma.disconnect()
asyncio.run(main())
print(json.dumps('reset'))`;

/** One chat completion through the gateway with a key: the HTTP status and LiteLLM's JSON answer. */
async function chat(key: string): Promise<{ status: number; body: { usage?: { total_tokens: number }; error?: { message: string } } }> {
  const response = await fetch(`http://127.0.0.1:${PORT}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: UPSTREAM_MODELS.openai.name, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  });
  return { status: response.status, body: (await response.json()) as { usage?: { total_tokens: number }; error?: { message: string } } };
}

/** LiteLLM's own admin API with the master key (loopback, the test stack's published port). */
async function litellmAdmin(route: string, body: unknown): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${PORT}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

/** The stack's directory (mcpgw.yaml, secrets.env), made in beforeAll. */
let dir = '';
/** mcpgw's keys role from this machine (rows only); DDL goes through `asOwner`. */
const pgContainerClient = () => keysRoleClient(docker, name, dir);
const owner = (sql: string) => asOwner(docker, name, sql);

/** One JSON-RPC request to the gateway's /mcp/ with a key: the HTTP status, the JSON-RPC message (or undefined) and the raw body. */
async function mcpRequest(
  key: string,
  method: string,
  params: unknown,
): Promise<{ status: number; message?: { result?: { tools?: { name: string }[]; isError?: boolean }; error?: { message: string } }; body: string }> {
  const response = await fetch(`http://127.0.0.1:${PORT}/mcp/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-litellm-api-key': `Bearer ${key}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await response.text();
  const data = /^data:\s*(.+)$/m.exec(body)?.[1] ?? body;
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    message = undefined;
  }
  return { status: response.status, message, body };
}

describe("mcpgw keys against LiteLLM's real tables and the real proxy", () => {
  let llm: StartedContainer | undefined;

  /**
   * Declares `keys` (their values in `secrets`) next to the stack's own; the function it returns puts mcpgw.yaml
   * and the secrets file back and revokes them.
   */
  async function declareKeys(keys: Record<string, unknown>[], secrets: Record<string, string>): Promise<() => Promise<void>> {
    const file = path.join(dir, 'mcpgw.yaml');
    const secretsFile = path.join(dir, 'secrets.env');
    const originalConfig = await readFile(file, 'utf8');
    const originalSecrets = await readFile(secretsFile, 'utf8');
    const config = parse(originalConfig) as { keys: Record<string, unknown>[] };
    config.keys.push(...keys);
    await writeFile(file, stringify(config));
    await writeFile(
      secretsFile,
      `${originalSecrets}${Object.entries(secrets)
        .map(([secret, value]) => `${secret}=${value}\n`)
        .join('')}`,
    );
    return async () => {
      await writeFile(file, originalConfig);
      await writeFile(secretsFile, originalSecrets);
      for (const key of keys) await runCli(['keys', 'revoke', String(key.alias)], { cwd: dir });
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-keys-'));
    // The upstream model (its replies report token usage, which LiteLLM's tpm limiter counts) on the MCP network
    // before up, so up's probe runs its LLM level too.
    llm = await startUpstream(docker, stack, run, name, UPSTREAM_KEY);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48160 }, beta: { transport: 'sse', port: 48161 } },
      secrets: { ...KEYS, UPSTREAM_KEY },
      extra: {
        keys: [
          { alias: 'claude-code', mcp_servers: ['alpha'], expires: '90d' },
          { alias: 'codex', mcp_servers: ['alpha', 'beta'], budget: 10 },
        ],
      },
    });
    // With a 1 s key cache, so revocations and grant changes reach the proxy within the test.
    await useUpstreamModel(dir);
    const up = await runCli(['up'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/ok {4}keys: created claude-code, created codex/);
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await llm?.remove();
    // The upstream's network was made before up and joined by LiteLLM (litellm.networks): mcpgw keeps it as not its own.
    await docker
      .getNetwork(`${name}-mcp`)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the rows LiteLLM authenticates: each key sees exactly its granted servers', async () => {
    expect(await gatewayTools(KEYS.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toEqual(['alpha', 'beta']);
    expect(await gatewayTools('sk-itest-unknown-key-000000000000')).toBe(401);
  });

  it("hashes and abbreviates exactly like LiteLLM's own functions in the pinned package", async () => {
    // The emoji sample: Python counts code points, JavaScript's length UTF-16 units.
    const samples = [
      'sk-mcpgw-vector-a-0123456789',
      `sk-${'x'.repeat(40)}`,
      'sk-ünïcödé-key-0123456789',
      'sk-emoji-key-0123456789-😀',
      'sk-😀😀😀😀😀😀😀😀😀😀😀😀😀',
      'sk-1234',
    ];
    const script =
      `import json,sys\nfrom litellm.proxy.utils import hash_token\nfrom ` +
      `litellm.proxy.auth.auth_utils import abbreviate_api_key\nprint(json.dumps([[hash_token(k), ` +
      `abbreviate_api_key(k)] for k in json.loads(sys.argv[1])]))`;
    const container = await docker.createContainer({
      Image: stack.images.litellm,
      Entrypoint: ['python', '-c', script, JSON.stringify(samples)],
      Labels: { 'io.mcpgw.test': '1' },
    });
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
      const ours = (
        await db.query(
          `SELECT mcp_servers FROM "LiteLLM_ObjectPermissionTable" p JOIN "LiteLLM_VerificationToken" ` +
            `v USING (object_permission_id) WHERE v.key_alias = 'claude-code'`,
        )
      ).rows[0] as { mcp_servers: string[] };
      const result = await runCli(['keys', 'create', '--alias', 'via-api', '--mcp', 'alpha', '--via-api', '--json'], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      const { key } = JSON.parse(result.stdout) as { key: string };
      expect(ours.mcp_servers).toHaveLength(1);
      const columns = `v.token, v.key_name, v.models, v.spend, v.blocked, v.team_id, v.user_id IS NULL AS no_user, v.allowed_routes, p.mcp_servers, p.mcp_access_groups`;
      const api = (
        await db.query(
          `SELECT ${columns} FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" ` +
            `p USING (object_permission_id) WHERE v.key_alias = 'via-api'`,
        )
      ).rows[0];
      const mine = (
        await db.query(
          `SELECT ${columns} FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" ` +
            `p USING (object_permission_id) WHERE v.key_alias = 'claude-code'`,
        )
      ).rows[0];
      expect(api.token).toBe(hashKey(key));
      expect(api.key_name).toBe(abbreviateKey(key));
      for (const column of ['models', 'spend', 'team_id', 'allowed_routes', 'mcp_servers', 'mcp_access_groups'] as const)
        expect(mine[column]).toEqual(api[column]);
      expect(api.allowed_routes).toEqual([...KEY_ALLOWED_ROUTES]);
      // LiteLLM admits the key it made, with its grant (the image's engine stand-in stores Json columns as values).
      expect(await gatewayTools(key)).toEqual(['alpha']);
    } finally {
      await db.query(`DELETE FROM "LiteLLM_VerificationToken" WHERE key_alias = 'via-api'`);
      await db.end();
    }
  });

  it('keys create --save keeps the key (0600) where --key-alias and mcp tools --key find it; rotate updates what it saved', async () => {
    const secretsFile = path.join(dir, 'secrets.env');
    const savedValue = async () => parseSecrets(await readFile(secretsFile, 'utf8')).get('MCPGW_KEY_HOMELAB_TIME');
    try {
      const created = await runCli(['keys', 'create', '--alias', 'homelab-time', '--mcp', 'alpha', '--save', '--json'], { cwd: dir });
      expect(created.code, created.stderr).toBe(0);
      const { key } = JSON.parse(created.stdout) as { key: string };
      expect(created.stderr).toMatch(/kept in .*secrets\.env \(MCPGW_KEY_HOMELAB_TIME\)/);
      expect(created.stderr).not.toContain(key);
      expect(await savedValue()).toBe(key);
      expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
      // The alias now works where only declared aliases did: the gateway answers with the key's own grant.
      const tools = await runCli(['mcp', 'tools', '--key', 'homelab-time', '--json'], { cwd: dir });
      expect(tools.code, tools.stderr).toBe(0);
      const names = (JSON.parse(tools.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((tool) => tool.startsWith('alpha'))).toBe(true);
      const config = await runCli(['client-config', 'claude', '--key-alias', 'homelab-time'], { cwd: dir, env: { HOME: dir } });
      expect(config.code, config.stderr).toBe(0);
      expect(config.stdout).toContain(`Bearer ${key}`);
      // A rotation rewrites the saved value, so the alias keeps naming the key that works.
      const rotated = await runCli(['keys', 'rotate', 'homelab-time', '--grace', '0', '--json'], { cwd: dir });
      expect(rotated.code, rotated.stderr).toBe(0);
      const fresh = (JSON.parse(rotated.stdout) as { key: string }).key;
      expect(await savedValue()).toBe(fresh);
      expect(rotated.stderr).toMatch(/wrote the new key to .*\(MCPGW_KEY_HOMELAB_TIME\)/);
      // A declared alias is not saved a second time.
      const declared = await runCli(['keys', 'create', '--alias', 'claude-code', '--save'], { cwd: dir });
      expect([declared.code, declared.stderr]).toEqual([2, expect.stringMatching(/--save: "claude-code" is declared in mcpgw\.yaml/)]);
    } finally {
      const db = await pgContainerClient();
      await db.query(`DELETE FROM "LiteLLM_VerificationToken" WHERE key_alias = 'homelab-time'`);
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
    // A typo in mcpgw.yaml: the same keys, read from what runs (the labelled Postgres, the keys role), and exit 2.
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
    try {
      const typo = await runCli(['keys', 'list', '--json'], { cwd: dir });
      expect(typo.code, typo.stderr).toBe(2);
      const listed = JSON.parse(typo.stdout) as { keys: { alias: string; mcpServers: string[] }[]; config: { valid: boolean; issues: { path: string }[] } };
      expect(listed.keys.map((key) => [key.alias, key.mcpServers])).toEqual(report.keys.map((key) => [key.alias, key.mcpServers]));
      expect(listed.config).toMatchObject({ valid: false, issues: [{ path: 'litellm.prot' }] });
      // doctor tells the file once and runs what does not need it on the same findings: the database as keys list
      // finds it, LiteLLM at its published port, the MCP containers by their labels; nothing crashes on real Docker.
      const doctor = await runCli(['doctor', '--offline', '--json'], { cwd: dir });
      const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[]; causes: { cause: string }[] }[] }).checks;
      const statusOf = (id: string) => checks.find((check) => check.id === id)?.status;
      expect(
        checks.filter((check) => check.status === 'fail').map((check) => [check.id, check.causes]),
        doctor.stdout,
      ).toEqual([['config.valid', [expect.objectContaining({ cause: expect.stringMatching(/litellm\.prot: unknown field/) })]]]);
      for (const id of ['database.reachable', 'database.from-litellm', 'litellm.health', 'litellm.version', 'mcp.containers'])
        expect(statusOf(id), id).toBe('pass');
      expect(checks.find((check) => check.id === 'database.reachable')?.evidence[0]).toMatch(new RegExp(`^connected as ${POSTGRES_KEYS_ROLE} to `));
      expect(checks.find((check) => check.id === 'keys.declared')?.evidence).toEqual(['needs a valid mcpgw.yaml: mcpgw.yaml has problems (see config.valid)']);
      for (const key of Object.values(KEYS)) expect(typo.stdout + typo.stderr + doctor.stdout + doctor.stderr).not.toContain(key);
    } finally {
      await writeFile(file, original);
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
    // A default lifetime, said on stderr; --expires never opts out.
    expect(result.stderr).toMatch(/no-grant expires in 90d \(the default; --expires DURATION or --expires never to choose\)/);
    const forever = await runCli(['keys', 'create', '--alias', 'forever', '--expires', 'never', '--json'], { cwd: dir });
    expect(forever.code, forever.stderr).toBe(0);
    expect(forever.stderr).toMatch(/forever never expires/);
    const db = await pgContainerClient();
    try {
      const { rows } = await db.query(
        `SELECT key_alias, extract(epoch FROM expires - (now() AT TIME ZONE 'UTC'))::int AS left_s, allowed_routes FROM "LiteLLM_VerificationToken" WHERE key_alias IN ('no-grant', 'forever') ORDER BY key_alias`,
      );
      expect(rows.map((row) => row.key_alias)).toEqual(['forever', 'no-grant']);
      expect(rows[0].left_s).toBeNull();
      expect(Math.abs(rows[1].left_s - 90 * 86_400)).toBeLessThan(600);
      for (const row of rows) expect(row.allowed_routes).toEqual([...KEY_ALLOWED_ROUTES]);
    } finally {
      await db.end();
      await runCli(['keys', 'revoke', 'forever'], { cwd: dir });
    }
    const duplicate = await runCli(['keys', 'create', '--alias', 'no-grant'], { cwd: dir });
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/alias "no-grant" .* already exists/);
  });

  it('rejects bad input with exit 2 and writes nothing', async () => {
    const unknown = await runCli(['keys', 'create', '--alias', 'xx', '--mcp', 'gamma'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown MCP server "gamma"/);
    const model = await runCli(['keys', 'create', '--alias', 'zz', '--models', 'gpt-9'], { cwd: dir });
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/unknown model\(s\) gpt-9/);
    const malformed = await runCli(['keys', 'create', '--alias', 'yy', '--key', 'pk-not-a-litellm-key-123456'], { cwd: dir });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/does not start with "sk-"/);
    expect(malformed.stderr).not.toContain('pk-not-a-litellm-key-123456');
    const list = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: { alias: string }[] };
    expect(list.keys.map((key) => key.alias)).not.toContain('xx');
  });

  it('repairs drifted grants and reports exactly what changed', async () => {
    const db = await pgContainerClient();
    try {
      await db.query(
        `UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = '{}' WHERE object_permission_id = ` +
          `(SELECT object_permission_id FROM "LiteLLM_VerificationToken" WHERE key_alias = 'codex')`,
      );
    } finally {
      await db.end();
    }
    const dry = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      changes: [
        { alias: 'claude-code', action: 'keep' },
        { alias: 'codex', action: 'update', fields: ['mcp_servers'] },
      ],
    });
    const sync = await runCli(['keys', 'sync'], { cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/update {2}codex \(mcp_servers\)/);
    expect((await runCli(['keys', 'sync'], { cwd: dir })).stdout).toMatch(/keep {4}codex/);
  });

  it('brings every declared key back after a DB wipe', async () => {
    await owner('DROP SCHEMA public CASCADE');
    await owner('CREATE SCHEMA public');
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

  it('up converges while another session holds the catalog rows it grants on, as LiteLLM migrating at start-up does: the lost race is run again', async () => {
    // A GRANT on a table left open: up's GRANT on every table waits for it, then loses with "tuple concurrently updated".
    const held = owner(`BEGIN; GRANT SELECT ON "LiteLLM_VerificationToken" TO ${POSTGRES_KEYS_ROLE}; SELECT pg_sleep(8); COMMIT`);
    const holding = `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()`;
    await waitUntil('the other session holding its GRANT', async () => (await owner(holding)).trim() === '1' || undefined, { timeoutMs: 10_000 });
    const up = await runCli(['up'], { cwd: dir });
    await held;
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/ok {4}postgres:/);
  });

  it('leaves no partial rows when a write fails or the connection dies inside the transaction', async () => {
    const db = await pgContainerClient();
    try {
      // Make the token insert fail after the grant rows went in: the whole sync must roll back.
      await owner(`CREATE OR REPLACE FUNCTION mcpgw_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`);
      await owner(`CREATE TRIGGER mcpgw_test_fail BEFORE INSERT ON "LiteLLM_VerificationToken" FOR EACH ROW EXECUTE FUNCTION mcpgw_test_fail()`);
      await db.query('DELETE FROM "LiteLLM_VerificationToken"');
      await db.query('DELETE FROM "LiteLLM_ObjectPermissionTable"');
      const sync = await runCli(['keys', 'sync'], { cwd: dir });
      expect(sync.code).toBe(1);
      expect(sync.stderr).toMatch(/the key transaction was rolled back: injected failure/);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM "LiteLLM_ObjectPermissionTable"');
      expect(rows[0].n).toBe(0);

      // The connection dies half-way (after the grant rows, at the first token row): same outcome.
      await owner(
        `CREATE OR REPLACE FUNCTION mcpgw_test_fail() RETURNS trigger AS $$ BEGIN PERFORM ` +
          `pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql`,
      );
      const killed = await runCli(['keys', 'sync'], { cwd: dir });
      expect(killed.code).toBe(1);
      expect(killed.stderr).toMatch(/the key transaction was rolled back: .*terminat/i);
      const after = await db.query(
        'SELECT (SELECT count(*) FROM "LiteLLM_ObjectPermissionTable")::int AS grants, (SELECT count(*) FROM "LiteLLM_VerificationToken")::int AS tokens',
      );
      expect(after.rows[0]).toEqual({ grants: 0, tokens: 0 });
    } finally {
      await owner('DROP TRIGGER IF EXISTS mcpgw_test_fail ON "LiteLLM_VerificationToken"');
      await db.end();
    }
    expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
  });

  it('rotates a declared key: same grants, new key in the secrets file, old key expires after the grace; the client configs holding it are named, warned, then failed', async () => {
    // A Claude Code config on this machine holding the key before the rotation.
    const home = await mkdtemp(path.join(tmpdir(), 'mcpgw-keys-home-'));
    const env = { HOME: home };
    const clientsKeys = async () => {
      const doctor = await runCli(['doctor', '--only', 'clients.keys', '--json'], { cwd: dir, env });
      const found = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[]; causes: { cause: string; fix: string }[] }[] })
        .checks;
      return found.find((check) => check.id === 'clients.keys');
    };
    expect((await runCli(['client-config', 'claude', '--key-alias', 'codex', '--write'], { cwd: dir, env })).code).toBe(0);
    const claudeJson = path.join(home, '.claude.json');
    expect(await clientsKeys()).toMatchObject({
      status: 'pass',
      evidence: expect.arrayContaining([`${claudeJson} mcpServers.litellm (Claude Code): the key of codex`]),
    });
    const result = await runCli(['keys', 'rotate', 'codex', '--grace', '4s', '--json'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const { key, clients } = JSON.parse(result.stdout) as { key: string; clients: string[] };
    const rewrite = 'mcpgw client-config claude --key-alias codex --write';
    expect(clients).toEqual([`${claudeJson} mcpServers.litellm: ${rewrite}`]);
    expect(result.stderr).toContain(rewrite);
    expect(key).not.toBe(KEYS.MCPGW_KEY_CODEX);
    expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toContain(`MCPGW_KEY_CODEX=${key}\n`);
    expect(await gatewayTools(key)).toEqual(['alpha', 'beta']);
    expect(await gatewayTools(KEYS.MCPGW_KEY_CODEX)).toEqual(['alpha', 'beta']);
    // Within the grace period the client still works: doctor warns, naming the end of it and the command.
    const during = await clientsKeys();
    expect(during).toMatchObject({
      status: 'warn',
      causes: [{ cause: expect.stringMatching(/holds the old key of "codex", rotated: LiteLLM refuses it from /), fix: rewrite }],
    });
    // The grace period (5 s) ends: the old key is refused from then on.
    expect([401, 403]).toContain(await settledTools(KEYS.MCPGW_KEY_CODEX, refused));
    expect(await gatewayTools(key)).toEqual(['alpha', 'beta']);
    expect(await clientsKeys()).toMatchObject({
      status: 'fail',
      causes: [{ cause: expect.stringMatching(/whose grace period ended .*: the gateway answers 401/), fix: rewrite }],
    });
    // The printed command is the fix.
    expect((await runCli(rewrite.split(' ').slice(1), { cwd: dir, env })).code).toBe(0);
    expect(await clientsKeys()).toMatchObject({
      status: 'pass',
      evidence: expect.arrayContaining([`${claudeJson} mcpServers.litellm (Claude Code): the key of codex`]),
    });
    await rm(home, { recursive: true, force: true });
    const sync = JSON.parse((await runCli(['keys', 'sync', '--json'], { cwd: dir })).stdout) as { changes: { alias: string; action: string }[] };
    expect(sync.changes.find((change) => change.alias === 'codex')?.action).toBe('keep');
    // LiteLLM's /key/regenerate shape: one row for the alias (spend, grants, budget kept), the old hash in the
    // deprecated table with its revoke_at, and no '@rotated' alias LiteLLM's alias format check would refuse.
    const db = await pgContainerClient();
    try {
      const rows = (await db.query(`SELECT token, key_alias, rotation_count, max_budget FROM "LiteLLM_VerificationToken" WHERE key_alias LIKE 'codex%'`)).rows;
      expect(rows).toEqual([{ token: hashKey(key), key_alias: 'codex', rotation_count: 1, max_budget: 10 }]);
      const deprecated = (await db.query(`SELECT active_token_id FROM "LiteLLM_DeprecatedVerificationToken" WHERE token = $1`, [hashKey(KEYS.MCPGW_KEY_CODEX)]))
        .rows;
      expect(deprecated).toEqual([{ active_token_id: hashKey(key) }]);
    } finally {
      await db.end();
    }
  });

  it('rotating an expired key leaves it refused and gives the new key its old lifetime', async () => {
    const created = await runCli(['keys', 'create', '--alias', 'lapsed', '--mcp', 'alpha', '--expires', '1h', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { key: old } = JSON.parse(created.stdout) as { key: string };
    const db = await pgContainerClient();
    try {
      await db.query(`SET TIME ZONE 'UTC'`);
      await db.query(
        `UPDATE "LiteLLM_VerificationToken" SET created_at = (now() AT TIME ZONE 'UTC') - interval ` +
          `'3 hours', expires = (now() AT TIME ZONE 'UTC') - interval '1 hour' WHERE key_alias = 'lapsed'`,
      );
      expect(await settledTools(old, is(401))).toBe(401);
      const rotated = await runCli(['keys', 'rotate', 'lapsed', '--grace', '1h', '--json'], { cwd: dir });
      expect(rotated.code, rotated.stderr).toBe(0);
      const { key } = JSON.parse(rotated.stdout) as { key: string };
      // LiteLLM's own answer through the gateway: the new key is admitted, the old one stays refused.
      expect(await settledTools(key, is(['alpha']))).toEqual(['alpha']);
      await outlastKeyCache();
      expect(await gatewayTools(old)).toBe(401);
      const { rows } = await db.query(
        `SELECT token, extract(epoch FROM expires - (now() AT TIME ZONE 'UTC'))::int AS left_s,
                (SELECT count(*)::int FROM "LiteLLM_DeprecatedVerificationToken" d WHERE d.token = $1) AS deprecated
           FROM "LiteLLM_VerificationToken" WHERE key_alias LIKE 'lapsed%'`,
        [hashKey(old)],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token).toBe(hashKey(key));
      expect(rows[0].deprecated).toBe(0);
      // The row's lifetime was 2 h (created 3 h ago, expired 1 h ago): the new key gets 2 h from now.
      expect(Math.abs(rows[0].left_s - 7200)).toBeLessThan(120);
    } finally {
      await db.end();
      await runCli(['keys', 'revoke', 'lapsed'], { cwd: dir });
    }
  });

  it('keys sync leaves a key blocked through LiteLLM blocked', async () => {
    expect(await litellmAdmin('/key/block', { key: hashKey(KEYS.MCPGW_KEY_CLAUDE_CODE) })).toBe(200);
    try {
      const sync = await runCli(['keys', 'sync', '--json'], { cwd: dir });
      expect(sync.code, sync.stderr).toBe(0);
      expect(JSON.parse(sync.stdout).changes).toContainEqual({ alias: 'claude-code', action: 'keep', blocked: true });
      const up = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      // LiteLLM itself still refuses the key after sync and up.
      await outlastKeyCache();
      expect([401, 403]).toContain(await gatewayTools(KEYS.MCPGW_KEY_CLAUDE_CODE));
    } finally {
      expect(await litellmAdmin('/key/unblock', { key: hashKey(KEYS.MCPGW_KEY_CLAUDE_CODE) })).toBe(200);
    }
    expect(await settledTools(KEYS.MCPGW_KEY_CLAUDE_CODE, is(['alpha']))).toEqual(['alpha']);
  });

  it('a declared key whose value changed keeps one row for its alias', async () => {
    const secretsFile = path.join(dir, 'secrets.env');
    const before = await readFile(secretsFile, 'utf8');
    const old = /^MCPGW_KEY_CODEX=(.*)$/m.exec(before)?.[1] ?? '';
    const fresh = 'sk-itest-codex-new-value-7d1e0c9b2a4f';
    await writeFile(secretsFile, before.replace(/^MCPGW_KEY_CODEX=.*$/m, `MCPGW_KEY_CODEX=${fresh}`));
    const dry = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
    expect(JSON.parse(dry.stdout).changes).toContainEqual({ alias: 'codex', action: 'update', fields: ['key'] });
    const sync = await runCli(['keys', 'sync'], { cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/update {2}codex \(key\)/);
    // Rows the old sync left behind: doctor names an alias held by two keys (the old value a second row).
    const duplicate = await runCli(['keys', 'create', '--alias', 'dupe', '--json'], { cwd: dir });
    expect(duplicate.code, duplicate.stderr).toBe(0);
    const db = await pgContainerClient();
    try {
      const { rows } = await db.query(`SELECT token, key_name FROM "LiteLLM_VerificationToken" WHERE key_alias = 'codex'`);
      expect(rows).toEqual([{ token: hashKey(fresh), key_name: abbreviateKey(fresh) }]);
      await db.query(
        `INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, models, object_permission_id)
         SELECT $1, 'sk-...dupe', key_alias, models, NULL FROM "LiteLLM_VerificationToken" WHERE key_alias = 'dupe'`,
        [hashKey('sk-itest-second-row-of-dupe-0123456789')],
      );
      const doctor = await runCli(['doctor', '--json', '--offline', '--only', 'keys.aliases'], { cwd: dir });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/2 keys answer to alias dupe and every one of them is admitted/);
      expect((await runCli(['keys', 'revoke', 'dupe'], { cwd: dir })).code).toBe(0);
      expect((await runCli(['doctor', '--json', '--offline', '--only', 'keys.aliases'], { cwd: dir })).code).toBe(0);
    } finally {
      await db.end();
    }
    expect(await settledTools(fresh, is(['alpha', 'beta']))).toEqual(['alpha', 'beta']);
    expect(await settledTools(old, is(401))).toBe(401);
  });

  it('writes timestamps in UTC whatever the time zone of the database', async () => {
    const db = await pgContainerClient();
    try {
      await owner(`ALTER DATABASE litellm SET TimeZone = 'America/New_York'`);
      const created = await runCli(['keys', 'create', '--alias', 'zoned', '--json'], { cwd: dir });
      expect(created.code, created.stderr).toBe(0);
      await db.query(`SET TIME ZONE 'UTC'`);
      const { rows } = await db.query(
        `SELECT abs(extract(epoch FROM created_at - (now() AT TIME ZONE 'UTC')))::int AS created_off, abs(extract(epoch FROM updated_at - (now() AT TIME ZONE 'UTC')))::int AS updated_off
           FROM "LiteLLM_VerificationToken" WHERE key_alias = 'zoned'`,
      );
      expect(rows[0].created_off).toBeLessThan(120);
      expect(rows[0].updated_off).toBeLessThan(120);
    } finally {
      await owner(`ALTER DATABASE litellm RESET TimeZone`);
      await db.end();
      await runCli(['keys', 'revoke', 'zoned'], { cwd: dir });
    }
  });

  it('refuses keys LiteLLM cannot receive and the master key, and every alias it wrote passes ' + "LiteLLM's alias format check", async () => {
    const unicode = await runCli(['keys', 'create', '--alias', 'unicode', '--key', 'sk-ünïcödé-key-0123456789abcdef'], { cwd: dir });
    expect(unicode.code).toBe(2);
    expect(unicode.stderr).toMatch(/--key contains whitespace, control or non-ASCII characters/);
    const master = await runCli(['keys', 'create', '--alias', 'admin', '--key', MASTER_KEY], { cwd: dir });
    expect(master.code).toBe(2);
    expect(master.stderr).toMatch(/--key is the LiteLLM master key/);
    expect(master.stderr).not.toContain(MASTER_KEY);
    const db = await pgContainerClient();
    let aliases: string[] = [];
    try {
      aliases = (await db.query(`SELECT key_alias FROM "LiteLLM_VerificationToken" WHERE key_alias IS NOT NULL`)).rows.map((row) => row.key_alias as string);
    } finally {
      await db.end();
    }
    expect(aliases.length).toBeGreaterThan(1);
    const script =
      `import json,sys\nimport litellm\nfrom ` +
      `litellm.proxy.management_endpoints.key_management_endpoints import ` +
      `_validate_key_alias_format\nlitellm.enable_key_alias_format_validation = True\nbad = ` +
      `[]\nfor a in json.loads(sys.argv[1]):\n    try:\n        _validate_key_alias_format(a)\n   ` +
      ` except Exception as e:\n        bad.append(a)\nprint(json.dumps(bad))`;
    // The control: the alias form rotation used to write, which LiteLLM's check refuses.
    const control = 'codex@rotated-2026-12-01T22:23:05';
    expect(await litellmPython(script, [...aliases, control])).toEqual([control]);
  });

  it('grants name the server ids LiteLLM itself reports for the rendered config: the pinned server_id', async () => {
    const response = await fetch(`http://127.0.0.1:${PORT}/v1/mcp/server`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(200);
    const litellmIds = Object.fromEntries(
      ((await response.json()) as { server_id: string; server_name: string }[]).map((server) => [server.server_name, server.server_id]),
    );
    const rendered = parse(await readFile(path.join(dir, 'config', 'config.yaml'), 'utf8')) as { mcp_servers: Record<string, { server_id: string }> };
    expect(litellmIds).toEqual({ alpha: rendered.mcp_servers.alpha?.server_id, beta: rendered.mcp_servers.beta?.server_id });
    const db = await pgContainerClient();
    try {
      const { rows } = await db.query(
        `SELECT v.key_alias, p.mcp_servers FROM "LiteLLM_VerificationToken" v JOIN ` +
          `"LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias IN ` +
          `('claude-code', 'codex') ORDER BY 1`,
      );
      expect(rows).toEqual([
        { key_alias: 'claude-code', mcp_servers: [litellmIds.alpha] },
        { key_alias: 'codex', mcp_servers: [litellmIds.alpha, litellmIds.beta].sort() },
      ]);
    } finally {
      await db.end();
    }
  });

  it('moves a grant holding the derived id of before to the pinned one once, and doctor names ' + 'grants of servers that do not exist', async () => {
    const created = await runCli(['keys', 'create', '--alias', 'adhoc', '--mcp', 'alpha', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const [, legacy] = await derivedAlphaId();
    const db = await pgContainerClient();
    try {
      const permission = `(SELECT object_permission_id FROM "LiteLLM_VerificationToken" WHERE key_alias = 'adhoc')`;
      await db.query(`UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = ARRAY[$1] WHERE object_permission_id = ${permission}`, [legacy]);
      expect(await settledTools(key, is([]))).toEqual([]);
      const before = await runCli(['doctor', '--json', '--offline', '--only', 'keys.server-ids'], { cwd: dir });
      expect(before.code).toBe(1);
      expect(before.stdout).toMatch(/adhoc grants alpha by its old derived id/);
      const sync = await runCli(['keys', 'sync', '--json'], { cwd: dir });
      expect(sync.code, sync.stderr).toBe(0);
      expect(JSON.parse(sync.stdout)).toMatchObject({ migratedGrants: 1 });
      expect((await runCli(['keys', 'sync', '--json'], { cwd: dir })).stdout).not.toContain('migratedGrants');
      // LiteLLM's answer: the migrated grant reaches alpha again.
      expect(await settledTools(key, is(['alpha']))).toEqual(['alpha']);
      await db.query(
        `UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = ARRAY['0123456789abcdef0123456789abcdef'] WHERE object_permission_id = ${permission}`,
      );
      const gone = await runCli(['doctor', '--json', '--offline', '--only', 'keys.server-ids'], { cwd: dir });
      expect(gone.code).toBe(1);
      expect(gone.stdout).toMatch(/adhoc grants server id\(s\) 0123456789abcdef0123456789abcdef that no server in config.yaml has/);
      const list = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: { alias: string; mcpServers: string[] }[] };
      expect(list.keys.find((row) => row.alias === 'adhoc')?.mcpServers).toEqual(['unknown:0123456789abcdef0123456789abcdef']);
    } finally {
      await db.end();
      await runCli(['keys', 'revoke', 'adhoc'], { cwd: dir });
    }
    const after = await runCli(['doctor', '--json', '--offline', '--only', 'keys.server-ids'], { cwd: dir });
    expect(after.code, after.stdout).toBe(0);
  });

  it("a key made with keys create keeps its server when the server's URL changes: the pinned id " + "stays, LiteLLM's derived one would not", async () => {
    const created = await runCli(['keys', 'create', '--alias', 'moves', '--mcp', 'alpha', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const serverIdsOfLiteLLM = async () =>
      Object.fromEntries(
        (
          (await (await fetch(`http://127.0.0.1:${PORT}/v1/mcp/server`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).json()) as {
            server_id: string;
            server_name: string;
          }[]
        ).map((server) => [server.server_name, server.server_id]),
      );
    const before = { ids: await serverIdsOfLiteLLM(), derived: await derivedAlphaId() };
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    const config = parse(original) as { mcp_servers: Record<string, Record<string, unknown>> };
    // Same published port, another port inside the container: the URL LiteLLM uses changes.
    config.mcp_servers.alpha = { ...config.mcp_servers.alpha, container_port: 3001, environment: { PORT: '3001' } };
    await writeFile(file, stringify(config));
    try {
      const up = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      const after = { ids: await serverIdsOfLiteLLM(), derived: await derivedAlphaId() };
      expect(after.derived[0]).not.toBe(before.derived[0]);
      expect(after.derived[1]).not.toBe(before.derived[1]);
      expect(after.ids).toEqual(before.ids);
      expect(await gatewayTools(key)).toEqual(['alpha']);
    } finally {
      await writeFile(file, original);
      expect((await runCli(['up', '--no-probe'], { cwd: dir })).code).toBe(0);
      await runCli(['keys', 'revoke', 'moves'], { cwd: dir });
    }
  });

  it(
    'writes the key settings as code (tool allow-list, rate limits, budget window) and LiteLLM ' + 'enforces them; drift fails doctor and dry runs',
    async () => {
      const limitedKey = 'sk-itest-limited-tools-3e8a1f0c5b7d9264';
      const restore = await declareKeys(
        [
          {
            alias: 'limited',
            mcp_servers: ['alpha', 'beta'],
            mcp_tools: { beta: ['echo'] },
            rpm_limit: 3,
            tpm_limit: 100000,
            max_parallel_requests: 2,
            budget: 5,
            budget_duration: '30d',
          },
        ],
        { MCPGW_KEY_LIMITED: limitedKey },
      );
      const db = await pgContainerClient();
      try {
        const pending = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
        expect(pending.code).toBe(1);
        expect(JSON.parse(pending.stdout)).toMatchObject({ dryRun: true, ok: false });
        const sync = await runCli(['keys', 'sync'], { cwd: dir });
        expect(sync.code, sync.stderr).toBe(0);
        expect(sync.stdout).toMatch(/create {2}limited/);
        expect((await runCli(['keys', 'sync', '--dry-run'], { cwd: dir })).code).toBe(0);

        // LiteLLM's own view through the gateway: every alpha tool, and of beta only echo.
        const all = (await mcpRequest(MASTER_KEY, 'tools/list', {})).message?.result?.tools?.map((tool) => tool.name) ?? [];
        const seen = (await mcpRequest(limitedKey, 'tools/list', {})).message?.result?.tools?.map((tool) => tool.name).sort();
        expect(all.filter((tool) => tool.startsWith('beta-')).length).toBeGreaterThan(1);
        expect(seen).toEqual([...all.filter((tool) => tool.startsWith('alpha-')), 'beta-echo'].sort());
        const other = all.find((tool) => tool.startsWith('beta-') && tool !== 'beta-echo') ?? '';
        const refused = await mcpRequest(limitedKey, 'tools/call', { name: other, arguments: {} });
        expect(refused.status !== 200 || refused.message?.error !== undefined || refused.message?.result?.isError === true, refused.body).toBe(true);

        // rpm_limit 3: LiteLLM's limiter answers a tool call over the limit with 429.
        const calls = [];
        for (let i = 0; i < 6; i++) calls.push(await mcpRequest(limitedKey, 'tools/call', { name: 'beta-echo', arguments: { message: `n${i}` } }));
        expect(calls[0]?.body).toContain('n0');
        expect(
          calls.some((call) => call.status === 429 || /\b429\b|rate limit/i.test(call.body)),
          calls.map((call) => `${call.status} ${call.body.slice(0, 200)}`).join('\n'),
        ).toBe(true);

        const row = (
          await db.query(
            `SELECT v.rpm_limit::int, v.tpm_limit::int, v.max_parallel_requests, v.max_budget, v.budget_duration, v.budget_reset_at IS NOT NULL AS has_reset, p.mcp_tool_permissions, p.mcp_servers
             FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias = 'limited'`,
          )
        ).rows[0];
        expect(row).toMatchObject({ rpm_limit: 3, tpm_limit: 100000, max_parallel_requests: 2, max_budget: 5, budget_duration: '30d', has_reset: true });
        const list = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: Record<string, unknown>[] };
        expect(list.keys.find((key) => key.alias === 'limited')).toMatchObject({
          mcpServers: ['alpha', 'beta'],
          mcpTools: { beta: ['echo'] },
          rpmLimit: 3,
          tpmLimit: 100000,
          maxParallelRequests: 2,
          budget: 5,
          budgetDuration: '30d',
        });

        // Drift made in LiteLLM's tables: doctor names it, a dry run exits 1, sync repairs it.
        await db.query(`UPDATE "LiteLLM_VerificationToken" SET rpm_limit = 1000 WHERE key_alias = 'limited'`);
        const doctor = await runCli(['doctor', '--json', '--offline', '--only', 'keys.settings'], { cwd: dir });
        expect(doctor.code).toBe(1);
        expect(doctor.stdout).toMatch(/limited differs from mcpgw.yaml in rpm_limit/);
        const dry = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
        expect(dry.code).toBe(1);
        expect(JSON.parse(dry.stdout).changes).toContainEqual({ alias: 'limited', action: 'update', fields: ['rpm_limit'] });

        // The union caveat: with beta only in mcp_tool_permissions, LiteLLM still grants beta; doctor warns.
        await db.query(
          `UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = ARRAY[$1] WHERE ` +
            `object_permission_id = (SELECT object_permission_id FROM "LiteLLM_VerificationToken" WHERE ` +
            `key_alias = 'limited')`,
          [row.mcp_servers.find((id: string) => !Object.keys(row.mcp_tool_permissions).includes(id))],
        );
        const listed = await waitUntil(
          'beta-echo listed for the key once its row names beta',
          async () => {
            const names = (await mcpRequest(limitedKey, 'tools/list', {})).message?.result?.tools?.map((tool) => tool.name) ?? [];
            return names.includes('beta-echo') ? names : undefined;
          },
          { timeoutMs: 15_000 },
        );
        expect(listed).toContain('beta-echo');
        const union = await runCli(['doctor', '--json', '--offline', '--only', 'keys.tool-permissions'], { cwd: dir });
        expect(union.stdout).toMatch(/limited: .* only in mcp_tool_permissions/);

        expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
        expect((await runCli(['keys', 'sync', '--dry-run'], { cwd: dir })).code).toBe(0);
        expect((await runCli(['doctor', '--json', '--offline', '--only', 'keys.settings', 'keys.tool-permissions'], { cwd: dir })).code).toBe(0);
      } finally {
        await db.end();
        await restore();
      }
    },
  );

  it(
    'LiteLLM refuses a key over its tpm_limit (counting the tokens the model reported) and a ' +
      'second request while its one max_parallel_requests slot is held, on MCP tool calls too',
    async () => {
      const TPM = 40;
      const tpmKey = 'sk-itest-tpm-limit-0a9c7e5b3d1f8264';
      const parallelKey = 'sk-itest-parallel-limit-7f2d4b6a8c0e1395';
      const restore = await declareKeys(
        [
          { alias: 'tpm', mcp_servers: ['alpha'], tpm_limit: TPM },
          { alias: 'parallel', mcp_servers: ['alpha'], max_parallel_requests: 1 },
        ],
        { MCPGW_KEY_TPM: tpmKey, MCPGW_KEY_PARALLEL: parallelKey },
      );
      try {
        const sync = await runCli(['keys', 'sync'], { cwd: dir });
        expect(sync.code, sync.stderr).toBe(0);
        // Tool calls report no token usage: they pass, and leave the key's token window empty.
        for (const nonce of ['t0', 't1', 't2'])
          expect((await mcpRequest(tpmKey, 'tools/call', { name: 'alpha-echo', arguments: { message: nonce } })).body).toContain(`Echo: ${nonce}`);
        const used: number[] = [];
        let refused: Awaited<ReturnType<typeof chat>> | undefined;
        for (let i = 0; i < 6 && !refused; i++) {
          const answer = await chat(tpmKey);
          if (answer.status === 200) used.push(answer.body.usage?.total_tokens ?? 0);
          else refused = answer;
          // LiteLLM settles each request's token reservation with the reported usage in a callback after the reply.
          await sleep(500);
        }
        expect(used.length).toBeGreaterThan(0);
        expect(
          used.every((tokens) => tokens > 0),
          used.join(','),
        ).toBe(true);
        expect(refused?.status, JSON.stringify(refused?.body)).toBe(429);
        // LiteLLM's own account of the window: exactly the tokens the model reported for the admitted chats.
        const spent = used.reduce((sum, tokens) => sum + tokens, 0);
        expect(refused?.body.error?.message).toMatch(new RegExp(`Limit type: tokens\\. Current limit: ${TPM}, Remaining: ${Math.max(0, TPM - spent)}\\.`));
        // The window the chats spent refuses the key's MCP tool calls as well.
        const tool = await mcpRequest(tpmKey, 'tools/call', { name: 'alpha-echo', arguments: { message: 'after' } });
        expect(tool.message?.result?.isError, tool.body).toBe(true);
        expect(tool.body).toMatch(/Limit type: tokens/);

        // max_parallel_requests 1: while a long tool call holds the key's slot, a second call is refused. LiteLLM shows
        // no sign of a taken slot, so the second call goes 1.5 s into the 5 s one.
        const slow = mcpRequest(parallelKey, 'tools/call', { name: 'alpha-trigger-long-running-operation', arguments: { duration: 5, steps: 1 } });
        await sleep(1500);
        const second = await mcpRequest(parallelKey, 'tools/call', { name: 'alpha-echo', arguments: { message: 'second' } });
        expect(second.message?.result?.isError, second.body).toBe(true);
        expect(second.body).toMatch(/Limit type: max_parallel_requests\. Current limit: 1, Remaining: 0/);
        expect((await slow).body).toContain('Long running operation completed');
        // The slot comes back when the call ends.
        expect((await mcpRequest(parallelKey, 'tools/call', { name: 'alpha-echo', arguments: { message: 'third' } })).body).toContain('Echo: third');
      } finally {
        await restore();
      }
    },
  );

  it("LiteLLM's own budget reset job resets the window mcpgw wrote (spend 0, the next " + 'budget_reset_at), and keys sync leaves it so', async () => {
    const restore = await declareKeys([{ alias: 'windowed', mcp_servers: ['alpha'], budget: 5, budget_duration: '1d' }], {
      MCPGW_KEY_WINDOWED: 'sk-itest-windowed-budget-5b3e1d9f7a2c4068',
    });
    const db = await pgContainerClient();
    const row = async () =>
      (
        await db.query(
          `SELECT spend, budget_reset_at, budget_reset_at > now() AT TIME ZONE 'UTC' AS ahead, budget_reset_at <= now() AT TIME ZONE 'UTC' + interval '1 day' AS within_a_day
             FROM "LiteLLM_VerificationToken" WHERE key_alias = 'windowed'`,
        )
      ).rows[0] as { spend: number; budget_reset_at: Date; ahead: boolean; within_a_day: boolean };
    try {
      const sync = await runCli(['keys', 'sync'], { cwd: dir });
      expect(sync.code, sync.stderr).toBe(0);
      // Spend in a window that ended an hour ago, as the key stands when LiteLLM's job next runs.
      await db.query(
        `UPDATE "LiteLLM_VerificationToken" SET spend = 1.25, budget_reset_at = now() AT TIME ZONE 'UTC' - interval '1 hour' WHERE key_alias = 'windowed'`,
      );
      expect(await row()).toMatchObject({ spend: 1.25, ahead: false });
      expect(await litellmPython(RESET_KEY_BUDGETS, null)).toBe('reset');
      const reset = await row();
      expect(reset).toMatchObject({ spend: 0, ahead: true, within_a_day: true });
      // keys sync does not fight the job: no drift, and the window stays as LiteLLM set it.
      const dry = await runCli(['keys', 'sync', '--dry-run', '--json'], { cwd: dir });
      expect(dry.code, dry.stdout).toBe(0);
      expect(JSON.parse(dry.stdout).changes).toContainEqual({ alias: 'windowed', action: 'keep' });
      expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
      expect(await row()).toEqual(reset);
      expect((await runCli(['doctor', '--json', '--offline', '--only', 'keys.settings'], { cwd: dir })).code).toBe(0);
    } finally {
      await db.end();
      await restore();
    }
  });

  it('up with no key declared still moves the grants of keys made with keys create to the pinned server ids', async () => {
    const created = await runCli(['keys', 'create', '--alias', 'undeclared', '--mcp', 'alpha', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const [, legacy] = await derivedAlphaId();
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    const config = parse(original) as Record<string, unknown>;
    delete config.keys;
    await writeFile(file, stringify(config));
    const db = await pgContainerClient();
    try {
      await db.query(
        `UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = ARRAY[$1] WHERE ` +
          `object_permission_id = (SELECT object_permission_id FROM "LiteLLM_VerificationToken" WHERE ` +
          `key_alias = 'undeclared')`,
        [legacy],
      );
      expect(await settledTools(key, is([]))).toEqual([]);
      const up = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toMatch(/ok {4}keys: no keys declared in mcpgw.yaml; moved 1 grant row\(s\) to the pinned server ids/);
      expect(await settledTools(key, is(['alpha']))).toEqual(['alpha']);
      const again = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/ok {4}keys: no keys declared in mcpgw.yaml\n/);
    } finally {
      await db.end();
      await writeFile(file, original);
      await runCli(['keys', 'revoke', 'undeclared'], { cwd: dir });
    }
  });

  it('revokes a key so the gateway refuses it', async () => {
    const result = await runCli(['keys', 'revoke', 'claude-code'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(await settledTools(KEYS.MCPGW_KEY_CLAUDE_CODE, is(401))).toBe(401);
    expect((await runCli(['keys', 'revoke', 'claude-code'], { cwd: dir })).code).toBe(2);
  });

  it('says clearly when the password is wrong, without printing it', async () => {
    const secretsFile = path.join(dir, 'secrets.env');
    const original = await readFile(secretsFile, 'utf8');
    // mcpgw logs in as its own keys role (LiteLLM's is refused from this machine): that password is the one it uses.
    await writeFile(secretsFile, original.replace(/^MCPGW_POSTGRES_KEYS_PASSWORD=.*$/m, 'MCPGW_POSTGRES_KEYS_PASSWORD=wrong-password-123'));
    try {
      const result = await runCli(['keys', 'list'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Postgres refused the password for mcpgw_keys@/);
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
