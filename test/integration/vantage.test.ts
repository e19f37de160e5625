// Each class of "LiteLLM cannot use this MCP server", built for real: third-party servers (the MCP Python SDK's
// FastMCP with its default DNS-rebinding protection, crystaldba postgres-mcp over SSE, server-everything) in
// containers on LiteLLM's network, asked by mcpgw's vantage from inside a container of the LiteLLM image — the
// URL and headers config.yaml gives LiteLLM — and the cause and fix mcpgw derives from what they answered.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { connectEngine, type Engine } from '../../src/docker/engine.js';
import { causeOf, LITELLM_TOOL_LISTING_TIMEOUT_MS } from '../../src/gateway/causes.js';
import { litellmVantage, VANTAGE_DEADLINE_MS, type VantageAnswer } from '../../src/gateway/vantage.js';
import { buildStackModel, litellmEndpoints, litellmPlace, mcpServiceName } from '../../src/stack/model.js';
import { createNetwork, dockerClient, runId, startContainer, testLabels, waitForContainer, type StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const name = `vt${run}`;
const labels = testLabels(run, {}, stack.owner);
const net = `${name}-mcp`;
const elsewhere = `${name}-elsewhere`;

/** A FastMCP server whose tools/list takes longer than LiteLLM waits for a listing. */
const SLOW_SERVER = `
import asyncio
from mcp.server.fastmcp import FastMCP
server = FastMCP("slow", host="0.0.0.0", port=8000)
@server.tool()
def echo(message: str) -> str:
    return message
listed = server.list_tools
async def slowly():
    await asyncio.sleep(${LITELLM_TOOL_LISTING_TIMEOUT_MS / 1000 + 2})
    return await listed()
server._mcp_server.list_tools()(slowly)
server.run(transport="streamable-http")
`;

/** FastMCP as its docs start it: the default host, 127.0.0.1 inside the container. */
const LOOPBACK_SERVER = `
from mcp.server.fastmcp import FastMCP
server = FastMCP("loopback")
@server.tool()
def echo(message: str) -> str:
    return message
server.run(transport="streamable-http")
`;

/** An HTTP service that wants credentials of its own (401) or another content type (415), as APIs answer. */
const REFUSING_SERVER = `
import http.server, os
STATUS = int(os.environ["STATUS"])
class Refuse(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.send_response(STATUS)
        if STATUS == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="mcp"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": "refused"}')
    do_GET = do_POST = answer
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Refuse).serve_forever()
`;

const config = configSchema.parse({
  version: 1,
  name,
  host: 'gw.lan',
  network: net,
  postgres: { mode: 'external' },
  litellm: { image: stack.images.litellm },
  mcp_servers: {
    fastmcp: { transport: 'http', image: 'x', port: 48001, container_port: 8000 },
    fastmcp_fixed: { transport: 'http', image: 'x', port: 48002, container_port: 8000, host_header: 'localhost:8000' },
    pg: { transport: 'sse', image: 'x', port: 48003, container_port: 8000, path: '/sse' },
    pg_fixed: { transport: 'sse', image: 'x', port: 48004, container_port: 8000, path: '/sse', host_header: 'localhost:8000' },
    loopback: { transport: 'http', image: 'x', port: 48005, container_port: 8000 },
    everything: { transport: 'http', image: 'x', port: 48006, container_port: 8000 },
    wrong_path: { transport: 'http', image: 'x', port: 48007, container_port: 8000, path: '/wrong' },
    http_as_sse: { transport: 'sse', image: 'x', port: 48008, container_port: 8000, path: '/mcp' },
    sse_as_http: { transport: 'http', image: 'x', port: 48009, container_port: 8000, path: '/sse' },
    wrong_port: { transport: 'http', image: 'x', port: 48010, container_port: 9999 },
    authed: { transport: 'http', image: 'x', port: 48011, container_port: 8000 },
    json_api: { transport: 'http', image: 'x', port: 48012, container_port: 8000 },
    elsewhere: { transport: 'http', image: 'x', port: 48013, container_port: 8000 },
    slow: { transport: 'http', image: 'x', port: 48014, container_port: 8000 },
  },
});
const model = buildStackModel(config);

const containers: StartedContainer[] = [];
let engine: Engine;
let answers: Map<string, VantageAnswer>;

/** A server container reachable as the names config.yaml gives LiteLLM for each of `servers`. */
async function serve(image: string, servers: string[], options: { cmd?: string[]; entrypoint?: string[]; env?: Record<string, string>; network?: string }) {
  const container = await startContainer(docker, {
    name: `${name}-${servers[0]}`,
    image,
    labels,
    networks: [{ name: options.network ?? net, aliases: servers.map(mcpServiceName) }],
    ...(options.cmd ? { cmd: options.cmd } : {}),
    ...(options.entrypoint ? { entrypoint: options.entrypoint } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  containers.push(container);
  return container;
}

beforeAll(async () => {
  await createNetwork(docker, net, labels);
  await createNetwork(docker, elsewhere, labels);
  const python = stack.images.mcpPython;
  const started = await Promise.all([
    serve(python, ['fastmcp', 'fastmcp_fixed'], { cmd: ['mcp-echo-http'], env: { PORT: '8000' } }),
    // postgres-mcp lists its tools without a database; its SQL tools would need one.
    serve(python, ['pg', 'pg_fixed'], {
      cmd: ['postgres-mcp', '--transport=sse', '--sse-host=0.0.0.0', '--sse-port=8000', '--access-mode=restricted'],
      env: { DATABASE_URI: 'postgresql://nobody:nothing@127.0.0.1:1/none' },
    }),
    serve(python, ['loopback'], { entrypoint: ['python', '-c', LOOPBACK_SERVER] }),
    serve(stack.images.mcp, ['everything', 'wrong_path', 'http_as_sse', 'wrong_port'], {
      cmd: ['mcp-server-everything', 'streamableHttp'],
      env: { PORT: '8000' },
    }),
    serve(stack.images.mcp, ['sse_as_http'], { cmd: ['mcp-server-everything', 'sse'], env: { PORT: '8000' } }),
    serve(python, ['authed'], { entrypoint: ['python', '-c', REFUSING_SERVER], env: { STATUS: '401' } }),
    serve(python, ['json_api'], { entrypoint: ['python', '-c', REFUSING_SERVER], env: { STATUS: '415' } }),
    serve(stack.images.mcp, ['elsewhere'], { cmd: ['mcp-server-everything', 'streamableHttp'], env: { PORT: '8000' }, network: elsewhere }),
    serve(python, ['slow'], { entrypoint: ['python', '-c', SLOW_SERVER] }),
  ]);
  // Every server listens on port 8000 before anything is judged (the kernel's socket table says so), so no
  // class is a start-up race.
  await Promise.all(
    started.map((container) =>
      waitForContainer(
        container,
        'listening on port 8000',
        async () => (/:1F40 [0-9A-F]+:0000 0A/.test((await container.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6'])).output) ? true : undefined),
        { timeoutMs: 60_000 },
      ),
    ),
  );
  engine = await connectEngine(process.env);
  // LiteLLM's place: a running container of the LiteLLM image, attached as the stack's LiteLLM would be.
  const litellm = model.services.find((service) => service.role === 'litellm');
  containers.push(
    await startContainer(docker, {
      name: litellm?.containerName ?? '',
      image: stack.images.litellm,
      labels,
      networks: [{ name: net }],
      entrypoint: ['sleep', 'infinity'],
    }),
  );
  const vantage = litellmVantage(engine, litellmPlace(model), () => run);
  answers = new Map((await vantage.reach(litellmEndpoints(model), VANTAGE_DEADLINE_MS)).map((answer) => [answer.name, answer]));
}, 300_000);

afterAll(async () => {
  await Promise.all(containers.map((container) => container.remove()));
  for (const network of [net, elsewhere])
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
});

function judged(server: string) {
  const answer = answers.get(server);
  if (!answer) throw new Error(`no answer for ${server}`);
  const role = { service: mcpServiceName(server) };
  return { answer, cause: causeOf(answer, role) };
}

describe("from LiteLLM's network, each way a server can be unusable is named with its fix", () => {
  it('a FastMCP server rejects the Host LiteLLM sends (421); host_header fixes it', () => {
    const { answer, cause } = judged('fastmcp');
    expect(answer).toMatchObject({ ok: false, stage: 'initialize', status: 421 });
    expect(cause?.cause).toContain('rejects the Host header LiteLLM sends (mcp-fastmcp:8000)');
    expect(cause?.fix).toContain('set mcp_servers.fastmcp.host_header: "localhost:8000"');
    expect(judged('fastmcp_fixed')).toMatchObject({ answer: { ok: true, tools: ['echo'] }, cause: undefined });
  });

  it('crystaldba postgres-mcp over SSE, as the seed runs it: 421 on the message endpoint; host_header fixes it', () => {
    const { answer, cause } = judged('pg');
    expect(answer.ok).toBe(false);
    expect(answer.status).toBe(421);
    expect(cause?.fix).toContain('set mcp_servers.pg.host_header: "localhost:8000"');
    const fixed = judged('pg_fixed');
    expect(fixed.answer.ok, JSON.stringify(fixed.answer)).toBe(true);
    expect(fixed.answer.tools?.length).toBeGreaterThan(3);
    expect(fixed.cause).toBeUndefined();
  });

  it('a server listening on 127.0.0.1 inside its container, and a wrong container_port: connection refused', () => {
    for (const server of ['loopback', 'wrong_port']) {
      const { answer, cause } = judged(server);
      expect(answer, server).toMatchObject({ ok: false, stage: 'connect' });
      expect(cause?.cause).toContain('the server listens on 127.0.0.1 inside its container, or on another port than container_port');
      expect(cause?.fix).toContain(`set mcp_servers.${server}.container_port`);
    }
  });

  it('a wrong path (404) names the path the server serves', () => {
    const { answer, cause } = judged('wrong_path');
    expect(answer).toMatchObject({ ok: false, status: 404 });
    expect(cause?.cause).toContain('nothing serves streamable HTTP at http://mcp-wrong-path:8000/wrong (as LiteLLM reaches it) (HTTP 404');
    expect(cause?.fix).toBe('set mcp_servers.wrong_path.path: /mcp, then `mcpgw up`');
  });

  it('SSE declared for a streamable HTTP server and the reverse: the transport it speaks instead', () => {
    expect(judged('http_as_sse').cause?.fix).toBe('set mcp_servers.http_as_sse.transport: http and mcp_servers.http_as_sse.path: /mcp, then `mcpgw up`');
    expect(judged('sse_as_http').cause?.fix).toBe('set mcp_servers.sse_as_http.transport: sse and mcp_servers.sse_as_http.path: /sse, then `mcpgw up`');
  });

  it("the server's own auth (401) and a content type it refuses (415)", () => {
    expect(judged('authed')).toMatchObject({ answer: { status: 401 }, cause: { cause: expect.stringContaining('requires credentials of its own') } });
    expect(judged('json_api')).toMatchObject({
      answer: { status: 415 },
      cause: { cause: expect.stringContaining('does not accept streamable HTTP requests') },
    });
  });

  it("a container not on LiteLLM's network: its name does not resolve", () => {
    const { answer, cause } = judged('elsewhere');
    expect(answer).toMatchObject({ ok: false, stage: 'resolve' });
    expect(cause?.cause).toContain('the container mcp-elsewhere is not on the network it shares with LiteLLM');
  });

  it("a listing slower than LiteLLM's tool-listing timeout", () => {
    const { answer, cause } = judged('slow');
    expect(answer.elapsed_ms).toBeGreaterThan(LITELLM_TOOL_LISTING_TIMEOUT_MS);
    expect(cause?.cause).toContain("longer than LiteLLM's tool-listing timeout (30 s)");
  });

  it('server-everything answers well: no cause', () => {
    expect(judged('everything')).toMatchObject({ answer: { ok: true }, cause: undefined });
  });

  it('with LiteLLM stopped, a throwaway container of its image on its networks answers the same', async () => {
    const litellm = containers.at(-1) as StartedContainer;
    await docker.getContainer(litellm.id).stop({ t: 0 });
    // This test's servers and LiteLLM stand-in share one hand-made network, not the ones `up` would make per server.
    const place = { ...litellmPlace(model), networks: [net] };
    const [broken, fixed] = await litellmVantage(engine, place, () => `${run}b`).reach(
      litellmEndpoints(model).filter((endpoint) => endpoint.name === 'fastmcp' || endpoint.name === 'fastmcp_fixed'),
      10_000,
    );
    expect(broken).toMatchObject({ name: 'fastmcp', status: 421 });
    expect(fixed).toMatchObject({ name: 'fastmcp_fixed', ok: true });
  });
});
