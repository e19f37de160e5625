import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WaitAborted, waitUntil } from '../../src/time/wait.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { startUpstream, upstreamRequests, useUpstreamModel } from '../helpers/upstream.js';
import { dockerClient, type StartedContainer } from '../stack/stack.js';

// The real Open WebUI 0.12.4 (installed slim by test/stack/clients/openwebui.sh) in front of the real gateway:
// it is seeded with what `client-config openwebui` prints, takes a second connection through `--apply`, lists
// and runs the gateway's tools (its chat model is the upstream fixture behind LiteLLM), for an admin and for a
// plain user, and its admin page shows the connection in headless Chromium.
const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = `mcpgwt-${Date.now().toString(36)}-owui`;
const name = run;
const PORT = 14630;
const WEBUI_PORT = 14691;
const WEBUI = `http://127.0.0.1:${WEBUI_PORT}`;
const KEY = 'sk-itest-owui-5b2e8c1d9f3a7046';
const UPSTREAM_KEY = `up-${randomBytes(8).toString('hex')}`;
const ADMIN = { email: 'admin@mcpgw.test', password: `pw-${randomBytes(8).toString('hex')}` };
const USER = { name: 'Plain User', email: 'user@mcpgw.test', password: `pw-${randomBytes(8).toString('hex')}` };
/** The connection --apply adds; the seeded one is named "seeded". */
const APPLIED = 'mcpgw-e2e';
const execFileAsync = promisify(execFile);

let dir = '';
let llm: StartedContainer | undefined;
let webui: ChildProcess | undefined;
let webuiLog = '';
let adminToken = '';

function mcpgw(argv: string[], env: Record<string, string> = {}) {
  return runCli(['-f', path.join(dir, 'mcpgw.yaml'), 'client-config', 'openwebui', ...argv], { cwd: dir, env: { HOME: dir, ...env } });
}

/** One call to Open WebUI's API as the holder of `token`; the answer's JSON (or text) and status. */
async function api(token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${WEBUI}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

async function signIn(account: { email: string; password: string }): Promise<string> {
  const answer = await api('', 'POST', '/api/v1/auths/signin', account);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body as { token: string }).token;
}

