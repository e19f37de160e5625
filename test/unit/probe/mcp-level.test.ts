import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAggregate, checkServer, type McpLevelContext } from '../../../src/probe/mcp-level.js';

// LiteLLM 1.108.7 answers every MCP request this way while it cannot rebuild its MCP catalog (catalog.py).
const CATALOG_503 = JSON.stringify({ detail: 'MCP server configuration could not be refreshed' });

describe('the MCP level against a gateway that refuses with 503', () => {
  let server: Server;
  let ctx: McpLevelContext;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      const body = request.url?.startsWith('/mcp/gone') ? 'Service Unavailable' : CATALOG_503;
      response.writeHead(503, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ctx = { baseUrl: `http://127.0.0.1:${port}`, key: 'sk-unit', timeoutMs: 5000, nonce: () => 'nonce-1', diagnose: async () => [] };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names the catalog refresh (database or server at fault) for /mcp/ and a server', async () => {
    const aggregate = await checkAggregate(ctx);
    expect(aggregate.status).toBe('fail');
    expect(aggregate.evidence[0]).toMatch(/^POST \/mcp\/: HTTP 503 .*could not be refreshed/);
    expect(aggregate.causes?.[0]?.cause).toMatch(/could not rebuild its MCP server list.*database/);
    expect(aggregate.causes?.[0]?.fix).toMatch(/mcpgw doctor --only database/);

    const { outcome } = await checkServer(ctx, { name: 'alpha', transport: 'http' }, true);
    expect(outcome.causes?.[0]?.cause).toMatch(/could not rebuild its MCP server list/);
  });

  it('keeps the generic explanation for any other 503', async () => {
    const { outcome } = await checkServer(ctx, { name: 'gone', transport: 'http' }, true);
    expect(outcome.evidence[0]).toMatch(/^POST \/mcp\/gone: HTTP 503/);
    expect(outcome.causes?.[0]?.cause).toBe("LiteLLM's MCP endpoint failed");
  });
});
