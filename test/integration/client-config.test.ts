import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MCP_REMOTE_VERSION } from '../../src/clients/claude-desktop.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';

// The real clients (installed at pinned versions by test/stack/clients/install.sh) are the oracles: each reads
// the file `mcpgw client-config --write` produced and reports whether it reached the real gateway with the key.
const stack = inject('mcpgwStack');
const name = `mcpgwt-${Date.now().toString(36)}-clients`;
const PORT = 14310;
const KEY = 'sk-itest-clients-7d2e9b4c1a6f3085';
const AUTH = { MCPGW_LITELLM_AUTH: `Bearer ${KEY}` };
const bin = (tool: string) => path.join(stack.clientsBin, tool);

let dir = '';
let home = '';
let project = '';

/** A minimal environment for a client: no inherited variables, npm kept offline (npx must use the local install). */
function clientEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${stack.clientsBin}:${process.env.PATH ?? ''}`, HOME: home, LANG: 'C.UTF-8', npm_config_offline: 'true', ...extra };
}

async function client(tool: string, args: string[], extra: Record<string, string> = {}) {
  const result = await execa(bin(tool), args, { cwd: project, env: clientEnv(extra), extendEnv: false, reject: false, timeout: 90_000, stdin: 'ignore' });
  return { code: result.exitCode, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * `claude mcp list`, repeated (at most 3 runs) only while it reports "tools fetch failed": Claude Code gives the
 * gateway's tools/list a fixed 5 s, which a loaded 2-core test machine can exceed. Any other status returns at once.
 */
async function claudeMcpList(extra: Record<string, string> = {}): Promise<string> {
  let output = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    output = (await client('claude', ['mcp', 'list'], extra)).output;
    if (!output.includes('tools fetch failed')) break;
  }
  return output;
}

/**
 * Claude Code's "connected" for `url`: ✔ Connected, or, when its fixed 5 s tools/list deadline ran out on a loaded
 * machine, "Connected · tools fetch failed — Request timed out" (the authenticated handshake succeeded; a wrong
 * or missing key reads "Needs authentication"). The gateway's tools themselves are listed by the other clients.
 */
function claudeConnected(url: string): RegExp {
  return new RegExp(`litellm: ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(HTTP\\) - (✔ Connected|! Connected · tools fetch failed — Request timed out)`);
}

function mcpgw(...argv: string[]) {
  return runCli(['-f', path.join(dir, 'mcpgw.yaml'), 'client-config', ...argv], { cwd: project, env: { HOME: home } });
}

/** What an installed user's file looks like before mcpgw touches it (other servers point at loopback only). */
async function preexisting(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** Codex's app server, asked for the status of its MCP servers: the one Codex command that connects to them. */
async function codexServerStatus(extra: Record<string, string>): Promise<{ name: string; tools: Record<string, unknown>; toolsError?: string }[]> {
  const child = spawn(bin('codex'), ['app-server'], { cwd: project, env: clientEnv(extra), stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const timer = setTimeout(() => child.kill(), 60_000);
  try {
    send({ id: 1, method: 'initialize', params: { clientInfo: { name: 'mcpgw-test', version: '0.1.0' } } });
    for await (const line of lines) {
      const message = JSON.parse(line) as {
        id?: number;
        result?: { data: { name: string; tools: Record<string, unknown>; toolsError?: string }[] };
        error?: unknown;
      };
      if (message.id === 1) {
        send({ method: 'initialized' });
        send({ id: 2, method: 'mcpServerStatus/list', params: {} });
      }
      if (message.id === 2) {
        if (!message.result) throw new Error(`codex app-server: ${JSON.stringify(message.error)}`);
        return message.result.data;
      }
    }
    throw new Error('codex app-server ended without answering');
  } finally {
    clearTimeout(timer);
    child.kill();
  }
}

/** Tool names an MCP client sees through the gateway with these URL and headers. */
async function toolsVia(url: string, headers: Record<string, string>): Promise<string[]> {
  const mcp = new Client({ name: 'mcpgw-test', version: '0.1.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return (await mcp.listTools()).tools.map((tool) => tool.name);
  } finally {
    await mcp.close();
  }
}

describe('mcpgw client-config --write, checked by the real clients against a real gateway', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-clients-'));
    home = path.join(dir, 'home');
    project = path.join(dir, 'project');
    await mkdir(home);
    await mkdir(project);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { everything: { transport: 'http', port: 48310 } },
      secrets: { MCPGW_KEY_DEV: KEY },
      extra: { keys: [{ alias: 'dev', mcp_servers: ['everything'] }] },
    });
    // The probe has its own tests; here the clients are the check.
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    // The first tools/list through a fresh LiteLLM also loads the key from the DB; do it once before the clients.
    expect(await toolsVia(`http://127.0.0.1:${PORT}/mcp/`, { 'x-litellm-api-key': `Bearer ${KEY}` })).toContain('everything-echo');
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('Claude Code (user scope): merged into an existing ~/.claude.json, `claude mcp list` connects', async () => {
    const file = path.join(home, '.claude.json');
    const before = {
      numStartups: 3,
      theme: 'dark',
      hasCompletedOnboarding: true,
      mcpServers: { offline: { type: 'http', url: 'http://127.0.0.1:9/mcp/' } },
      projects: { [project]: { allowedTools: [], hasTrustDialogAccepted: true } },
    };
    await preexisting(file, `${JSON.stringify(before, null, 2)}\n`);
    const written = await mcpgw('claude', '--key-alias', 'dev', '--write');
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/^updated .*\.claude\.json \(previous version kept as /);
    const litellm = { type: 'http', url: `http://localhost:${PORT}/mcp/`, headers: { 'x-litellm-api-key': `Bearer ${KEY}` } };
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...before, mcpServers: { ...before.mcpServers, litellm } });

    const list = await claudeMcpList();
    expect(list).toMatch(claudeConnected(`http://localhost:${PORT}/mcp/`));
    expect(list).toMatch(/offline: http:\/\/127\.0\.0\.1:9\/mcp\/ \(HTTP\) - ✘ Failed to connect/);
    // Claude Code rewrites ~/.claude.json as it runs (this version drops `theme` from it); both servers
    // survive that, and a re-run of mcpgw finds nothing to change.
    const after = JSON.parse(await readFile(file, 'utf8')) as typeof before;
    expect(after.mcpServers).toEqual({ ...before.mcpServers, litellm });
    expect((await mcpgw('claude', '--key-alias', 'dev', '--write')).stdout).toMatch(/^unchanged /);
  });

  it('Claude Code: the printed `claude mcp add` line, run by Claude Code itself, stores the entry --write writes', async () => {
    const printed = await mcpgw('claude', '--key-alias', 'dev');
    expect(printed.code, printed.stderr).toBe(0);
    const own = path.join(dir, 'claude-add-home');
    await mkdir(own);
    const added = await execa('bash', ['-c', printed.stdout], {
      cwd: project,
      env: { ...clientEnv(), HOME: own },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    });
    expect(added.exitCode, added.stderr).toBe(0);
    const entry = async (home: string) =>
      (JSON.parse(await readFile(path.join(home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers.litellm;
    expect(await entry(own)).toEqual(await entry(home));
  });

  it('Claude Code (project scope): .mcp.json holds no key and connects with the exported variable only', async () => {
    const written = await mcpgw('claude', '--scope', 'project', '--key-alias', 'dev', '--write');
    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(path.join(project, '.mcp.json'), 'utf8')).not.toContain(KEY);
    // What Claude Code records when the user approves the project's servers at start-up.
    const file = path.join(home, '.claude.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as { projects: Record<string, Record<string, unknown>> };
    config.projects[project] = { ...config.projects[project], enabledMcpjsonServers: ['litellm'] };
    await writeFile(file, JSON.stringify(config, null, 2));

    expect(await claudeMcpList(AUTH)).toMatch(claudeConnected(`http://localhost:${PORT}/mcp/`));
    expect(await claudeMcpList()).toMatch(/litellm: \S+ \(HTTP\) - ! Needs authentication/);
    await rm(path.join(project, '.mcp.json'));
  });

  it('Gemini CLI: merged into an existing settings.json with comments, `gemini mcp list` connects in a trusted folder', async () => {
    const file = path.join(home, '.gemini', 'settings.json');
    await preexisting(file, '{\n  // mine\n  "theme": "Dracula",\n  "mcpServers": {\n    "offline": { "httpUrl": "http://127.0.0.1:9/mcp/" }\n  }\n}\n');
    const written = await mcpgw('gemini', '--key-alias', 'dev', '--write');
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toMatch(/GEMINI_CLI_TRUST_WORKSPACE=true/);
    expect(await readFile(file, 'utf8')).toContain('// mine');

    const trusted = await client('gemini', ['mcp', 'list'], { GEMINI_CLI_TRUST_WORKSPACE: 'true' });
    expect(trusted.output).toContain(`✓ litellm: http://localhost:${PORT}/mcp/ (http) - Connected`);
    expect(trusted.output).toMatch(/offline: http:\/\/127\.0\.0\.1:9\/mcp\/ \(http\) - Disconnected/);
    // The note is needed: in an untrusted folder Gemini disables even user-level servers.
    expect((await client('gemini', ['mcp', 'list'])).output).toMatch(/litellm: \S+ \(http\) - Disabled/);
  });

  it('Gemini CLI (project scope): the ${VAR} reference connects only with the variable exported', async () => {
    const written = await mcpgw('gemini', '--scope', 'project', '--write');
    expect(written.code, written.stderr).toBe(0);
    const trust = { GEMINI_CLI_TRUST_WORKSPACE: 'true' };
    expect((await client('gemini', ['mcp', 'list'], { ...trust, ...AUTH })).output).toMatch(/✓ litellm: \S+ \(http\) - Connected/);
    expect((await client('gemini', ['mcp', 'list'], trust)).output).toMatch(/✗ litellm: \S+ \(http\) - Disconnected/);
    await rm(path.join(project, '.gemini'), { recursive: true });
  });

  it('Codex CLI: merged into an existing config.toml; codex parses it and its app server lists the gateway tools', async () => {
    const file = path.join(home, '.codex', 'config.toml');
    await preexisting(
      file,
      '# mine\nmodel = "gpt-5-codex"\n\n[mcp_servers.offline]\nurl = "http://127.0.0.1:9/mcp/"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n',
    );
    const written = await mcpgw('codex', '--write');
    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(file, 'utf8')).not.toContain(KEY);

    const get = await client('codex', ['mcp', 'get', 'litellm', '--json']);
    expect(get.code, get.output).toBe(0);
    expect(JSON.parse(get.output.slice(get.output.indexOf('{'), get.output.lastIndexOf('}') + 1))).toMatchObject({
      name: 'litellm',
      enabled: true,
      transport: { type: 'streamable_http', url: `http://localhost:${PORT}/mcp/`, env_http_headers: { 'x-litellm-api-key': 'MCPGW_LITELLM_AUTH' } },
    });
    expect((await client('codex', ['mcp', 'list'])).output).toMatch(/offline\s+http:\/\/127\.0\.0\.1:9\/mcp\//);

    const status = await codexServerStatus(AUTH);
    expect(Object.keys(status.find((server) => server.name === 'litellm')?.tools ?? {})).toContain('everything-echo');
    const without = (await codexServerStatus({})).find((server) => server.name === 'litellm');
    expect(without?.toolsError).toMatch(/Auth required/);
  });

  it('Claude Desktop: the mcp-remote bridge exactly as written runs offline and calls a tool through the gateway', async () => {
    const written = await mcpgw('claude-desktop', '--key-alias', 'dev', '--write');
    expect(written.code, written.stderr).toBe(0);
    const file = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    const entry = (JSON.parse(await readFile(file, 'utf8')) as { mcpServers: { litellm: { command: string; args: string[]; env: Record<string, string> } } })
      .mcpServers.litellm;
    expect(entry.args[1]).toBe(`mcp-remote@${MCP_REMOTE_VERSION}`);
    // Run from the clients' install so `npx -y mcp-remote@<pinned>` resolves to the installed copy.
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: clientEnv(entry.env),
      cwd: path.dirname(path.dirname(stack.clientsBin)),
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const desktop = new Client({ name: 'claude-desktop-stand-in', version: '0.1.0' });
    await desktop.connect(transport);
    try {
      const nonce = randomBytes(6).toString('hex');
      const result = (await desktop.callTool({ name: 'everything-echo', arguments: { message: nonce } })) as { content: { text?: string }[] };
      expect(result.content.map((part) => part.text).join(''), log).toContain(nonce);
    } finally {
      await desktop.close();
    }
  });

  it('VS Code, Cursor and Open WebUI (not run here; the real Open WebUI is in openwebui.test.ts): the written URL and header reach the tools', async () => {
    const vscodeWritten = await mcpgw('vscode', '--write');
    expect(vscodeWritten.code, vscodeWritten.stderr).toBe(0);
    const vscode = (
      JSON.parse(await readFile(path.join(project, '.vscode', 'mcp.json'), 'utf8')) as {
        servers: { litellm: { url: string; headers: Record<string, string> } };
      }
    ).servers.litellm;
    // What VS Code sends once the user typed the key into the password prompt.
    const typed = Object.fromEntries(Object.entries(vscode.headers).map(([header, value]) => [header, value.replace('${input:litellm-key}', KEY)]));
    expect(await toolsVia(vscode.url, typed)).toContain('everything-echo');

    expect((await mcpgw('cursor', '--key-alias', 'dev', '--write')).code).toBe(0);
    const cursor = (
      JSON.parse(await readFile(path.join(home, '.cursor', 'mcp.json'), 'utf8')) as {
        mcpServers: { litellm: { url: string; headers: Record<string, string> } };
      }
    ).mcpServers.litellm;
    expect(await toolsVia(cursor.url, cursor.headers)).toContain('everything-echo');

    const webui = await mcpgw('openwebui', '--key-alias', 'dev');
    const connections = JSON.parse(/TOOL_SERVER_CONNECTIONS='(.+)'/.exec(webui.stdout)?.[1] ?? '[]') as { url: string; headers: Record<string, string> }[];
    expect(await toolsVia(connections[0]?.url ?? '', connections[0]?.headers ?? {})).toContain('everything-echo');
  });
});
