import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { pythonEchoServer } from '../helpers/stdio-server.js';

const stack = inject('mcpgwStack');
const name = `mcpgwt-${Date.now().toString(36)}-mcp`;
const LITELLM_PORT = 14410;
const KEYS = {
  MCPGW_KEY_CLIENT: 'sk-itest-mcp-client-5d8e1f3a7c9b2046',
  MCPGW_KEY_OTHER: 'sk-itest-mcp-other-a1c3e5b7d9f20486',
};

const PYTHON_SERVER = pythonEchoServer('inproc');

/**
 * LiteLLM opens an upstream session per request (spawning stdio servers again); on this shared 2-core host,
 * with other stacks running, one listing has taken over 120 s. A deadline, not a speed assertion.
 */
const SLOW = ['--timeout', '400'];
const LONG_TEST_MS = 900_000;

interface ListReport {
  servers: { name: string; transport: string; runs: string; endpoint: string; state: string; tools: number | null; keys: string[] }[];
  notes: string[];
}
interface ToolsReport {
  tools: { name: string; inputs: string; description: string }[];
  failures: { server: string; message: string }[];
}

describe('mcpgw mcp against the real LiteLLM proxy and real MCP servers over sse, http and stdio', () => {
  let dir = '';
  const cli = (argv: string[]) => runCli(argv, { cwd: dir });
  const json = async <T>(argv: string[]): Promise<T> => {
    const result = await cli(['--json', ...argv]);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-mcp-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: LITELLM_PORT,
      mcp: {},
      secrets: KEYS,
      extra: { mcp_port_range: '48460-48499' },
    });
    const image = stack.images.mcp;
    const adds: string[][] = [
      ['sse_srv', '--transport', 'sse', '--image', image, '--command', 'mcp-server-everything sse', '--container-port', '3001'],
      // The catalog entry's own command (npx -y pinned version), from the image's warm npx cache.
      ['http_srv', '--from-catalog', 'everything', '--image', image],
      ['bridged', '--transport', 'stdio', '--image', image, '--command', 'mcp-server-everything stdio'],
      ['inproc', '--transport', 'stdio', '--inside-litellm', '--command', 'python3 -c', '--args', PYTHON_SERVER],
    ];
    for (const add of adds) {
      const result = await cli(['mcp', 'add', ...add]);
      expect(result.code, result.stderr).toBe(0);
    }
    // Grants, as a user writes them; the comment must survive later mcp edits.
    const file = path.join(dir, 'mcpgw.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.set('keys', [
      { alias: 'client', mcp_servers: ['sse_srv', 'bridged', 'inproc'] },
      { alias: 'other', mcp_servers: ['http_srv'] },
    ]);
    doc.commentBefore = ' lab gateway';
    await writeFile(file, doc.toString());
    // --no-probe: mcpgw probe has its own tests; its 30 s default deadline is too short for this shared host, and the
    // listings and calls below check these servers through the gateway with their own deadline.
    const up = await cli(['up', '--no-probe']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/ok {4}stdio commands: 1 command\(s\) present in the LiteLLM container/);
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('added each server on the next free port of the range', async () => {
    const text = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
    const servers = parseDocument(text).toJS().mcp_servers as Record<string, { port?: number }>;
    expect(Object.fromEntries(Object.entries(servers).map(([server, entry]) => [server, entry.port ?? null]))).toEqual({
      sse_srv: 48460,
      http_srv: 48461,
      bridged: 48462,
      inproc: null,
    });
  });

  it(
    'mcp list shows every server running with its tool count and the keys that grant it',
    async () => {
      const report = await json<ListReport>(['mcp', 'list', ...SLOW]);
      expect(report.notes).toEqual([]);
      const rows = Object.fromEntries(report.servers.map((row) => [row.name, row]));
      expect(rows.sse_srv).toMatchObject({ transport: 'sse', runs: 'container', endpoint: 'http://mcp-sse-srv:3001/sse', state: 'running', keys: ['client'] });
      expect(rows.http_srv).toMatchObject({
        transport: 'http',
        runs: 'container',
        endpoint: 'http://mcp-http-srv:3001/mcp',
        state: 'running',
        keys: ['other'],
      });
      expect(rows.bridged).toMatchObject({
        transport: 'stdio',
        runs: 'bridge→http',
        endpoint: 'http://mcp-bridged:48462/mcp',
        state: 'running',
        keys: ['client'],
      });
      expect(rows.inproc).toMatchObject({ transport: 'stdio', runs: 'litellm', state: 'running', tools: 1, keys: ['client'] });
      // server-everything's tool set is the same whichever transport carries it.
      const everything = rows.sse_srv?.tools ?? 0;
      expect(everything).toBeGreaterThan(5);
      for (const server of ['http_srv', 'bridged']) expect(rows[server]?.tools, server).toBe(everything);
    },
    LONG_TEST_MS,
  );

  it(
    'mcp tools --key shows exactly what that key sees through the gateway, with input summaries',
    async () => {
      const client = await json<ToolsReport>(['mcp', 'tools', '--key', 'client', ...SLOW]);
      expect(client.failures).toEqual([]);
      const servers = [...new Set(client.tools.map((tool) => tool.name.split('-')[0]))].sort();
      expect(servers).toEqual(['bridged', 'inproc', 'sse_srv']);
      expect(client.tools.find((tool) => tool.name === 'inproc-echo')).toEqual({
        name: 'inproc-echo',
        inputs: 'message: string',
        description: 'Echo the message back.',
      });
      expect(client.tools.find((tool) => tool.name === 'bridged-echo')?.inputs).toBe('message: string');

      const other = await json<ToolsReport>(['mcp', 'tools', '--key', KEYS.MCPGW_KEY_OTHER, ...SLOW]);
      expect([...new Set(other.tools.map((tool) => tool.name.split('-')[0]))]).toEqual(['http_srv']);

      const one = await cli(['mcp', 'tools', 'bridged', '--key', 'client', ...SLOW]);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout, one.stderr).toMatch(/^TOOL\s+INPUTS\s+DESCRIPTION/);
      expect(one.stdout).toMatch(/bridged-echo\s+message: string/);
      expect(one.stdout).not.toMatch(/sse_srv-|inproc-/);
      expect(one.stdout + one.stderr).not.toContain(KEYS.MCPGW_KEY_CLIENT);
    },
    LONG_TEST_MS,
  );

  it(
    'each server executes a tool for its key through the gateway: sse, http, the http bridge and stdio in LiteLLM',
    async () => {
      const calls: [string, string][] = [
        ['sse_srv', KEYS.MCPGW_KEY_CLIENT],
        ['http_srv', KEYS.MCPGW_KEY_OTHER],
        ['bridged', KEYS.MCPGW_KEY_CLIENT],
        ['inproc', KEYS.MCPGW_KEY_CLIENT],
      ];
      for (const [server, key] of calls) {
        const nonce = `nonce-${server}-${Date.now().toString(36)}`;
        const client = new Client({ name: 'mcpgw-itest', version: '0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${LITELLM_PORT}/mcp/${server}`), {
            requestInit: { headers: { 'x-litellm-api-key': `Bearer ${key}` } },
          }),
          { timeout: 400_000 },
        );
        try {
          const result = (await client.callTool({ name: `${server}-echo`, arguments: { message: nonce } }, undefined, { timeout: 400_000 })) as {
            content: { type: string; text?: string }[];
            isError?: boolean;
          };
          const text = result.content.map((part) => part.text ?? '').join(' ');
          expect(result.isError ?? false, `${server}: ${text}`).toBe(false);
          expect(text, server).toContain(nonce);
        } finally {
          await client.close();
        }
      }
    },
    LONG_TEST_MS,
  );

  it('mcp tools names a refused key without printing it', async () => {
    const result = await cli(['mcp', 'tools', '--key', 'sk-itest-mcp-unknown-000000000000']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/listing tools at http:\/\/127\.0\.0\.1:14410\/mcp\/: the gateway does not know this key \(HTTP 401/);
    expect(result.stderr).not.toContain('sk-itest-mcp-unknown');
  });

  it('a stdio command missing from the LiteLLM image is refused at add time, mcpgw.yaml untouched', async () => {
    const file = path.join(dir, 'mcpgw.yaml');
    const before = await readFile(file);
    const result = await cli([
      'mcp',
      'add',
      'via_npx',
      '--transport',
      'stdio',
      '--inside-litellm',
      '--command',
      'npx -y @modelcontextprotocol/server-everything@2026.8.31 stdio',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/npx is not in the LiteLLM container, so LiteLLM cannot spawn via_npx \(mcpgw\.yaml unchanged\)/);
    expect(result.stderr).toMatch(/remove inside_litellm and give it an image .*mcp add … --image IMG/);
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it(
    'mcp tools --key names a granted server that cannot answer, lists the others, and exits 1',
    async () => {
      await execa('docker', ['stop', '-t', '2', `${name}-mcp-bridged`]);
      const result = await cli(['--json', 'mcp', 'tools', '--key', 'client', ...SLOW]);
      expect(result.code, result.stderr).toBe(1);
      const report = JSON.parse(result.stdout) as ToolsReport;
      expect([...new Set(report.tools.map((tool) => tool.name.split('-')[0]))].sort()).toEqual(['inproc', 'sse_srv']);
      expect(report.failures.map((failure) => failure.server)).toEqual(['bridged']);
      expect(result.stderr).toMatch(/the tools of bridged could not be listed for key client/);
    },
    LONG_TEST_MS,
  );

  it('mcp remove refuses a granted server; --force drops the grant, which the next key sync removes from the database', async () => {
    const refused = await cli(['mcp', 'remove', 'sse_srv']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/key\(s\) client still grant sse_srv/);

    const removed = await cli(['mcp', 'remove', 'sse_srv', '--force']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).toMatch(/^# lab gateway\n/);
    const sync = await cli(['keys', 'sync']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/update\s+client \(mcp_servers\)/);
    const keys = await json<{ keys: { alias: string; mcpServers: string[] }[] }>(['keys', 'list']);
    expect(keys.keys.find((key) => key.alias === 'client')?.mcpServers.sort()).toEqual(['bridged', 'inproc']);
  });

  it("down removes every network of the stack, the removed server's own too (its container still ran)", async () => {
    const networks = async () =>
      (await execa('docker', ['network', 'ls', '--filter', `label=io.mcpgw.stack=${name}`, '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);
    expect(await networks()).toContain(`${name}-mcp-sse-srv-net`);
    const down = await cli(['down', '--volumes']);
    expect(down.code, down.stderr).toBe(0);
    expect(await networks()).toEqual([]);
  });
});
