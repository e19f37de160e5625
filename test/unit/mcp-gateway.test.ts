import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StepFailed } from '../../src/errors.js';
import { keyView } from '../../src/mcp/gateway.js';

const KEY = 'sk-unit-gateway-4b1d9e7c2a';

/** A real MCP server (the SDK's, stateless) answering one request, listing `tools`. */
async function answerMcp(request: IncomingMessage, response: ServerResponse, tools: string[]): Promise<void> {
  const server = new McpServer({ name: 'fake-upstream', version: '1' });
  for (const tool of tools)
    server.registerTool(tool, { description: `${tool} tool\nmore text`, inputSchema: { message: z.string(), count: z.number().int().optional() } }, () => ({
      content: [],
    }));
  // An empty list still comes from a server with the tools capability, as LiteLLM's does.
  if (tools.length === 0) server.registerTool('placeholder', {}, () => ({ content: [] })).remove();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  response.on('close', () => void transport.close());
  await server.connect(transport);
  await transport.handleRequest(request, response);
}

/** LiteLLM's per-server routes as they answer: 401 for an unknown key, 403 for a server not granted, 200 with an empty list for one it cannot reach. */
describe('keyView: what a key sees, server by server', () => {
  let gateway: Server;
  let base = '';

  beforeAll(async () => {
    gateway = createServer((request, response) => {
      if (request.headers['x-litellm-api-key'] !== `Bearer ${KEY}`) return void response.writeHead(401).end('{"error":"Invalid key"}');
      if (request.method === 'DELETE') return void response.writeHead(200).end();
      const server = request.url?.replace(/^\/mcp\//, '').replace(/\/$/, '');
      if (server === 'denied') return void response.writeHead(403).end('{"error":"not allowed"}');
      if (server === 'broken') return void response.writeHead(500).end('{"error":"boom"}');
      void answerMcp(request, response, server === 'down' ? [] : [`${server}-echo`]);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
  });

  it('lists granted servers in the order asked, skips those answering 403, and names an empty or failing one', async () => {
    const view = await keyView(base, KEY, ['broken', 'notes', 'denied', 'down', 'files'], 10);
    expect(view.listings).toEqual([
      { server: 'notes', tools: [{ name: 'notes-echo', description: 'notes-echo tool', inputs: 'message: string, count?: integer' }] },
      { server: 'files', tools: [{ name: 'files-echo', description: 'files-echo tool', inputs: 'message: string, count?: integer' }] },
    ]);
    expect(view.failures.map((failure) => failure.server)).toEqual(['broken', 'down']);
    expect(view.failures[0]?.message).toBe(
      `listing tools at ${base}/mcp/broken: LiteLLM's MCP endpoint failed (HTTP 500 Error POSTing to endpoint: {"error":"boom"})`,
    );
    expect(view.failures[1]).toEqual({
      server: 'down',
      message: `LiteLLM lists no tools at ${base}/mcp/down: the server is down, or its listing failed`,
      hint: '`mcpgw mcp list` shows its state; `mcpgw logs litellm` the error',
    });
  });

  it('a refused key is one answer for the gateway, not a failure per server, and never shows the key', async () => {
    const refused = keyView(base, 'sk-unit-wrong-000000000000', ['notes', 'files'], 10);
    // A failure found (exit 1): the key was well-formed and the gateway said no.
    await expect(refused).rejects.toThrow(StepFailed);
    await expect(refused).rejects.toThrow(`listing tools at ${base}/mcp/: the gateway does not know this key (HTTP 401`);
    await expect(refused.catch((error: Error) => error.message)).resolves.not.toContain('sk-unit-wrong');
  });
});
