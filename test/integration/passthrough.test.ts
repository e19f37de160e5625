import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { isProviderDefaultVariable, KEY_ALLOWED_ROUTES, PASS_THROUGH_PREFIXES } from '../../src/litellm/routes.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { keysRoleClient } from '../helpers/stack-db.js';
import { clearUpstreamRequests, startUpstream, upstreamNetwork, upstreamRequests } from '../helpers/upstream.js';
import type { StartedContainer } from '../stack/stack.js';
import { waitUntil } from '../../src/time/wait.js';

/**
 * Issue 29, item 4: a virtual key must not spend the operator's provider key through LiteLLM's pass-through
 * routes. The stack names its model's secret ANTHROPIC_API_KEY, as README and the template suggest; the upstream
 * stand-in (test/stack/llm-fixture) records what it receives. LiteLLM's /anthropic, /openai and /gemini routes are
 * pointed at the stand-in (their *_API_BASE, through config.yaml's environment_variables), and LiteLLM's container
 * has no default route, so a route that forwarded anything could reach only the stand-in.
 */
const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const name = `mcpgwt-${run}-pass`;
const PORT = 14787;
const MASTER_KEY = 'sk-itest-master-5c1e8d2f9a';
const OPERATOR_KEY = 'sk-ant-itest-operator-3e9d1c7b5a0f2468';
const KEYS = {
  MCPGW_KEY_CLAUDE_CODE: 'sk-itest-pass-claude-code-7a1c9e3b5d',
  MCPGW_KEY_LIMITED: 'sk-itest-pass-limited-2f8b4d6a0c1e',
};
const BASE = `http://127.0.0.1:${PORT}`;
const exec = promisify(execFile);

/** The body's model where LiteLLM validates it before it checks the route (the OSS decision routes). */
const MODEL_BY_PREFIX: Record<string, string> = { '/bespoke': 'nimble', '/laya': 'english' };

/**
 * One request as an attacker holding `key` sends it: LiteLLM's key in its own header (which LiteLLM reads first
 * on every route) and as Bearer, as the SDKs send it.
 */
async function call(method: string, route: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const prefix = `/${route.split('/')[1]}`;
  const model = MODEL_BY_PREFIX[prefix] ?? 'fixture-claude';
  // Langfuse's SDK sends Basic credentials, the LiteLLM key as their secret half: the only form that route reads.
  const authorization = prefix === '/langfuse' ? `Basic ${Buffer.from(`pk-lf-attacker:${key}`).toString('base64')}` : `Bearer ${key}`;
  const response = await fetch(`${BASE}${route}`, {
    method,
    // A header given as '' is left out.
    headers: Object.fromEntries(
      Object.entries({
        'x-litellm-api-key': `Bearer ${key}`,
        authorization,
        // Google's SDK style, the only place the /gemini route reads the key.
        ...(prefix === '/gemini' ? { 'x-goog-api-key': key } : {}),
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        ...headers,
      }).filter(([, value]) => value !== ''),
    ),
    ...(method === 'GET' ? {} : { body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) }),
  });
  return { status: response.status, body: await response.text() };
}

/** The proxy answers its readiness route with the database connected (after a restart). */
async function waitReady(timeoutMs = 360_000): Promise<void> {
  await waitUntil(
    'LiteLLM ready with its database connected',
    async () => {
      const response = await fetch(`${BASE}/health/readiness`);
      const body = (await response.json()) as { db?: string };
      if (response.ok && body.db === 'connected') return true;
      throw new Error(`HTTP ${response.status} db=${body.db}`);
    },
    { timeoutMs },
  );
}

