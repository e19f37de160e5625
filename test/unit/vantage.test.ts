import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { causeOf, settledRefusal } from '../../src/gateway/causes.js';
import { litellmVantage, type ServerEndpoint, type VantageAnswer, type VantageEngine } from '../../src/gateway/vantage.js';
import { buildStackModel, litellmPlace } from '../../src/stack/model.js';
import { configSchema } from '../../src/config/schema.js';

const run = promisify(execFile);

/** The SDK's own server with one echo tool, as a third-party server would register it. */
function sdkServer(): McpServer {
  const server = new McpServer({ name: 'sdk-echo', version: '1' });
  server.registerTool('echo', { description: 'echo', inputSchema: { message: z.string() } }, ({ message }) => ({ content: [{ type: 'text', text: message }] }));
  return server;
}

/**
 * The engine's exec, run on this machine instead of in a container: the same script, the same argv. What the
 * test proves is what the script sees and reports, against servers this project did not write (the MCP SDK's).
 */
const localEngine = (running = true): VantageEngine & { runs: string[] } => {
  const runs: string[] = [];
  const local = async (argv: string[]) => {
    const [command = '', ...args] = argv;
    const { stdout } = await run(command, args, { timeout: 30_000 });
    return { exitCode: 0, output: stdout };
  };
  return {
    runs,
    containerState: async () => ({ running, restartCount: 0, status: running ? 'running' : 'exited', exitCode: 0 }),
    exec: async (id, cmd) => {
      runs.push(`exec ${id}`);
      return local(cmd);
    },
    runOnce: async (spec) => {
      runs.push(`runOnce ${spec.image} on ${spec.networks.join(',')}`);
      return local([...spec.entrypoint, ...spec.cmd]);
    },
  };
};

const model = buildStackModel(configSchema.parse({ version: 1, host: 'gw.lan', name: 'unit' }));

describe('the vantage script against the MCP SDK servers', () => {
  let http: Server;
  let base = '';
  const sse = new Map<string, SSEServerTransport>();

  beforeAll(async () => {
    http = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/mcp') {
        if (request.headers.host?.startsWith('127.0.0.1') && request.headers['x-needs-host'] === undefined && url.searchParams.has('strict')) {
          return void response.writeHead(421).end('Invalid Host header');
        }
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        response.on('close', () => void transport.close());
        return void sdkServer()
          .connect(transport)
          .then(() => transport.handleRequest(request, response));
      }
      if (url.pathname === '/sse' && request.method === 'GET') {
        const transport = new SSEServerTransport('/messages', response);
        sse.set(transport.sessionId, transport);
        return void sdkServer().connect(transport);
      }
      if (url.pathname === '/messages' && request.method === 'POST') {
        const transport = sse.get(url.searchParams.get('sessionId') ?? '');
        if (!transport) return void response.writeHead(404).end();
        return void transport.handlePostMessage(request, response);
      }
      response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  const ask = async (endpoints: ServerEndpoint[], engine = localEngine()): Promise<VantageAnswer[]> =>
    litellmVantage(engine, litellmPlace(model), () => 'x').reach(endpoints, 5_000);
  const endpoint = (name: string, url: string, transport: 'sse' | 'http', headers: Record<string, string> = {}): ServerEndpoint => ({
    name,
    url,
    transport,
    headers,
  });

  it('opens a session and lists tools over streamable HTTP and SSE, several servers in one run', async () => {
    const engine = localEngine();
    const [http, events] = await ask([endpoint('web', `${base}/mcp`, 'http'), endpoint('events', `${base}/sse`, 'sse')], engine);
    expect(http).toMatchObject({ name: 'web', ok: true, server: 'sdk-echo', tools: ['echo'] });
    expect(events).toMatchObject({ name: 'events', ok: true, server: 'sdk-echo', tools: ['echo'] });
    expect(causeOf(http as VantageAnswer, {})).toBeUndefined();
    expect(engine.runs).toEqual(['exec unit-litellm']);
  });

  it('runs in a throwaway container of the LiteLLM image on its networks when LiteLLM is not running', async () => {
    const engine = localEngine(false);
    const [answer] = await ask([endpoint('web', `${base}/mcp`, 'http')], engine);
    expect(answer?.ok).toBe(true);
    expect(engine.runs).toEqual([`runOnce ${model.services.find((service) => service.role === 'litellm')?.image} on unit-litellm-net,postgres-net`]);
  });

  it('names a wrong path, a transport mismatch, a refused port and a rejected Host header', { timeout: 20_000 }, async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const answers = await ask([
      endpoint('lost', `${base}/nowhere`, 'http'),
      endpoint('mixed', `${base}/mcp`, 'sse'),
      endpoint('gone', `http://127.0.0.1:${refusedPort}/mcp`, 'http'),
      endpoint('strict', `${base}/mcp?strict`, 'http'),
    ]);
    const [lost, mixed, gone, strict] = answers.map((answer) => ({ answer, cause: causeOf(answer, { service: `mcp-${answer.name}` }) }));
    expect(lost?.answer).toMatchObject({ ok: false, stage: 'initialize', status: 404 });
    expect(lost?.cause?.fix).toContain('mcp_servers.lost.path');
    expect(mixed?.answer.speaks).toEqual({ transport: 'http', path: '/mcp' });
    expect(mixed?.cause?.fix).toBe('set mcp_servers.mixed.transport: http and mcp_servers.mixed.path: /mcp, then `mcpgw up`');
    expect(gone?.answer).toMatchObject({ ok: false, stage: 'connect' });
    expect(gone?.cause?.cause).toContain('the server listens on 127.0.0.1 inside its container');
    expect(strict?.answer).toMatchObject({ ok: false, status: 421 });
    expect(strict?.cause?.fix).toContain(`mcp_servers.strict.host_header: "localhost:${new URL(base).port}"`);
    // What the running server answers about its own configuration (it serves elsewhere, another transport, only
    // localhost) ends a wait at once; a refused port may still be a server starting up.
    expect([lost, mixed, gone, strict].map((entry) => entry && settledRefusal(entry.answer))).toEqual([true, true, false, true]);
  });

  it('sends the headers config.yaml gives LiteLLM, Host included', async () => {
    const [answer] = await ask([endpoint('strict', `${base}/mcp?strict`, 'http', { Host: `localhost:${new URL(base).port}` })]);
    expect(answer).toMatchObject({ ok: true, tools: ['echo'] });
  });
});
