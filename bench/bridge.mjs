#!/usr/bin/env node
// A bridged stdio server against a native streamable-HTTP server, as a client sees them: one `mcpgw up` stack
// (DB-mode LiteLLM from the test images; bash test/stack/prepare.sh first) with npm's server-memory as a
// bridged stdio server (bridge: http) and server-everything over HTTP, both from the test MCP image.
// MCP SDK client, p50 over BENCH_ROUNDS rounds (default 10), the two servers interleaved in each round:
//   gateway: a tool call through LiteLLM on an open client session (/mcp/<server>)
//   direct:  the same call straight to the server's published port
//   session: a fresh client session through LiteLLM (initialize, tools/list, tools/call, close)
// Prints bridged/native ratios; the gateway ratio has a budget of 1.5x. Ends with the processes the bridge
// container holds after the run.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { bin, manifest, mcpServerYaml, median, stackHeaderYaml, writeStack } from './common.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const GATEWAY_BUDGET = 1.5;
const name = 'mcpgwbench-bridge';
const LITELLM_PORT = 14211;
const NATIVE_PORT = 48211;
const BRIDGE_PORT = 48212;
const MASTER = 'sk-bench-master-000000';
const TIMEOUT = { timeout: 120_000 };

const servers = {
  native: { server: 'native', port: NATIVE_PORT, tool: 'echo', args: (nonce) => ({ message: nonce }) },
  bridged: { server: 'memory', port: BRIDGE_PORT, tool: 'search_nodes', args: (nonce) => ({ query: nonce }) },
};

const dir = writeStack(
  `mcpgw-bench-${name}`,
  `${stackHeaderYaml(name)}litellm: { image: ${manifest.images.litellmDb}, port: ${LITELLM_PORT} }
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('native', 'http', NATIVE_PORT)}    publish: true
  memory:
    transport: stdio
    bridge: http
    image: ${manifest.images.mcp}
    command: [mcp-server-memory]
    environment: { MEMORY_FILE_PATH: /tmp/memory.jsonl }
    port: ${BRIDGE_PORT}
    publish: true
`,
  { LITELLM_MASTER_KEY: MASTER, LITELLM_SALT_KEY: 'sk-bench-salt-000000', POSTGRES_PASSWORD: 'benchpassword' },
);

function mcpgw(args) {
  const result = spawnSync(process.execPath, [bin, '-q', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mcpgw ${args.join(' ')} failed:\n${result.stderr}`);
}

async function connect(url, viaGateway) {
  const client = new Client({ name: 'mcpgw-bench', version: '0' });
  const headers = viaGateway ? { 'x-litellm-api-key': `Bearer ${MASTER}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }), TIMEOUT);
  return client;
}

const gatewayUrl = ({ server }) => `http://127.0.0.1:${LITELLM_PORT}/mcp/${server}`;
/** The servers' own ports, published on loopback for this comparison alone (publish: true above). */
const directUrl = ({ port }) => `http://127.0.0.1:${port}/mcp`;
/** LiteLLM names a server's tools `<server>-<tool>`; the server itself names them plainly. */
const toolName = (target, viaGateway) => (viaGateway ? `${target.server}-${target.tool}` : target.tool);

async function call(client, target, viaGateway) {
  const nonce = `bench-${Math.random().toString(36).slice(2)}`;
  const start = performance.now();
  const result = await client.callTool({ name: toolName(target, viaGateway), arguments: target.args(nonce) }, undefined, TIMEOUT);
  const ms = performance.now() - start;
  if (result.isError) throw new Error(`${target.server}: ${JSON.stringify(result.content)}`);
  return ms;
}

async function freshSession(target) {
  const start = performance.now();
  const client = await connect(gatewayUrl(target), true);
  try {
    await client.listTools(undefined, TIMEOUT);
    await call(client, target, true);
  } finally {
    await client.close();
  }
  return performance.now() - start;
}

function processesIn(container) {
  const result = spawnSync('docker', ['top', container, '-eo', 'pid,args'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().split('\n').slice(1) : [];
}

try {
  mcpgw(['up', '--no-probe']);
  const open = {};
  for (const [kind, target] of Object.entries(servers)) {
    open[kind] = { gateway: await connect(gatewayUrl(target), true), direct: await connect(directUrl(target), false) };
    // Warm-up: the first call through LiteLLM also loads the server's tools.
    await call(open[kind].gateway, target, true);
    await call(open[kind].direct, target, false);
    await freshSession(target);
  }
  const samples = { gateway: { native: [], bridged: [] }, direct: { native: [], bridged: [] }, session: { native: [], bridged: [] } };
  for (let i = 0; i < rounds; i++) {
    for (const [kind, target] of Object.entries(servers)) {
      samples.gateway[kind].push(await call(open[kind].gateway, target, true));
      samples.direct[kind].push(await call(open[kind].direct, target, false));
      samples.session[kind].push(await freshSession(target));
    }
  }
  for (const clients of Object.values(open)) await Promise.all([clients.gateway.close(), clients.direct.close()]);

  console.log(`bridged stdio (server-memory) vs native http (server-everything), p50 over ${rounds} rounds`);
  let over = false;
  for (const [label, key] of [
    ['tool call via gateway', 'gateway'],
    ['tool call direct', 'direct'],
    ['fresh session via gw', 'session'],
  ]) {
    const native = median(samples[key].native);
    const bridged = median(samples[key].bridged);
    const ratio = bridged / native;
    const budget = key === 'gateway' ? ` (budget ${GATEWAY_BUDGET}x)${ratio > GATEWAY_BUDGET ? '  OVER BUDGET' : ''}` : '';
    over ||= key === 'gateway' && ratio > GATEWAY_BUDGET;
    console.log(`${label.padEnd(22)} bridged ${bridged.toFixed(1)} ms, native ${native.toFixed(1)} ms: ${ratio.toFixed(2)}x${budget}`);
  }
  const processes = processesIn(`${name}-mcp-memory`);
  console.log(`bridge container after the run: ${processes.length} processes`);
  for (const line of processes) console.log(`  ${line.trim()}`);
  process.exitCode = over ? 1 : 0;
} finally {
  spawnSync(process.execPath, [bin, '-q', 'down', '--volumes'], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
}
