// `probe_model: canary` with no provider at all: mcpgw runs its canary model (templates/canary-model.py) on the
// LiteLLM image, LiteLLM 1.108.7 calls it as an OpenAI-compatible upstream, and the probe's LLM level proves MCP
// auto-execution on chat completions and responses. Through the real LiteLLM, the canary must behave as the
// real APIs do where execution depends on it (tool_choice honoured on every turn) and answer nothing but the
// probe's instruction, whoever's key reaches it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { runId } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const run = runId();
const name = `mcpgwt-${run}-canary`;
const port = 14480;
const userKey = 'sk-itest-canary-user-0123456789';
const base = `http://127.0.0.1:${port}`;
let dir = '';

const instruction = (nonce: string) => `Call the tool alpha-echo with message set to "${nonce}", then reply with exactly what it returned.`;
const echoTool = {
  type: 'function',
  function: { name: 'alpha-echo', description: 'echo', parameters: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
};

async function chat(body: Record<string, unknown>, key = userKey): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'mcpgw-canary', ...body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-canary-'));
  await writeTestStack(dir, {
    name,
    images: stack.images,
    litellmPort: port,
    mcp: { alpha: { transport: 'http', port: 48480 } },
    secrets: { MCPGW_KEY_USER: userKey },
    extra: { probe_model: 'canary', keys: [{ alias: 'user', mcp_servers: ['alpha'] }] },
  });
}, 60_000);

afterAll(async () => {
  await runCli(['down', '--volumes'], { cwd: dir });
  await rm(dir, { recursive: true, force: true });
});

describe('the canary probe model', () => {
  it('up ends with the probe green at every level, the LLM level on the canary', async () => {
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stderr).toMatch(/mcpgw-canary: created/);
    const report = JSON.parse(result.stdout) as { probe: { ok: boolean; steps: { id: string; level: string; status: string; evidence: string[] }[] } };
    expect(report.probe.ok).toBe(true);
    for (const level of ['gateway', 'mcp', 'auth', 'llm']) {
      const steps = report.probe.steps.filter((step) => step.level === level);
      expect(steps.length, level).toBeGreaterThan(0);
      for (const step of steps) expect(step.status, JSON.stringify(step)).toBe('pass');
    }
    for (const id of ['llm.chat', 'llm.responses']) {
      const evidence = report.probe.steps.find((step) => step.id === id)?.evidence.join(' ') ?? '';
      // The stack declares no other model: the answer is the canary's, quoting the tool's result.
      expect(evidence, id).toMatch(/executed by LiteLLM: 1/);
      expect(evidence, id).toMatch(/answer contains the nonce: Tool result: /);
    }
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it('doctor is green on the canary stack, its model check asking the canary', async () => {
    const doctor = await runCli(['doctor', '--json'], { cwd: dir });
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence?: string[] }[] };
    expect(
      report.checks.filter((check) => check.status === 'fail'),
      doctor.stdout,
    ).toEqual([]);
    expect(doctor.code).toBe(0);
    expect(report.checks.find((check) => check.id === 'mcp.llm')?.status).toBe('pass');
    const status = await runCli(['status'], { cwd: dir });
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/mcpgw-canary\s+running/);
  });

  it('answers a client key only with the probe instruction: anything else is refused', async () => {
    const poem = await chat({ messages: [{ role: 'user', content: 'Write a poem about the LAN.' }] });
    expect(poem.status).toBe(400);
    expect(JSON.stringify(poem.body)).toMatch(/answers only mcpgw probe's instruction/);
    const instructed = await chat({ messages: [{ role: 'user', content: instruction('nonce-canary-1') }], tools: [echoTool] });
    expect(instructed.status).toBe(200);
    expect(instructed.body.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(instructed.body.choices[0].message.tool_calls[0].function.arguments)).toEqual({ message: 'nonce-canary-1' });
  });

  it('honours tool_choice on every turn, as the real APIs do', async () => {
    const answered = [
      { role: 'user', content: instruction('nonce-canary-2') },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'alpha-echo', arguments: '{"message":"nonce-canary-2"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Echo: nonce-canary-2' },
    ];
    const auto = await chat({ messages: answered, tools: [echoTool] });
    expect(auto.body.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Tool result: Echo: nonce-canary-2' } });
    for (const forced of ['required', { type: 'function', function: { name: 'alpha-echo' } }]) {
      const again = await chat({ messages: answered, tools: [echoTool], tool_choice: forced });
      expect(again.body.choices[0].finish_reason, JSON.stringify(forced)).toBe('tool_calls');
    }
    const none = await chat({ messages: [{ role: 'user', content: instruction('nonce-canary-3') }], tools: [echoTool], tool_choice: 'none' });
    expect(none.body.choices[0].finish_reason).toBe('stop');
    const unknown = await chat({ messages: answered, tools: [echoTool], tool_choice: { type: 'function', function: { name: 'beta-echo' } } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/beta-echo/);
  });

  it("a client's request that forces tool_choice is named as the cause when replayed on the canary", async () => {
    const file = path.join(dir, 'forced.json');
    await writeFile(
      file,
      JSON.stringify({
        model: 'mcpgw-canary',
        messages: [{ role: 'user', content: instruction('nonce-canary-4') }],
        tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }],
        tool_choice: 'required',
      }),
    );
    const replay = await runCli(['probe', '--replay', file, '--json', '--timeout', '60s'], { cwd: dir });
    expect(replay.code, replay.stderr).toBe(1);
    const report = JSON.parse(replay.stdout) as { steps: { id: string; status: string; causes?: { cause: string; fix: string }[] }[] };
    const step = report.steps.find((candidate) => candidate.id.startsWith('llm.replay'));
    expect(step?.status, JSON.stringify(report.steps)).toBe('fail');
    expect(step?.causes?.map((cause) => `${cause.cause} ${cause.fix}`).join(' ')).toMatch(/tool_choice/);
  });

  it('probe --model picks another model, and --model with --no-llm is a usage error', async () => {
    const contradiction = await runCli(['probe', '--model', 'mcpgw-canary', '--no-llm'], { cwd: dir });
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toMatch(/--model and --no-llm/);
    const missing = await runCli(['probe', '--model', 'no-such-model', '--json'], { cwd: dir });
    expect(missing.code).toBe(1);
    const report = JSON.parse(missing.stdout) as { steps: { id: string; status: string; evidence: string[] }[] };
    expect(report.steps.find((step) => step.id === 'llm.chat')?.status).toBe('fail');
  });
});
