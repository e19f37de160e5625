// The whole gateway stack on real containers: Postgres (LiteLLM's real schema), two MCP servers
// (server-everything over SSE and over streamable HTTP), an OpenAI-compatible upstream fixture,
// and the real LiteLLM proxy. Proves MCP through LiteLLM and LiteLLM's chat-completions MCP loop.
import { randomBytes, createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyLiteLLMSchema, listMigrations } from '../stack/schema.js';
import {
  createNetwork,
  dockerClient,
  removeLabelled,
  RUN_LABEL,
  runId,
  type StartedContainer,
  startContainer,
  testLabels,
  waitForHealthy,
  waitForHttp,
  waitForLog,
  waitUntil,
} from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const prefix = `mcpgwt-${run}`;
const labels = testLabels(run, {}, stack.owner);
const nets = { mcp: `${prefix}-litellm-mcp-net`, db: `${prefix}-postgres-net` };

const masterKey = `sk-master-${randomBytes(12).toString('hex')}`;
const upstreamKey = `up-${randomBytes(8).toString('hex')}`;
const pgPassword = `pw ${randomBytes(6).toString('hex')}`; // a space, to catch quoting bugs

let postgres: StartedContainer;
let llm: StartedContainer;
let litellm: StartedContainer;
let litellmUrl: string;
let llmUrl: string;
let pgPort: number;
const timings: Record<string, number> = {};

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

beforeAll(async () => {
  await createNetwork(docker, nets.mcp, labels);
  await createNetwork(docker, nets.db, labels);

  const startPostgres = timed('postgres healthy', async () => {
    postgres = await startContainer(docker, {
      name: `${prefix}-db`,
      image: stack.images.postgres,
      labels: { ...labels, 'io.mcpgw.test.service': 'db' },
      networks: [{ name: nets.db, aliases: ['db'] }],
      env: { POSTGRES_USER: 'litellm', POSTGRES_PASSWORD: pgPassword, POSTGRES_DB: 'litellm' },
      publish: [5432],
    });
    await waitForHealthy(postgres, { timeoutMs: 60_000 });
    pgPort = await postgres.hostPort(5432);
  });

  const startMcp = timed('mcp servers listening', async () => {
    const sse = await startContainer(docker, {
      name: `${prefix}-mcp-sse`,
      image: stack.images.mcp,
      labels: { ...labels, 'io.mcpgw.test.service': 'mcp-sse' },
      networks: [{ name: nets.mcp, aliases: ['mcp-sse'] }],
      cmd: ['mcp-server-everything', 'sse'],
    });
    const http = await startContainer(docker, {
      name: `${prefix}-mcp-http`,
      image: stack.images.mcp,
      labels: { ...labels, 'io.mcpgw.test.service': 'mcp-http' },
      networks: [{ name: nets.mcp, aliases: ['mcp-http'] }],
      cmd: ['mcp-server-everything', 'streamableHttp'],
    });
    await Promise.all([
      waitForLog(sse, /Server is running on port 3001/, { timeoutMs: 30_000 }),
      waitForLog(http, /listening on port 3001/, { timeoutMs: 30_000 }),
    ]);
  });

  const startLlm = timed('llm fixture listening', async () => {
    llm = await startContainer(docker, {
      name: `${prefix}-llm`,
      image: stack.images.node,
      labels: { ...labels, 'io.mcpgw.test.service': 'llm' },
      networks: [{ name: nets.mcp, aliases: ['llm'] }],
      env: { PORT: '8080', FIXTURE_API_KEY: upstreamKey, FIXTURE_TOOL_SUFFIX: '-echo' },
      cmd: ['node', '/fixture/server.mjs'],
      binds: [`${join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
      publish: [8080],
    });
    llmUrl = `http://127.0.0.1:${await llm.hostPort(8080)}`;
    await waitForHttp(llm, `${llmUrl}/health`, { timeoutMs: 20_000 });
  });

  await Promise.all([startPostgres, startMcp, startLlm]);

  await timed('litellm healthy', async () => {
    litellm = await startContainer(docker, {
      name: `${prefix}-litellm`,
      image: stack.images.litellm,
      labels: { ...labels, 'io.mcpgw.test.service': 'litellm' },
      networks: [{ name: nets.mcp, aliases: ['litellm'] }, { name: nets.db }],
      env: { LITELLM_MASTER_KEY: masterKey, FIXTURE_API_KEY: upstreamKey },
      cmd: ['--config', '/app/config.yaml', '--port', '4000'],
      binds: [`${join(stack.stackDir, 'fixtures', 'litellm-config.yaml')}:/app/config.yaml:ro`],
      publish: [4000],
    });
    litellmUrl = `http://127.0.0.1:${await litellm.hostPort(4000)}`;
    await waitForHttp(litellm, `${litellmUrl}/health/liveliness`, { timeoutMs: 120_000 });
  });
}, 300_000);

afterAll(async () => {
  process.stderr.write(`[stack-smoke] timings (ms): ${JSON.stringify(timings)}\n`);
  if (process.env.MCPGW_TEST_KEEP !== '1') await removeLabelled(docker, `${RUN_LABEL}=${run}`);
});

function pgClient(password = pgPassword): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: pgPort, user: 'litellm', password, database: 'litellm' });
}