describe("LiteLLM's provider pass-through routes and mcpgw's keys", () => {
  let dir = '';
  let llm: StartedContainer | undefined;
  let noGrantKey = '';
  /** Every pass-through request path the running proxy mounts (from its OpenAPI), with a method it takes. */
  let routes: { method: string; route: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-pass-'));
    llm = await startUpstream(docker, stack, run, name, OPERATOR_KEY);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48787 } },
      secrets: { ...KEYS, ANTHROPIC_API_KEY: OPERATOR_KEY },
      extra: {
        keys: [
          { alias: 'claude-code', mcp_servers: ['alpha'] },
          { alias: 'limited', mcp_servers: ['alpha'], mcp_tools: { alpha: ['echo'] } },
        ],
      },
    });
    const file = path.join(dir, 'mcpgw.yaml');
    const config = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
    config.litellm.models = [{ name: 'fixture-claude', model: 'anthropic/claude-3-haiku-20240307', api_base: 'http://llm:8080', api_key: 'ANTHROPIC_API_KEY' }];
    config.litellm.key_cache_ttl = 1;
    // LiteLLM reaches the stand-in on the fixture's network, which it joins beside its own.
    config.litellm.networks = [upstreamNetwork(name)];
    await writeFile(file, stringify(config));
    let up = await runCli(['up'], { cwd: dir });
    // DB-mode LiteLLM can take longer than up's 180 s to answer on this shared 2-core host; a second up waits on
    // the same container again.
    if (up.code !== 0 && /timed out after 180 s waiting for litellm/.test(up.stderr)) up = await runCli(['up'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);

    // The stand-in behind the pass-through routes a test could otherwise send out of this machine.
    const configFile = path.join(dir, 'config', 'config.yaml');
    const rendered = parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    rendered.environment_variables = { ANTHROPIC_API_BASE: 'http://llm:8080', OPENAI_API_BASE: 'http://llm:8080/v1', GEMINI_API_BASE: 'http://llm:8080' };
    await writeFile(configFile, stringify(rendered));
    const litellm = docker.getContainer(`${name}-litellm`);
    await litellm.restart();
    const pid = String((await litellm.inspect()).State.Pid);
    await exec('nsenter', ['-t', pid, '-n', 'ip', 'route', 'del', 'default']);
    expect((await exec('nsenter', ['-t', pid, '-n', 'ip', 'route', 'show', 'default'])).stdout.trim()).toBe('');
    await waitReady();

    const created = await runCli(['keys', 'create', '--alias', 'no-grant', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    noGrantKey = (JSON.parse(created.stdout) as { key: string }).key;

    // LiteLLM registers most pass-through routers on the first request under their prefix (proxy/_lazy_features.py):
    // one request without a key to each known prefix first, so the OpenAPI document lists them all.
    for (const prefix of PASS_THROUGH_PREFIXES) await (await fetch(`${BASE}${prefix}/`)).text();
    const openapi = (await (await fetch(`${BASE}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    // The routes LiteLLM tags pass-through; its own handlers that share a prefix (/openai/deployments/…/chat/completions,
    // /cursor/chat/completions, /openai/v1/responses) are model routes that check the key's models.
    routes = Object.entries(openapi.paths).flatMap(([route, operations]) => {
      if (!Object.values(operations).some((operation) => operation.tags?.includes('pass-through'))) return [];
      const method = ['post', 'get', 'put', 'patch', 'delete'].find((candidate) => operations[candidate]) ?? 'post';
      return [
        {
          method: method.toUpperCase(),
          route: route.replace(/\{[^}]+\}/g, (param) => (param.includes(':path') || param === '{endpoint}' ? 'v1/messages' : 'x')),
        },
      ];
    });
    await clearUpstreamRequests(llm);
  }, 1_200_000);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await llm?.remove();
    await docker
      .getNetwork(`${name}-mcp`)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('renders the model secret under a name no provider reads, and LiteLLM runs with no provider default set', async () => {
    const env = await readFile(path.join(dir, 'env', 'litellm.env'), 'utf8');
    expect(env).toContain(`MCPGW_SECRET_ANTHROPIC_API_KEY=${OPERATOR_KEY}`);
    expect(env).not.toMatch(/^ANTHROPIC_API_KEY=/m);
    expect(await readFile(path.join(dir, 'config', 'config.yaml'), 'utf8')).toContain('api_key: os.environ/MCPGW_SECRET_ANTHROPIC_API_KEY');
    const running = (await docker.getContainer(`${name}-litellm`).inspect()).Config.Env.map((entry) => entry.split('=')[0] ?? '');
    expect(running.filter(isProviderDefaultVariable)).toEqual([]);
    // The user's secrets file keeps its own name.
    expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toMatch(/^ANTHROPIC_API_KEY=/m);
  });

  it('covers every pass-through route the running proxy mounts', () => {
    const prefixes = new Set(routes.map(({ route }) => `/${route.split('/')[1]}`));
    expect([...prefixes]).toEqual(expect.arrayContaining(['/anthropic', '/openai', '/gemini', '/langfuse', '/bedrock', '/vertex_ai']));
    // A prefix the proxy mounts that src/litellm/routes.ts does not know would escape the doctor's check.
    expect([...prefixes].filter((prefix) => !PASS_THROUGH_PREFIXES.includes(prefix))).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it('refuses a no-grant key, a tool-limited key and a declared client key on every pass-through route, and nothing reaches the upstream', async () => {
    const keys = { 'no-grant': noGrantKey, limited: KEYS.MCPGW_KEY_LIMITED, 'claude-code': KEYS.MCPGW_KEY_CLAUDE_CODE };
    const admitted: string[] = [];
    for (const [alias, key] of Object.entries(keys)) {
      for (const { method, route } of routes) {
        const answer = await call(method, route, key);
        if (answer.status !== 403 || !/not allowed to call this route/.test(answer.body))
          admitted.push(`${alias} ${method} ${route} → ${answer.status} ${answer.body.slice(0, 120)}`);
      }
      // The Anthropic SDK's own header style too.
      const sdk = await call('POST', '/anthropic/v1/messages', key, { 'x-api-key': key, 'x-litellm-api-key': '', authorization: '' });
      if (sdk.status !== 401 && sdk.status !== 403) admitted.push(`${alias} x-api-key /anthropic/v1/messages → ${sdk.status}`);
    }
    expect(admitted).toEqual([]);
    expect(await upstreamRequests(llm as StartedContainer)).toEqual([]);
    // The same keys still do what they are for: a model through LiteLLM's own route, with the operator's key upstream.
    const chat = await call('POST', '/v1/messages', KEYS.MCPGW_KEY_CLAUDE_CODE);
    expect(chat.status, chat.body).toBe(200);
    const upstream = await upstreamRequests(llm as StartedContainer);
    expect(upstream.map((request) => request.headers['x-api-key'])).toEqual([OPERATOR_KEY]);
  });

  it("never sends the operator's key on a pass-through route, even for the master key or a caller's own key", async () => {
    await clearUpstreamRequests(llm as StartedContainer);
    const admin = await call('POST', '/anthropic/v1/messages', MASTER_KEY);
    // No credential for the route: LiteLLM refuses before forwarding (with ANTHROPIC_API_KEY set it sent that).
    expect(admin.status, admin.body).toBe(401);
    expect(await upstreamRequests(llm as StartedContainer)).toEqual([]);
    // A caller who brings their own Anthropic key reaches the stand-in with it: the route is live, and no key of ours goes along.
    await call('POST', '/anthropic/v1/messages', MASTER_KEY, { 'x-api-key': 'sk-ant-callers-own-0000' });
    const forwarded = await upstreamRequests(llm as StartedContainer);
    expect(forwarded.map((request) => [request.path, request.headers['x-api-key']])).toEqual([['/v1/messages', 'sk-ant-callers-own-0000']]);
    expect(JSON.stringify(forwarded)).not.toContain(OPERATOR_KEY);
  });

  it('closes the routes to a key mcpgw wrote before it set allowed_routes, on the next keys sync', async () => {
    const created = await runCli(['keys', 'create', '--alias', 'older', '--json'], { cwd: dir });
    const older = (JSON.parse(created.stdout) as { key: string }).key;
    // As mcpgw's keys role, the way mcpgw itself reaches the rows from this machine.
    const db = await keysRoleClient(docker, name, dir);
    try {
      await db.query(`UPDATE "LiteLLM_VerificationToken" SET allowed_routes = '{}' WHERE key_alias = 'older'`);
      // What every key got before: the route is open to it (LiteLLM then finds no provider credential of ours), once
      // LiteLLM's key cache lets the row it read before go.
      const open = await waitUntil('the route open to the key', async () => {
        const answer = await call('POST', '/anthropic/v1/messages', older);
        return /not allowed to call this route/.test(answer.body) ? undefined : answer;
      });
      expect(open.body).not.toMatch(/not allowed to call this route/);
      const sync = await runCli(['keys', 'sync'], { cwd: dir });
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.stdout).toMatch(/closed LiteLLM's provider pass-through routes to 1 key\(s\) mcpgw wrote before it set allowed_routes/);
      const { rows } = await db.query(`SELECT allowed_routes FROM "LiteLLM_VerificationToken" WHERE key_alias = 'older'`);
      expect(rows[0].allowed_routes).toEqual([...KEY_ALLOWED_ROUTES]);
      const closed = await waitUntil('the route closed to the key', async () => {
        const answer = await call('POST', '/anthropic/v1/messages', older);
        return answer.status === 403 ? answer : undefined;
      });
      expect(closed.status).toBe(403);
      expect(closed.body).toMatch(/not allowed to call this route/);
    } finally {
      await db.end();
      await runCli(['keys', 'revoke', 'older'], { cwd: dir });
    }
  });

  it('keeps /health to the master key, and the admin UI reports itself off', async () => {
    const health = await call('GET', '/health', KEYS.MCPGW_KEY_CLAUDE_CODE);
    expect(health.status).toBe(403);
    const ui = (await (await fetch(`${BASE}/.well-known/litellm-ui-config`)).json()) as { admin_ui_disabled?: boolean };
    expect(ui.admin_ui_disabled).toBe(true);
  });

  it('passes doctor security checks on this stack', async () => {
    const doctor = await runCli(['doctor', '--json', '--only', 'security'], { cwd: dir });
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[] }[] };
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    for (const id of ['security.passthrough', 'security.admin-ui', 'security.health']) expect(byId[id]?.status, JSON.stringify(byId[id])).toBe('pass');
    expect(byId['security.passthrough']?.evidence[1]).toMatch(
      /^a fresh key with no grant is refused on all 30 pass-through prefixes \(403 ×\d+(, 40[45] ×\d+)*\)$/,
    );
    // An env file as an older mcpgw rendered it, with the secret under the provider's own name.
    const envFile = path.join(dir, 'env', 'litellm.env');
    const rendered = await readFile(envFile, 'utf8');
    try {
      await writeFile(envFile, `${rendered}ANTHROPIC_API_KEY=${OPERATOR_KEY}\n`, { mode: 0o600 });
      const stale = await runCli(['doctor', '--json', '--only', 'security.passthrough'], { cwd: dir });
      expect(stale.code).toBe(1);
      expect(stale.stdout).not.toContain(OPERATOR_KEY);
      const check = (JSON.parse(stale.stdout) as { checks: { status: string; causes: { cause: string; fix: string }[] }[] }).checks[0];
      expect(check?.status).toBe('fail');
      expect(check?.causes[0]?.cause).toMatch(/^LiteLLM's environment holds ANTHROPIC_API_KEY: the pass-through route of that provider sends it upstream/);
      expect(check?.causes[0]?.fix).toMatch(/renders them as MCPGW_SECRET_<NAME>/);
    } finally {
      await writeFile(envFile, rendered);
    }
  });
});