describe('Open WebUI 0.12.4 through the real gateway', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-owui-'));
    llm = await startUpstream(docker, stack, run, name, UPSTREAM_KEY);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48630 } },
      secrets: { MCPGW_KEY_OWUI: KEY, UPSTREAM_KEY },
      extra: { keys: [{ alias: 'owui', mcp_servers: ['alpha'], models: ['fixture-model'] }] },
    });
    await useUpstreamModel(dir);
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);

    // Seeded exactly as printed, on first boot, with the gateway as its OpenAI connection for the chat model.
    const printed = await mcpgw(['--key-alias', 'owui', '--name', 'seeded', '--url', `http://127.0.0.1:${PORT}/mcp/`]);
    expect(printed.code, printed.stderr).toBe(0);
    const seeded = /^TOOL_SERVER_CONNECTIONS='(.+)'$/m.exec(printed.stdout)?.[1];
    expect(seeded).toBeDefined();
    const data = path.join(dir, 'webui');
    await mkdir(data);
    webui = spawn(path.join(stack.openwebuiVenv, 'bin', 'open-webui'), ['serve', '--host', '127.0.0.1', '--port', String(WEBUI_PORT)], {
      cwd: data,
      env: {
        PATH: `${path.join(stack.openwebuiVenv, 'bin')}:/usr/bin:/bin`,
        HOME: data,
        DATA_DIR: data,
        WEBUI_SECRET_KEY: randomBytes(32).toString('hex'),
        USE_SLIM_DOCKER: 'true',
        OFFLINE_MODE: 'true',
        HF_HUB_OFFLINE: '1',
        WEBUI_ADMIN_EMAIL: ADMIN.email,
        WEBUI_ADMIN_PASSWORD: ADMIN.password,
        ENABLE_OLLAMA_API: 'false',
        OPENAI_API_BASE_URL: `http://127.0.0.1:${PORT}/v1`,
        OPENAI_API_KEY: KEY,
        // The plain user may use the fixture model without an access grant of its own: the tools are what is tested.
        BYPASS_MODEL_ACCESS_CONTROL: 'true',
        TOOL_SERVER_CONNECTIONS: seeded ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      webuiLog = (webuiLog + chunk.toString()).slice(-20_000);
    };
    webui.stdout?.on('data', keep);
    webui.stderr?.on('data', keep);
    await waitUntil(
      'Open WebUI to answer /health',
      async () => {
        if (webui?.exitCode !== null) throw new WaitAborted(`open-webui exited (${webui?.exitCode}):\n${webuiLog.slice(-3000)}`);
        return (await fetch(`${WEBUI}/health`).catch(() => undefined))?.ok ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    adminToken = await signIn(ADMIN);
  }, 600_000);

  afterAll(async () => {
    webui?.kill();
    await runCli(['down', '--volumes'], { cwd: dir });
    await llm?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the seeded connection is read back by the admin API (200, the bug was a 500)', async () => {
    const stored = await api(adminToken, 'GET', '/api/v1/configs/tool_servers');
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    expect((stored.body as { TOOL_SERVER_CONNECTIONS: { info: { id: string } }[] }).TOOL_SERVER_CONNECTIONS.map((c) => c.info.id)).toEqual(['seeded']);
  });

  it('--apply merges a connection through the admin API, verified there; a second run changes nothing', async () => {
    const env = { OPENWEBUI_ADMIN_TOKEN: adminToken };
    const argv = ['--key-alias', 'owui', '--name', APPLIED, '--url', `http://127.0.0.1:${PORT}/mcp/`, '--apply', WEBUI];
    const first = await mcpgw(argv, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^added connection ${APPLIED} → http://127\\.0\\.0\\.1:${PORT}/mcp/ in Open WebUI at ${WEBUI} \\(verified there: \\d+ tools\\)`),
    );
    const again = await mcpgw(argv, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already has connection mcpgw-e2e .*nothing changed/);
    for (const output of [first, again]) expect(output.stdout + output.stderr).not.toContain(KEY);

    const stored = await api(adminToken, 'GET', '/api/v1/configs/tool_servers');
    expect(stored.status).toBe(200);
    const connections = (stored.body as { TOOL_SERVER_CONNECTIONS: Record<string, unknown>[] }).TOOL_SERVER_CONNECTIONS;
    expect(connections.map((c) => (c.info as { id: string }).id)).toEqual(['seeded', APPLIED]);
    // What the admin UI's verify and save send: the stored connection as it is.
    const verified = await api(adminToken, 'POST', '/api/v1/configs/tool_servers/verify', connections[1]);
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect((verified.body as { specs: { name: string }[] }).specs.map((s) => s.name)).toContain('alpha-echo');
    const saved = await api(adminToken, 'POST', '/api/v1/configs/tool_servers', { TOOL_SERVER_CONNECTIONS: connections });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    // The shape mcpgw printed before (no path) is what 0.12.4 refuses.
    const { path: _path, ...withoutPath } = connections[1] ?? {};
    const refused = await api(adminToken, 'POST', '/api/v1/configs/tool_servers/verify', withoutPath);
    expect(refused.status).toBe(422);

    const wrongToken = await mcpgw(argv, { OPENWEBUI_ADMIN_TOKEN: 'not-a-token' });
    expect([wrongToken.code, wrongToken.stderr]).toEqual([1, expect.stringMatching(/Open WebUI answered HTTP 401/)]);
  });

  it("lists the gateway's tools, and a chat's tool call runs through LiteLLM", async () => {
    const tools = await api(adminToken, 'GET', '/api/v1/tools/');
    expect((tools.body as { id: string }[]).map((t) => t.id)).toEqual(expect.arrayContaining([`server:mcp:${APPLIED}`, 'server:mcp:seeded']));
    const specs = await api(adminToken, 'GET', `/api/v1/tools/id/server:mcp:${APPLIED}/specs`);
    expect(specs.status, JSON.stringify(specs.body)).toBe(200);
    expect((specs.body as { specs: { name: string }[] }).specs.map((s) => s.name)).toContain('alpha-echo');

    const nonce = `nonce-${randomBytes(6).toString('hex')}`;
    // Open WebUI offers the tools to the model as <connection id>_<gateway tool>, e.g. mcpgw-e2e_alpha-echo: the
    // fixture matches "echo" as its -echo suffix.
    const content = `Call the tool echo with message set to "${nonce}"`;
    const userMessage = { id: randomUUID(), role: 'user', content, parentId: null, childrenIds: [], timestamp: Math.floor(Date.now() / 1000) };
    const assistantId = randomUUID();
    // Open WebUI runs tools only for a chat message: parent_id null (a new chat), the assistant message's id and the
    // user message; without a socket session it answers once the reply, tool round included, is in the chat.
    const chat = await api(adminToken, 'POST', '/api/chat/completions', {
      model: 'fixture-model',
      stream: true,
      messages: [{ role: 'user', content }],
      tool_ids: [`server:mcp:${APPLIED}`],
      parent_id: null,
      id: assistantId,
      user_message: userMessage,
    });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    const chats = (await api(adminToken, 'GET', '/api/v1/chats/')).body as { id: string }[];
    expect(chats).toHaveLength(1);
    const saved = (await api(adminToken, 'GET', `/api/v1/chats/${chats[0]?.id}`)).body as {
      chat: { history: { messages: Record<string, { content?: string; done?: boolean; error?: unknown }> } };
    };
    const reply = saved.chat.history.messages[assistantId];
    expect(reply?.error, JSON.stringify(reply)).toBeUndefined();
    // The fixture quotes the tool result it was sent; "Echo: <nonce>" comes only from alpha, reached through LiteLLM's /mcp/.
    expect(reply?.content).toContain(`Echo: ${nonce}`);
    const sent = llm ? await upstreamRequests(llm) : [];
    const toolRound = sent.find((request) => JSON.stringify(request.body.messages ?? []).includes(`"role":"tool"`));
    expect(JSON.stringify(toolRound?.body.messages)).toContain(`Echo: ${nonce}`);
  });

  it('a plain user sees the tools (the connection grants every user read), and not those of a connection without the grant', async () => {
    const stored = (await api(adminToken, 'GET', '/api/v1/configs/tool_servers')).body as { TOOL_SERVER_CONNECTIONS: Record<string, unknown>[] };
    const applied = stored.TOOL_SERVER_CONNECTIONS[1] as { config: Record<string, unknown>; info: Record<string, unknown> };
    const ungranted = { ...applied, config: { enable: true }, info: { ...applied.info, id: 'ungranted', name: 'ungranted' } };
    const saved = await api(adminToken, 'POST', '/api/v1/configs/tool_servers', { TOOL_SERVER_CONNECTIONS: [...stored.TOOL_SERVER_CONNECTIONS, ungranted] });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const adminTools = await api(adminToken, 'GET', '/api/v1/tools/');
    expect((adminTools.body as { id: string }[]).map((t) => t.id)).toContain('server:mcp:ungranted');
    const added = await api(adminToken, 'POST', '/api/v1/auths/add', { ...USER, role: 'user' });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    const userToken = await signIn(USER);
    const tools = await api(userToken, 'GET', '/api/v1/tools/');
    expect(tools.status).toBe(200);
    const userTools = (tools.body as { id: string }[]).map((t) => t.id);
    expect(userTools).toEqual(expect.arrayContaining([`server:mcp:${APPLIED}`, 'server:mcp:seeded']));
    expect(userTools).not.toContain('server:mcp:ungranted');
    const specs = await api(userToken, 'GET', `/api/v1/tools/id/server:mcp:${APPLIED}/specs`);
    expect(specs.status, JSON.stringify(specs.body)).toBe(200);
    expect((specs.body as { specs: { name: string }[] }).specs.map((s) => s.name)).toContain('alpha-echo');
  });

  it('the admin Integrations page shows the connection in headless Chromium (screenshot kept)', async () => {
    const shots = path.join(process.env.MCPGW_TEST_WORK ?? path.join(stack.stackDir, '.work'), 'artefacts');
    await mkdir(shots, { recursive: true });
    const screenshot = path.join(shots, 'openwebui-integrations.png');
    const page = await execFileAsync(
      path.join(stack.openwebuiVenv, 'bin', 'python'),
      [path.join(stack.stackDir, 'openwebui', 'integrations-page.py'), WEBUI, screenshot, APPLIED],
      { env: { PATH: '/usr/bin:/bin', HOME: dir, OPENWEBUI_TOKEN: adminToken }, timeout: 120_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    // A retry after the web app's error page is reported, with the browser console of the failed attempt.
    if (page.stderr.includes('attempt 1:')) console.warn(page.stderr.slice(0, 3000));
    // The page lists each connection as its name and id, capitalised by CSS.
    expect(page.stdout, `${page.stderr}\nOpen WebUI's log:\n${webuiLog.slice(-4000)}`).toMatch(
      new RegExp(`\\nExternal Tool Servers\\nseeded seeded\\n${APPLIED} ${APPLIED}\\n`, 'i'),
    );
  });
});