describe('postgres', () => {
  it('logs in over SCRAM from the host and refuses a wrong password', async () => {
    const client = pgClient();
    await client.connect();
    try {
      const enc = await client.query('SHOW password_encryption');
      expect(enc.rows[0].password_encryption).toBe('scram-sha-256');
      const role = await client.query("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = 'litellm'");
      expect(role.rows[0].scram).toBe(true);
    } finally {
      await client.end();
    }
    const wrong = pgClient('not the password');
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    await wrong.end().catch(() => undefined);
  });

  it("takes LiteLLM's real schema and a raw-SQL virtual key row", async () => {
    const client = pgClient();
    await client.connect();
    try {
      const applied = await applyLiteLLMSchema(client, stack.schemaDir);
      expect(applied.length).toBe((await listMigrations(stack.schemaDir)).length);
      expect(applied[0]?.name).toMatch(/_baseline$/);

      const key = `sk-${randomBytes(24).toString('base64url')}`;
      const token = createHash('sha256').update(key).digest('hex');
      const permId = randomUUID();
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "LiteLLM_ObjectPermissionTable" (object_permission_id, mcp_servers, mcp_access_groups)
         VALUES ($1, $2, '{}')`,
        [permId, ['everything_http']],
      );
      await client.query(
        `INSERT INTO "LiteLLM_VerificationToken"
           (token, key_name, key_alias, models, object_permission_id, created_by, updated_by)
         VALUES ($1, $2, $3, '{}', $4, 'mcpgw', 'mcpgw')`,
        [token, `sk-...${key.slice(-4)}`, 'smoke', permId],
      );
      await client.query('COMMIT');
      const row = await client.query(
        `SELECT t.models, t.spend, t.blocked, p.mcp_servers
           FROM "LiteLLM_VerificationToken" t JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id)
          WHERE t.token = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [key],
      );
      expect(row.rows).toEqual([{ models: [], spend: 0, blocked: null, mcp_servers: ['everything_http'] }]);
    } finally {
      await client.end();
    }
  });
});

const mcpHeaders = () => ({ 'x-litellm-api-key': `Bearer ${masterKey}` });

