#!/usr/bin/env node
// `mcpgw probe` latency per level on a healthy stack (the locally built test images and the upstream fixture;
// bash test/stack/prepare.sh first), against the bare requests each level is built on, timed in the same run:
//   gateway: GET /health/liveliness        mcp: one MCP initialize + tools/list + tools/call over plain fetch
//   auth:    one initialize refused (403)  llm: one chat completion with LiteLLM's MCP tool over plain fetch
// A level is timed by its wall clock (the probe's report.levels: the MCP level's steps overlap). The MCP level
// has a second baseline: the probe's own MCP requests over plain fetch (below), i.e. LiteLLM's time for them.
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

const dir = writeStack(
  'mcpgw-bench-probe',
  `${stackHeaderYaml(name)}litellm:
  image: ${manifest.images.litellmDb}
  port: ${port}
  models: [{ name: fixture-model, model: openai/fixture-model, api_base: "http://llm:8080/v1", api_key: UPSTREAM_KEY }]
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('alpha', 'http', 48290)}${mcpServerYaml('beta', 'sse', 48291)}keys:
  - { alias: user, mcp_servers: [alpha] }
`,
  {
    LITELLM_MASTER_KEY: 'sk-bench-master-000000',
    LITELLM_SALT_KEY: 'sk-bench-salt-000000',
    POSTGRES_PASSWORD: 'benchpassword',
    UPSTREAM_KEY: 'sk-bench-upstream-0000',
    MCPGW_KEY_USER: userKey,
  },
);

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
const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'x-litellm-api-key': `Bearer ${userKey}`,
  authorization: `Bearer ${userKey}`,
};
const rpc = async (url, method, params, session, id = 1) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...(session ? { 'mcp-session-id': session } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  await response.text();
  return response;
};
const initializeParams = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } };

/** The events of an SSE body, parsed as they arrive; read with next() (a for-await break would cancel the stream). */
async function* sseEvents(body) {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true }).replaceAll('\r\n', '\n');
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const lines = buffered.slice(0, end).split('\n');
      buffered = buffered.slice(end + 2);
      yield {
        event:
          lines
            .find((line) => line.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message',
        data: lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n'),
      };
    }
  }
}

// The probe's MCP level as plain fetch, with `key` granted every server as the probe's temporary key is: the
// same sessions, requests and overlap, no SDK and no mcpgw. Each session sends notifications/initialized, as
// every MCP client must; LiteLLM 1.108.7 then sets up its list-change relay (a session to each granted server
// and a gateway listing of tools, prompts and resources before and after subscribing, server after server:
// subscriptions.py _listen) and holds the session's first tools/list until it is done. Each returns its end
// (DELETE, closing the stream), which the probe also runs after its level.
async function streamableSession(key, calls) {
  const url = `${base}/mcp/`;
  const auth = { ...headers, 'x-litellm-api-key': `Bearer ${key}`, authorization: `Bearer ${key}` };
  const send = async (message, session) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...auth, ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', ...message }),
    });
    await response.text();
    return response;
  };
  const session = (await send({ id: 1, method: 'initialize', params: initializeParams })).headers.get('mcp-session-id');
  await send({ method: 'notifications/initialized' }, session);
  await send({ id: 2, method: 'tools/list', params: {} }, session);
  await Promise.all(
    calls.map((name, index) => send({ id: 3 + index, method: 'tools/call', params: { name, arguments: { message: 'nonce-bench' } } }, session)),
  );
  return async () => (await fetch(url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': session } })).text();
}
async function sseSession(key, call) {
  const auth = { 'x-litellm-api-key': `Bearer ${key}`, authorization: `Bearer ${key}` };
  const stream = new AbortController();
  const response = await fetch(`${base}/mcp/sse`, { headers: { ...auth, accept: 'text/event-stream' }, signal: stream.signal });
  const events = sseEvents(response.body);
  const until = async (match) => {
    for (;;) {
      const { value, done } = await events.next();
      if (done) throw new Error('the SSE stream ended');
      if (match(value)) return value;
    }
  };
  const endpoint = new URL((await until((event) => event.event === 'endpoint')).data, base);
  const send = async (message) =>
    (
      await fetch(endpoint, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', ...message }) })
    ).text();
  const ask = async (id, method, params) => {
    await send({ id, method, params });
    await until((event) => event.event === 'message' && JSON.parse(event.data).id === id);
  };
  await ask(1, 'initialize', initializeParams);
  await send({ method: 'notifications/initialized' });
  await ask(2, 'tools/list', {});
  await ask(3, 'tools/call', { name: call, arguments: { message: 'nonce-bench' } });
  return async () => stream.abort();
}
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
    (
      await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: 'fixture-model',
          messages: [{ role: 'user', content: 'Call alpha-echo with nonce-bench' }],
          tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }],
        }),
      })
    ).text(),
};

