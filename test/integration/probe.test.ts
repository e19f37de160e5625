import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ProbeReport, ProbeStep } from '../../src/probe/types.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { pythonEchoServer } from '../helpers/stdio-server.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { clearUpstreamRequests, startUpstream, upstreamRequests, useUpstreamModel, UPSTREAM_MODELS, type UpstreamRequest } from '../helpers/upstream.js';
import type { StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const name = `mcpgwt-${run}-probe`;
const PORT = 14210;
const USER_KEY = 'sk-itest-probe-user-7d1e0c9b3a5f2468';
const UPSTREAM_KEY = 'sk-itest-upstream-0b8e2d4f6a1c3579';

function reportOf(result: CliResult): ProbeReport {
  return JSON.parse(result.stdout) as ProbeReport;
}

function stepOf(report: ProbeReport, id: string): ProbeStep {
  const found = report.steps.find((step) => step.id === id);
  if (!found) throw new Error(`no step ${id} in ${report.steps.map((step) => step.id).join(', ')}`);
  return found;
}

/** Every cause and fix of a step as one string, for matching. */
function explained(step: ProbeStep): string {
  return step.causes.map((cause) => `${cause.cause} | ${cause.fix}`).join('\n');
}

/** The model turns LiteLLM asked the fixture for, per route. */
function turns(requests: UpstreamRequest[], route: string): UpstreamRequest[] {
  return requests.filter((request) => request.method === 'POST' && request.path === route);
}

const FORCED_CAUSE =
  /the request sets tool_choice "required", and LiteLLM 1\.108\.7 repeats it on its follow-up request after executing the tools on \/v1\/chat\/completions, so the model must call a tool again instead of answering \| leave tool_choice out of the request or set it to "auto"/;

describe('mcpgw probe against the real gateway (LiteLLM, MCP servers over HTTP, SSE and stdio, the upstream fixture)', () => {
  let dir = '';
  let llm: StartedContainer | undefined;
  let up: CliResult;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-probe-'));
    // The upstream model lives on the stack's MCP network (created here first, kept by mcpgw) under the alias llm.
    llm = await startUpstream(docker, stack, run, name, UPSTREAM_KEY);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48210 }, beta: { transport: 'sse', port: 48211 } },
      secrets: { MCPGW_KEY_USER: USER_KEY, UPSTREAM_KEY },
      extra: {
        keys: [{ alias: 'user', mcp_servers: ['alpha'] }],
      },
    });
    const file = path.join(dir, 'mcpgw.yaml');
    const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, unknown> };
    // stdio both ways: spawned by LiteLLM itself (a server on the MCP Python SDK LiteLLM ships), and bridged
    // by supergateway into its own container.
    config.mcp_servers.gamma = { transport: 'stdio', inside_litellm: true, command: ['python3', '-c', pythonEchoServer('gamma')] };
    config.mcp_servers.delta = { transport: 'stdio', bridge: 'http', image: stack.images.mcp, command: ['mcp-server-everything', 'stdio'], port: 48212 };
    await writeFile(file, stringify(config));
    // Both of LiteLLM's provider paths to the same fixture; the probe uses the first model.
    await useUpstreamModel(dir, ['openai', 'anthropic']);
    up = await runCli(['up'], { cwd: dir });
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await llm?.remove();
    await docker
      .getNetwork(`${name}-mcp`)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs last in `up` and passes every level on a healthy stack', () => {
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stderr).toMatch(/ok {4}probe: \d+ checks passed end to end/);
  });

  it('proves each level: gateway, MCP over HTTP per server and SSE with nonces, authorization, LLM on both endpoints', async () => {
    await clearUpstreamRequests(llm!);
    const result = await runCli(['probe', '--json'], { cwd: dir });
    expect(result.code, result.stdout).toBe(0);
    const report = reportOf(result);
    expect(report).toMatchObject({ ok: true, litellmVersion: stack.versions.litellm });
    expect(report.steps.map((step) => [step.id, step.status])).toEqual([
      ['gateway.liveliness', 'pass'],
      ['gateway.readiness', 'pass'],
      ['gateway.version', 'pass'],
      ['mcp.aggregate', 'pass'],
      ['mcp.server.alpha', 'pass'],
      ['mcp.server.beta', 'pass'],
      ['mcp.server.gamma', 'pass'],
      ['mcp.server.delta', 'pass'],
      ['mcp.sse', 'pass'],
      ['auth.no-grant', 'pass'],
      ['auth.key.user', 'pass'],
      ['llm.chat', 'pass'],
      ['llm.responses', 'pass'],
    ]);
    expect(stepOf(report, 'mcp.server.beta').evidence.join('\n')).toMatch(/tools\/call beta-echo → ok: Echo: nonce-[0-9a-f]{16} \(nonce returned\)/);
    expect(stepOf(report, 'mcp.server.gamma').evidence.join('\n')).toMatch(/tools\/call gamma-echo → ok: nonce-[0-9a-f]{16} \(nonce returned\)/);
    expect(stepOf(report, 'mcp.server.delta').evidence.join('\n')).toMatch(/tools\/call delta-echo → ok: Echo: nonce-[0-9a-f]{16} \(nonce returned\)/);
    expect(stepOf(report, 'mcp.sse').evidence.join('\n')).toMatch(/over SSE → Echo: nonce-[0-9a-f]{16} \(nonce returned\)/);
    expect(stepOf(report, 'auth.no-grant').evidence).toEqual([
      '/mcp/ tools/list → servers: none',
      '/mcp/<server> → alpha: refused, beta: refused, gamma: refused, delta: refused',
    ]);
    expect(stepOf(report, 'llm.chat').evidence).toContain('executed by LiteLLM: 1');
    // The model was asked for the tool by the instruction alone (no tool_choice for LiteLLM to repeat), called it
    // once, and answered from its result on LiteLLM's follow-up.
    const requests = await upstreamRequests(llm!);
    for (const route of ['/v1/chat/completions', '/v1/responses']) {
      const sent = turns(requests, route);
      expect(sent, route).toHaveLength(2);
      for (const request of sent) expect(request.body, route).not.toHaveProperty('tool_choice');
      expect(JSON.stringify(sent[0]?.body), route).toMatch(/Call the tool (alpha|beta|gamma|delta)-echo with message set to \\"nonce-[0-9a-f]{16}\\"/);
    }
    for (const step of report.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    // Each level's wall clock: the MCP level's steps overlap (the servers' calls in the /mcp/ session, SSE in a
    // session of its own beside them), so it is shorter than their sum and no shorter than the longest of them.
    expect(Object.keys(report.levels)).toEqual(['gateway', 'mcp', 'auth', 'llm']);
    const mcpSteps = report.steps.filter((step) => step.level === 'mcp').map((step) => step.ms);
    expect(report.levels.mcp).toBeLessThan(mcpSteps.reduce((sum, ms) => sum + ms, 0));
    expect(report.levels.mcp).toBeGreaterThanOrEqual(Math.max(...mcpSteps));
    // The probe's temporary keys are gone, and no secret reached the output.
    const { keys } = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: { alias: string }[] };
    expect(keys.map((key) => key.alias)).toEqual(['user']);
    for (const secret of [USER_KEY, UPSTREAM_KEY, TEST_SECRETS.LITELLM_MASTER_KEY]) expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it("passes the LLM level on the anthropic provider path: LiteLLM asks the fixture's /v1/messages, which honours tool_choice as Anthropic does", async () => {
    // The same stack with the anthropic model first: the probe asks the first declared model.
    const config = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')) as { litellm: { models: { name: string }[] } };
    config.litellm.models.reverse();
    expect(config.litellm.models[0]?.name).toBe(UPSTREAM_MODELS.anthropic.name);
    const file = path.join(dir, 'mcpgw.anthropic.yaml');
    await writeFile(file, stringify(config));
    await clearUpstreamRequests(llm!);
    const result = await runCli(['-f', file, 'probe', '--server', 'alpha', '--json'], { cwd: dir });
    expect(result.code, result.stdout).toBe(0);
    const report = reportOf(result);
    expect(stepOf(report, 'llm.chat')).toMatchObject({ status: 'pass', evidence: expect.arrayContaining(['finish: stop', 'executed by LiteLLM: 1']) });
    expect(stepOf(report, 'llm.responses').status).toBe('pass');
    const requests = await upstreamRequests(llm!);
    expect(turns(requests, '/v1/chat/completions')).toEqual([]);
    // Chat completions and responses (which LiteLLM bridges to chat for anthropic): a first turn and a follow-up each.
    const messages = turns(requests, '/v1/messages');
    expect(messages).toHaveLength(4);
    for (const request of messages) {
      expect(request.headers['x-api-key']).toBe(UPSTREAM_KEY);
      expect(request.headers['anthropic-version']).toBe('2023-06-01');
      expect(request.body).toMatchObject({ model: 'claude-3-haiku-20240307' });
      expect(request.body).not.toHaveProperty('tool_choice');
    }
    const toolResults = messages.flatMap((request) =>
      (request.body.messages as { content: unknown }[])
        .flatMap((message) => (Array.isArray(message.content) ? (message.content as { type: string }[]) : []))
        .filter((block) => block.type === 'tool_result'),
    );
    expect(toolResults).toHaveLength(2);
    expect(JSON.stringify(toolResults)).toMatch(/Echo: nonce-[0-9a-f]{16}/);
  });

  it('--key probes with a user key: servers it lacks are skipped, not failed; the report is readable text', async () => {
    const result = await runCli(['probe', '--key', USER_KEY, '--no-llm'], { cwd: dir });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/ok {4}alpha \(http\) lists and executes a tool/);
    expect(result.stdout).toMatch(/skip {2}beta \(sse\) lists and executes a tool .*\n.*403: this key is not granted beta/);
    expect(result.stdout).not.toContain(USER_KEY);
  });

  describe('a turn that ends at tool_calls is explained (a client request replayed through the gateway)', () => {
    const alphaMcp = { type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' };
    const send = async (body: Record<string, unknown>, key = USER_KEY) => {
      const file = path.join(dir, 'request.json');
      await writeFile(
        file,
        JSON.stringify({ model: 'fixture-model', messages: [{ role: 'user', content: 'Call the echo tool with nonce-replay01' }], ...body }),
      );
      const result = await runCli(['probe', '--key', key, '--replay', 'request.json', '--json'], { cwd: dir });
      return { code: result.code, step: stepOf(reportOf(result), 'llm.replay'), stdout: result.stdout };
    };
    const replay = async (body: Record<string, unknown>, key = USER_KEY) => {
      const { code, step } = await send(body, key);
      expect(code).toBe(1);
      return step;
    };

    it.each([UPSTREAM_MODELS.openai.name, UPSTREAM_MODELS.anthropic.name])(
      '%s: a chat request forcing tool_choice "required": LiteLLM runs the tool, sends the choice again, the model must call again',
      async (model) => {
        const step = await replay({ model, tools: [alphaMcp], tool_choice: 'required' });
        expect(step.evidence).toEqual(expect.arrayContaining(['finish: tool_calls', 'executed by LiteLLM: 1']));
        expect(explained(step)).toMatch(FORCED_CAUSE);
      },
    );

    it.each([
      { label: 'chat, tool_choice "auto"', body: { tools: [alphaMcp], tool_choice: 'auto' } },
      {
        label: 'responses, tool_choice "required" (LiteLLM drops it on its follow-up there)',
        body: { messages: undefined, input: 'Call the echo tool with nonce-replay03', tools: [alphaMcp], tool_choice: 'required' },
      },
    ])('$label ends at stop with the tool result', async ({ body }) => {
      const { code, step, stdout } = await send(body);
      expect(code, stdout).toBe(0);
      expect(step.evidence).toEqual(expect.arrayContaining(['finish: stop', 'executed by LiteLLM: 1']));
    });

    it('plain function tools: LiteLLM never executes them', async () => {
      const step = await replay({
        tools: [{ type: 'function', function: { name: 'alpha-echo', parameters: { type: 'object', properties: { message: { type: 'string' } } } } }],
      });
      expect(step.evidence).toContain('finish: tool_calls');
      expect(explained(step)).toMatch(/plain "function" tools: LiteLLM passes those back to the caller and never executes them/);
    });

    it('an MCP tool without require_approval "never"', async () => {
      const step = await replay({ tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha' }] });
      expect(step.evidence).toContain('finish: tool_calls');
      expect(explained(step)).toMatch(/no MCP tool has require_approval "never"/);
    });

    it('a key that lacks the server', async () => {
      const step = await replay({ tools: [{ type: 'mcp', server_label: 'beta', server_url: 'litellm_proxy/mcp/beta', require_approval: 'never' }] });
      expect(explained(step)).toMatch(/the key is not granted the MCP server\(s\) beta \| add beta to the key's mcp_servers/);
    });

    it('the same request done right passes', async () => {
      const file = path.join(dir, 'request.json');
      await writeFile(
        file,
        JSON.stringify({
          model: 'fixture-model',
          input: 'Call the echo tool with nonce-replay02',
          tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }],
        }),
      );
      const result = await runCli(['probe', '--key', USER_KEY, '--replay', 'request.json', '--json'], { cwd: dir });
      expect(result.code, result.stdout).toBe(0);
      expect(stepOf(reportOf(result), 'llm.replay').status).toBe('pass');
    });
  });

  it('a key without grants sees nothing: the MCP level fails and says why', async () => {
    const created = await runCli(['keys', 'create', '--alias', 'bare', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const result = await runCli(['probe', '--key', key, '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const report = reportOf(result);
    const aggregate = stepOf(report, 'mcp.aggregate');
    expect(aggregate.evidence.join('\n')).toMatch(/^POST \/mcp\/ → 403 /);
    expect(explained(aggregate)).toMatch(/^the key has no MCP grant at all \| grant servers/);
    expect(stepOf(report, 'llm.chat').status).toBe('fail');
    await runCli(['keys', 'revoke', 'bare'], { cwd: dir });
  });

  it('a declared key whose grants drifted in the DB fails the authorization level with `keys sync` as the fix', async () => {
    const db = await docker.getContainer(`${name}-postgres`).exec({
      Cmd: [
        'psql',
        '-U',
        'litellm',
        '-d',
        'litellm',
        '-c',
        `UPDATE "LiteLLM_ObjectPermissionTable" p SET mcp_servers = '{}' FROM ` +
          `"LiteLLM_VerificationToken" v WHERE v.object_permission_id = p.object_permission_id AND ` +
          `v.key_alias = 'user'`,
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    await new Promise((resolve) => db.start({}, (_error, stream) => stream?.on('end', resolve).resume()));
    // key_cache_ttl is 1 s: wait it out so LiteLLM reads the drifted row.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const result = await runCli(['probe', '--no-llm', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const step = stepOf(reportOf(result), 'auth.key.user');
    expect(step.evidence).toEqual(['opens no server; mcpgw.yaml grants alpha']);
    expect(explained(step)).toBe('lacks alpha it is granted | run `mcpgw keys sync` to make the grants match mcpgw.yaml');
    expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
  });

  it('a stopped MCP container: that server fails with the container state and the fix, the others still pass', async () => {
    await docker.getContainer(`${name}-mcp-beta`).stop({ t: 1 });
    try {
      const result = await runCli(['probe', '--json'], { cwd: dir });
      expect(result.code).toBe(1);
      const report = reportOf(result);
      const beta = stepOf(report, 'mcp.server.beta');
      expect(beta.status).toBe('fail');
      expect(beta.evidence).toEqual(['POST /mcp/beta tools/list → 0 tools']);
      expect(explained(beta)).toMatch(new RegExp(`container ${name}-mcp-beta is exited .*\\| \`mcpgw logs mcp-beta\` shows why; \`mcpgw up\` starts it again`));
      expect(stepOf(report, 'mcp.server.alpha').status).toBe('pass');
      expect(stepOf(report, 'llm.chat').status).toBe('pass');
    } finally {
      expect((await runCli(['up', '--no-probe'], { cwd: dir })).code).toBe(0);
    }
  });

  it('a server whose transport is wrong fails `up` at the probe, which names the transport that works', async () => {
    // beta's container speaks SSE at /sse; declare it again by URL as streamable HTTP at /mcp.
    const info = await docker.getContainer(`${name}-mcp-beta`).inspect();
    // On beta's own network, which LiteLLM shares.
    const ip = info.NetworkSettings.Networks[`${name}-mcp-beta-net`]?.IPAddress;
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    const config = parse(original) as { mcp_servers: Record<string, unknown> };
    config.mcp_servers.wrong = { transport: 'http', url: `http://${ip}:48211/mcp` };
    await writeFile(file, stringify(config));
    try {
      const result = await runCli(['up', '--json'], { cwd: dir });
      expect(result.code).toBe(1);
      const { probe } = JSON.parse(result.stdout) as { probe: ProbeReport };
      const wrong = stepOf(probe, 'mcp.server.wrong');
      expect(wrong.status).toBe('fail');
      expect(explained(wrong)).toMatch(
        /wrong is configured as http \(streamable HTTP at \/mcp\) but speaks SSE at \/sse \| set mcp_servers\.wrong\.transport: sse/,
      );
      expect(stepOf(probe, 'mcp.server.alpha').status).toBe('pass');
    } finally {
      await writeFile(file, original);
    }
  }, 600_000);
});