async function connectMcp(path: string): Promise<McpClient> {
  const client = new McpClient({ name: 'mcpgw-stack-smoke', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${litellmUrl}${path}`), {
    requestInit: { headers: mcpHeaders() },
  });
  await client.connect(transport);
  return client;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

describe('MCP image', () => {
  it('bridges stdio server-everything to streamable HTTP with supergateway', async () => {
    const sg = await startContainer(docker, {
      name: `${prefix}-supergateway`,
      image: stack.images.mcp,
      labels: { ...labels, 'io.mcpgw.test.service': 'supergateway' },
      networks: [{ name: nets.mcp }],
      cmd: ['supergateway', '--stdio', 'mcp-server-everything stdio', '--port', '8000', '--outputTransport', 'streamableHttp'],
      publish: [8000],
    });
    await waitForLog(sg, /Listening on port 8000/, { timeoutMs: 30_000 });
    const client = new McpClient({ name: 'mcpgw-stack-smoke', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${await sg.hostPort(8000)}/mcp`)));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      const nonce = `nonce-${randomBytes(8).toString('hex')}`;
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: nonce } }))).toContain(nonce);
    } finally {
      await client.close();
      await sg.remove();
    }
  });

  it('runs `npx -y <pinned server-everything>` with no route out (warm npx cache)', async () => {
    const offline = `${prefix}-offline-net`;
    await createNetwork(docker, offline, labels, { internal: true });
    const c = await startContainer(docker, {
      name: `${prefix}-npx-offline`,
      image: stack.images.mcp,
      labels: { ...labels, 'io.mcpgw.test.service': 'npx-offline' },
      networks: [{ name: offline }],
      cmd: ['npx', '-y', `@modelcontextprotocol/server-everything@${stack.versions.serverEverything}`, 'streamableHttp'],
    });
    try {
      await waitForLog(c, /listening on port 3001/, { timeoutMs: 30_000 });
    } finally {
      await c.remove();
    }
  });
});