docker('network', 'create', '--label', 'io.mcpgw.test=1', `${name}-mcp`);
docker(
  'run',
  '-d',
  '--name',
  `${name}-llm`,
  '--label',
  'io.mcpgw.test=1',
  '--network',
  `${name}-mcp`,
  '--network-alias',
  'llm',
  '-e',
  'PORT=8080',
  '-e',
  'FIXTURE_API_KEY=sk-bench-upstream-0000',
  '-v',
  `${path.join(root, 'test/stack/llm-fixture')}:/fixture:ro`,
  manifest.images.node,
  'node',
  '/fixture/server.mjs',
);
try {
  mcpgw('up', '--no-probe');
  // Granted both servers like the probe's temporary key, and not declared, so the probe does not check it.
  const allKey = mcpgw('keys', 'create', '--alias', 'bench-all', '--mcp', 'alpha', '--mcp', 'beta').trim();
  const sameRequests = async () => {
    const ends = await Promise.all([streamableSession(allKey, ['alpha-echo', 'beta-echo']), sseSession(allKey, 'alpha-echo')]);
    return () => Promise.all(ends.map((end) => end()));
  };
  const same = [];
  const levels = { gateway: [], mcp: [], auth: [], llm: [] };
  const raw = { gateway: [], mcp: [], auth: [], llm: [] };
  const totals = [];
  const bySteps = new Map();
  for (let round = 0; round < rounds; round++) {
    let report;
    totals.push(await timed(async () => (report = JSON.parse(mcpgw('probe', '--json')))));
    if (!report.ok) throw new Error(`the probe failed on the bench stack:\n${JSON.stringify(report, null, 2)}`);
    for (const level of Object.keys(levels)) levels[level].push(report.levels[level] ?? 0);
    for (const step of report.steps) bySteps.set(step.id, [...(bySteps.get(step.id) ?? []), step.ms]);
    for (const level of Object.keys(raw)) {
      // Untimed first: it also replaces pooled sockets LiteLLM closed while the probe ran (keep-alive expiry).
      await baselines[level]().catch(() => baselines[level]());
      raw[level].push(await timed(baselines[level]));
    }
    let end;
    same.push(await timed(async () => (end = await sameRequests())));
    await end();
  }
  console.log(`mcpgw probe on a healthy stack (2 MCP servers, 1 declared key, fixture model), median of ${rounds} rounds`);
  console.log('level     probe ms   steps                                           bare request ms  ratio');
  const describe = {
    gateway: 'liveliness, readiness, version',
    mcp: '/mcp/ (2 servers: list, nonce calls) ∥ SSE',
    auth: 'no-grant key (3 sessions), declared key',
    llm: 'chat + responses with MCP execution',
  };
  for (const level of Object.keys(levels)) {
    const ours = median(levels[level]);
    const bare = median(raw[level]);
    console.log(
      `${level.padEnd(9)} ${ours.toFixed(0).padStart(8)}   ${describe[level].padEnd(47)} ${bare.toFixed(0).padStart(15)}  ${(ours / bare).toFixed(1)}×`,
    );
    if (level === 'mcp')
      console.log(
        `          the same requests over plain fetch: ${median(same).toFixed(0)} ms (LiteLLM's own ` +
          `time for them; the probe ${(ours / median(same)).toFixed(1)}× that)`,
      );
  }
  console.log(`whole command (process start, temporary keys, all levels): ${median(totals).toFixed(0)} ms`);
  console.log(`steps (median ms): ${[...bySteps].map(([id, samples]) => `${id} ${median(samples).toFixed(0)}`).join(', ')}`);
} finally {
  spawnSync(process.execPath, [bin, 'down', '--volumes'], { cwd: dir, stdio: 'ignore' });
  spawnSync('docker', ['rm', '-f', `${name}-llm`], { stdio: 'ignore' });
  spawnSync('docker', ['network', 'rm', `${name}-mcp`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
