#!/usr/bin/env node
// `mcpgw probe` latency per level on a healthy stack (the locally built test images and the upstream fixture;
// bash test/stack/prepare.sh first), against the bare requests each level is built on, timed in the same run:
//   gateway: GET /health/liveliness        mcp: one MCP initialize + tools/list + tools/call over plain fetch
//   auth:    one initialize refused (403)  llm: one chat completion with LiteLLM's MCP tool over plain fetch
// Prints medians and ratios, never pass/fail times.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { bin, manifest, mcpServerYaml, median, root, stackHeaderYaml, writeStack } from './common.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const name = 'mcpgwbench-probe';
const port = 14290;
const userKey = 'sk-bench-probe-user-000000000000';
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

const dir = writeStack('mcpgw-bench-probe', `${stackHeaderYaml(name)}litellm:
  image: ${manifest.images.litellmDb}
  port: ${port}
  models: [{ name: fixture-model, model: openai/fixture-model, api_base: "http://llm:8080/v1", api_key: UPSTREAM_KEY }]
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('alpha', 'http', 48290)}${mcpServerYaml('beta', 'sse', 48291)}keys:
  - { alias: user, mcp_servers: [alpha] }
`, { LITELLM_MASTER_KEY: 'sk-bench-master-000000', LITELLM_SALT_KEY: 'sk-bench-salt-000000', POSTGRES_PASSWORD: 'benchpassword', UPSTREAM_KEY: 'sk-bench-upstream-0000', MCPGW_KEY_USER: userKey });

const mcpgw = (...args) => {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0 && !args.includes('--json')) throw new Error(`mcpgw ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
};
const timed = async (fn) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

const base = `http://127.0.0.1:${port}`;
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-litellm-api-key': `Bearer ${userKey}`, authorization: `Bearer ${userKey}` };
const rpc = async (url, method, params, session, id = 1) => {
  const response = await fetch(url, { method: 'POST', headers: { ...headers, ...(session ? { 'mcp-session-id': session } : {}) }, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }) });
  await response.text();
  return response;
};
const baselines = {
  gateway: async () => (await fetch(`${base}/health/liveliness`)).text(),
  mcp: async () => {
    const init = await rpc(`${base}/mcp/alpha`, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
    const session = init.headers.get('mcp-session-id') ?? undefined;
    await rpc(`${base}/mcp/alpha`, 'tools/list', {}, session, 2);
    await rpc(`${base}/mcp/alpha`, 'tools/call', { name: 'alpha-echo', arguments: { message: 'nonce-bench' } }, session, 3);
  },
  auth: async () => rpc(`${base}/mcp/beta`, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } }),
  llm: async () =>
    (await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'fixture-model', messages: [{ role: 'user', content: 'Call alpha-echo with nonce-bench' }], tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }] }),
    })).text(),
};

docker('network', 'create', '--label', 'io.mcpgw.test=1', `${name}-mcp`);
docker('run', '-d', '--name', `${name}-llm`, '--label', 'io.mcpgw.test=1', '--network', `${name}-mcp`, '--network-alias', 'llm', '-e', 'PORT=8080', '-e', 'FIXTURE_API_KEY=sk-bench-upstream-0000', '-v', `${path.join(root, 'test/stack/llm-fixture')}:/fixture:ro`, manifest.images.node, 'node', '/fixture/server.mjs');
try {
  mcpgw('up', '--no-probe');
  const levels = { gateway: [], mcp: [], auth: [], llm: [] };
  const raw = { gateway: [], mcp: [], auth: [], llm: [] };
  const totals = [];
  const bySteps = new Map();
  for (let round = 0; round < rounds; round++) {
    let report;
    totals.push(await timed(async () => (report = JSON.parse(mcpgw('probe', '--json')))));
    if (!report.ok) throw new Error(`the probe failed on the bench stack:\n${JSON.stringify(report, null, 2)}`);
    for (const level of Object.keys(levels)) levels[level].push(report.steps.filter((step) => step.level === level).reduce((sum, step) => sum + step.ms, 0));
    for (const step of report.steps) bySteps.set(step.id, [...(bySteps.get(step.id) ?? []), step.ms]);
    for (const level of Object.keys(raw)) {
      // Untimed first: it also replaces pooled sockets LiteLLM closed while the probe ran (keep-alive expiry).
      await baselines[level]().catch(() => baselines[level]());
      raw[level].push(await timed(baselines[level]));
    }
  }
  console.log(`mcpgw probe on a healthy stack (2 MCP servers, 1 declared key, fixture model), median of ${rounds} rounds`);
  console.log('level     probe ms   steps                                           bare request ms  ratio');
  const describe = { gateway: 'liveliness, readiness, version', mcp: '/mcp/, 2 servers (list + nonce call), SSE', auth: 'no-grant key (3 sessions), declared key', llm: 'chat + responses with MCP execution' };
  for (const level of Object.keys(levels)) {
    const ours = median(levels[level]);
    const bare = median(raw[level]);
    console.log(`${level.padEnd(9)} ${ours.toFixed(0).padStart(8)}   ${describe[level].padEnd(47)} ${bare.toFixed(0).padStart(15)}  ${(ours / bare).toFixed(1)}×`);
  }
  console.log(`whole command (process start, temporary keys, all levels): ${median(totals).toFixed(0)} ms`);
  console.log(`steps (median ms): ${[...bySteps].map(([id, samples]) => `${id} ${median(samples).toFixed(0)}`).join(', ')}`);
} finally {
  spawnSync(process.execPath, [bin, 'down', '--volumes'], { cwd: dir, stdio: 'ignore' });
  spawnSync('docker', ['rm', '-f', `${name}-llm`], { stdio: 'ignore' });
  spawnSync('docker', ['network', 'rm', `${name}-mcp`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