describe('MCP through LiteLLM', () => {
  it('initializes, lists both servers\u2019 tools with the server prefix, and calls echo on each', async () => {
    const client = await connectMcp('/mcp/');
    try {
      expect(client.getServerVersion()?.name).toBe('litellm-mcp-server');
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain('everything_sse-echo');
      expect(names).toContain('everything_http-echo');
      expect(names.every((n) => n.startsWith('everything_sse-') || n.startsWith('everything_http-'))).toBe(true);

      for (const server of ['everything_sse', 'everything_http']) {
        const nonce = `nonce-${randomBytes(8).toString('hex')}`;
        const result = await client.callTool({ name: `${server}-echo`, arguments: { message: nonce } });
        expect(result.isError ?? false).toBe(false);
        expect(textOf(result)).toContain(nonce);
      }
    } finally {
      await client.close();
    }
  });

  it('serves the bare /mcp path too', async () => {
    const client = await connectMcp('/mcp');
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(2);
    } finally {
      await client.close();
    }
  });

  it('refuses an unknown key', async () => {
    const res = await fetch(`${litellmUrl}/mcp/`, {
      method: 'POST',
      headers: {
        'x-litellm-api-key': 'Bearer sk-not-a-key',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
      }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: { messages?: { role: string; content?: unknown; tool_calls?: unknown[] }[]; tools?: { function?: { name: string } }[] };
}

async function recorded(): Promise<Recorded[]> {
  return (await (await fetch(`${llmUrl}/__requests`)).json()) as Recorded[];
}

function post(path: string, body: object): Promise<Response> {
  return fetch(`${litellmUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function chat(body: object): Promise<{ status: number; json: any }> {
  const res = await post('/v1/chat/completions', body);
  return { status: res.status, json: await res.json() };
}

/** The `data:` payloads of an SSE body, without the final [DONE]. */
function sseData(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l.trim() !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice('data: '.length)));
}

const MCP_TOOL = { type: 'mcp', server_label: 'litellm', server_url: 'litellm_proxy', require_approval: 'never' };

describe('chat completions with LiteLLM MCP tools', () => {
  it('runs the MCP tool and answers with its result (finish_reason stop)', async () => {
    await fetch(`${llmUrl}/__requests`, { method: 'DELETE' });
    const nonce = `nonce-${randomBytes(8).toString('hex')}`;
    const { status, json } = await chat({
      model: 'fixture-model',
      messages: [{ role: 'user', content: `Echo this back: ${nonce}` }],
      tools: [MCP_TOOL],
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const choice = json.choices[0];
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.content).toContain(nonce);
    expect(Object.keys(choice.message.provider_specific_fields)).toEqual(expect.arrayContaining(['mcp_list_tools', 'mcp_tool_calls', 'mcp_call_results']));

    const calls = (await recorded()).filter((r) => r.path === '/v1/chat/completions');
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    const offered = calls[0]!.body.tools!.map((t) => t.function?.name);
    expect(offered).toEqual(expect.arrayContaining(['everything_sse-echo', 'everything_http-echo']));
    const toolMessages = calls[1]!.body.messages!.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(1);
    expect(JSON.stringify(toolMessages[0]!.content)).toContain(nonce);
  });

  it('leaves a plain function tool to the caller (finish_reason tool_calls)', async () => {
    await fetch(`${llmUrl}/__requests`, { method: 'DELETE' });
    const nonce = `nonce-${randomBytes(8).toString('hex')}`;
    const { status, json } = await chat({
      model: 'fixture-model',
      messages: [{ role: 'user', content: `Echo this back: ${nonce}` }],
      tools: [
        {
          type: 'function',
          function: { name: 'local-echo', parameters: { type: 'object', properties: { message: { type: 'string' } } } },
        },
      ],
    });
    expect(status, JSON.stringify(json)).toBe(200);
    const choice = json.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls[0].function.name).toBe('local-echo');
    expect(JSON.parse(choice.message.tool_calls[0].function.arguments)).toEqual({ message: nonce });
    expect((await recorded()).filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('streams: the first round ends at tool_calls, the stream ends at stop with the tool result', async () => {
    await fetch(`${llmUrl}/__requests`, { method: 'DELETE' });
    const nonce = `nonce-${randomBytes(8).toString('hex')}`;
    const res = await post('/v1/chat/completions', {
      model: 'fixture-model',
      stream: true,
      messages: [{ role: 'user', content: `Echo this back: ${nonce}` }],
      tools: [MCP_TOOL],
    });
    expect(res.status).toBe(200);
    const chunks = sseData(await res.text());
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    const finishes = chunks.map((c) => c.choices?.[0]?.finish_reason).filter(Boolean);
    expect(text).toContain(nonce);
    expect(finishes).toEqual(['tool_calls', 'stop']);
    const calls = (await recorded()).filter((r) => r.path === '/v1/chat/completions');
    expect(calls.map((c) => c.body.messages!.map((m) => m.role))).toEqual([['user'], ['user', 'assistant', 'tool']]);
  });
});

describe('responses API with LiteLLM MCP tools', () => {
  it('runs the MCP tool and completes with its result', async () => {
    await fetch(`${llmUrl}/__requests`, { method: 'DELETE' });
    const nonce = `nonce-${randomBytes(8).toString('hex')}`;
    const res = await post('/v1/responses', {
      model: 'fixture-model',
      input: `Echo this back: ${nonce}`,
      tools: [MCP_TOOL],
    });
    const json = (await res.json()) as any;
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.status).toBe('completed');
    const message = json.output.find((o: any) => o.type === 'message');
    expect(message.content[0].text).toContain(nonce);

    const calls = (await recorded()).filter((r) => r.path === '/v1/responses');
    expect(calls).toHaveLength(2);
    const input = (calls[1]!.body as { input: { type: string; output?: string }[] }).input;
    const outputs = input.filter((i) => i.type === 'function_call_output');
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.output).toContain(nonce);
  });
});

// ---------------------------------------------------------------- DB mode

/** LiteLLM's id for a config.yaml MCP server (no auth_type, no alias). */
function configServerId(name: string, url: string, transport: string): string {
  return createHash('sha256').update(`${name}|${url}|${transport}||`).digest('hex').slice(0, 32);
}

const SERVER_IDS = {
  everything_sse: configServerId('everything_sse', 'http://mcp-sse:3001/sse', 'sse'),
  everything_http: configServerId('everything_http', 'http://mcp-http:3001/mcp', 'http'),
};

describe('LiteLLM DB mode: virtual keys written with raw SQL', () => {
  const database = 'litellm_keys';
  let dbLitellm: StartedContainer;
  let dbUrl: string;

  async function withDb<T>(fn: (c: pg.Client) => Promise<T>, db = database): Promise<T> {
    const c = new pg.Client({ host: '127.0.0.1', port: pgPort, user: 'litellm', password: pgPassword, database: db });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  /** Inserts a key the way mcpgw does (permission row first, `models` = '{}'); returns the key. */
  async function insertKey(mcpServers: string[], extra: { blocked?: boolean } = {}): Promise<string> {
    const key = `sk-${randomBytes(24).toString('base64url')}`;
    const permId = randomUUID();
    await withDb(async (c) => {
      await c.query('BEGIN');
      await c.query(`INSERT INTO "LiteLLM_ObjectPermissionTable" (object_permission_id, mcp_servers, mcp_access_groups) VALUES ($1, $2, '{}')`, [
        permId,
        mcpServers,
      ]);
      await c.query(
        `INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, models, object_permission_id, blocked, created_by, updated_by)
         VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), $2, $3, '{}', $4, $5, 'mcpgw', 'mcpgw')`,
        [key, `sk-...${key.slice(-4)}`, `smoke-${permId.slice(0, 8)}`, permId, extra.blocked ?? null],
      );
      await c.query('COMMIT');
    });
    return key;
  }

  async function mcpToolNames(key: string): Promise<string[]> {
    const client = new McpClient({ name: 'mcpgw-stack-smoke', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${dbUrl}/mcp/`), { requestInit: { headers: { 'x-litellm-api-key': `Bearer ${key}` } } }));
    try {
      return (await client.listTools()).tools.map((t) => t.name);
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    await withDbAdmin(async (c) => c.query(`CREATE DATABASE ${database}`));
    await withDb((c) => applyLiteLLMSchema(c, stack.schemaDir, { recordLedger: true }));
    await timed('litellm (DB mode) healthy', async () => {
      dbLitellm = await startContainer(docker, {
        name: `${prefix}-litellm-db`,
        image: stack.images.litellmDb,
        labels: { ...labels, 'io.mcpgw.test.service': 'litellm-db' },
        networks: [{ name: nets.mcp }, { name: nets.db }],
        env: {
          LITELLM_MASTER_KEY: masterKey,
          FIXTURE_API_KEY: upstreamKey,
          DATABASE_URL: `postgresql://litellm:${encodeURIComponent(pgPassword)}@db:5432/${database}`,
        },
        cmd: ['--config', '/app/config.yaml', '--port', '4000'],
        binds: [`${join(stack.stackDir, 'fixtures', 'litellm-config.yaml')}:/app/config.yaml:ro`],
        publish: [4000],
      });
      dbUrl = `http://127.0.0.1:${await dbLitellm.hostPort(4000)}`;
      await waitForHttp(dbLitellm, `${dbUrl}/health/liveliness`, { timeoutMs: 120_000 });
    });
  }, 300_000);

  async function withDbAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = pgClient();
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  it('reports the database connected', async () => {
    const res = await fetch(`${dbUrl}/health/readiness`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'healthy', db: 'connected' });
  });

  it('derives config server ids as sha256(name|url|transport|auth_type|alias)[:32]', async () => {
    const res = await fetch(`${dbUrl}/v1/mcp/server`, { headers: { authorization: `Bearer ${masterKey}` } });
    expect(res.status).toBe(200);
    const servers = (await res.json()) as { server_id: string; server_name: string }[];
    expect(Object.fromEntries(servers.map((s) => [s.server_name, s.server_id]))).toEqual(SERVER_IDS);
  });

  it('authenticates a raw-SQL key and refuses unknown and blocked keys', async () => {
    const key = await insertKey([SERVER_IDS.everything_http]);
    const ok = await fetch(`${dbUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain('fixture-model');

    const unknown = await fetch(`${dbUrl}/v1/models`, { headers: { authorization: `Bearer sk-${randomBytes(16).toString('hex')}` } });
    expect(unknown.status).toBe(401);
    expect(JSON.stringify(await unknown.json())).toContain('token_not_found_in_db');

    const blocked = await insertKey([SERVER_IDS.everything_http], { blocked: true });
    const refused = await fetch(`${dbUrl}/v1/models`, { headers: { authorization: `Bearer ${blocked}` } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
  });

  it('shows a key only the MCP servers it is granted', async () => {
    const httpOnly = await mcpToolNames(await insertKey([SERVER_IDS.everything_http]));
    expect(httpOnly).toContain('everything_http-echo');
    expect(httpOnly.some((n) => n.startsWith('everything_sse-'))).toBe(false);

    const both = await mcpToolNames(await insertKey([SERVER_IDS.everything_http, SERVER_IDS.everything_sse]));
    expect(both).toEqual(expect.arrayContaining(['everything_http-echo', 'everything_sse-echo']));

    // A key with no grants is refused at connect, not shown an empty tool list.
    await expect(mcpToolNames(await insertKey([]))).rejects.toThrow(/no MCP servers granted/);
  });

  it('runs a granted tool with the key and refuses an ungranted one', async () => {
    const key = await insertKey([SERVER_IDS.everything_http]);
    const client = new McpClient({ name: 'mcpgw-stack-smoke', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${dbUrl}/mcp/`), { requestInit: { headers: { 'x-litellm-api-key': `Bearer ${key}` } } }));
    try {
      const nonce = `nonce-${randomBytes(8).toString('hex')}`;
      expect(textOf(await client.callTool({ name: 'everything_http-echo', arguments: { message: nonce } }))).toContain(nonce);
      const denied = await client.callTool({ name: 'everything_sse-echo', arguments: { message: nonce } }).then(
        (r) => ({ isError: r.isError === true, text: textOf(r) }),
        (err: Error) => ({ isError: true, text: err.message }),
      );
      expect(denied.isError).toBe(true);
      expect(denied.text).not.toContain(`Echo: ${nonce}`);
    } finally {
      await client.close();
    }
  });

  it('refuses a LiteLLM schema without a migration ledger instead of recording migrations it never ran', async () => {
    // What `prisma db push` or a hand rebuild leaves: LiteLLM's tables (here all but the newest migration) and no ledger.
    const bare = `${database}_noledger`;
    await withDbAdmin((c) => c.query(`CREATE DATABASE ${bare}`));
    const migrations = await listMigrations(stack.schemaDir);
    await withDb(async (c) => {
      for (const migration of migrations.slice(0, -1)) await c.query(migration.sql);
    }, bare);
    const refused = await startContainer(docker, {
      name: `${prefix}-litellm-noledger`,
      image: stack.images.litellmDb,
      labels: { ...labels, 'io.mcpgw.test.service': 'litellm-noledger' },
      networks: [{ name: nets.db }],
      env: { LITELLM_MASTER_KEY: masterKey, DATABASE_URL: `postgresql://litellm:${encodeURIComponent(pgPassword)}@db:5432/${bare}` },
      cmd: ['--port', '4000'],
    });
    const state = await waitUntil('the ledger-less start-up to end', async () => {
      const now = await refused.state();
      return now.Running ? undefined : now;
    });
    const log = await refused.logs(20);
    expect(state.ExitCode, log).toBe(3);
    expect(log).toContain(`refusing to start LiteLLM: the database has LiteLLM's tables but no "_prisma_migrations" ledger`);
    expect(log).toMatch(/Fix: restore a backup of this database that has its ledger \(mcpgw restore\), or let `mcpgw upgrade` verify the schema/);
    // The entrypoint stopped before exec'ing LiteLLM (no server process), and nothing was recorded.
    expect(log).not.toMatch(/Started server process|Uvicorn running/);
    expect(await withDb(async (c) => (await c.query(`SELECT to_regclass('"_prisma_migrations"') AS t`)).rows[0].t, bare)).toBeNull();
  });
});
