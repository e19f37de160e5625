import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The upstream model fixture the integration tier puts behind LiteLLM, run here on loopback: it must treat
// tool_choice and the instruction as OpenAI and Anthropic do, or the probe's verdicts only agree with it.
const FIXTURE = path.resolve(import.meta.dirname, '../../stack/llm-fixture/server.mjs');
const KEY = 'sk-unit-fixture';

let child: ChildProcess;
let base = '';

beforeAll(async () => {
  child = spawn(process.execPath, [FIXTURE], { env: { PORT: '0', FIXTURE_API_KEY: KEY }, stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const port = /listening on :(\d+)/.exec(seen)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child.on('exit', (code) => reject(new Error(`fixture exited ${code}: ${seen}`)));
  });
});

afterAll(() => {
  child.kill('SIGTERM');
});

const ECHO = {
  name: 'alpha-echo',
  description: 'Echoes a message',
  schema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
};
const ADD = {
  name: 'alpha-add',
  description: 'Adds two numbers',
  schema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};
const TOOLS = [ECHO, ADD];

interface Answered {
  name: string;
  args: Record<string, unknown>;
  result: string;
}

interface Ask {
  instruction: string;
  answered?: Answered[];
  toolChoice?: unknown;
  parallel?: false;
  tools?: typeof TOOLS;
  stream?: boolean;
}

interface Turn {
  status: number;
  finish: string;
  calls: { name: string; args: Record<string, unknown> }[];
  text: string;
  error?: string;
}

type Api = 'chat' | 'responses' | 'messages';

async function post(route: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const OPENAI_AUTH = { authorization: `Bearer ${KEY}` };
const ANTHROPIC_AUTH = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };

/** One turn through one API: the request built in that API's own shapes, the answer read back from them. */
const ask: Record<Api, (request: Ask) => Promise<Turn>> = {
  async chat({ instruction, answered = [], toolChoice, parallel, tools = TOOLS }) {
    const messages: unknown[] = [{ role: 'user', content: instruction }];
    if (answered.length > 0) {
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: answered.map((call, index) => ({ id: `c${index}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } })),
      });
      for (const [index, call] of answered.entries()) messages.push({ role: 'tool', tool_call_id: `c${index}`, content: call.result });
    }
    const body = {
      model: 'fixture-model',
      messages,
      tools: tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.schema } })),
      ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
      ...(parallel === false ? { parallel_tool_calls: false } : {}),
    };
    const res = await post('/v1/chat/completions', body, OPENAI_AUTH);
    const json = (await res.json()) as any;
    if (res.status !== 200) return { status: res.status, finish: '', calls: [], text: '', error: json.error?.message };
    const choice = json.choices[0];
    return {
      status: res.status,
      finish: choice.finish_reason,
      calls: (choice.message.tool_calls ?? []).map((call: any) => ({ name: call.function.name, args: JSON.parse(call.function.arguments) })),
      text: choice.message.content ?? '',
    };
  },

  async responses({ instruction, answered = [], toolChoice, parallel, tools = TOOLS }) {
    const input: unknown[] = [{ type: 'message', role: 'user', content: instruction }];
    for (const [index, call] of answered.entries())
      input.push({ type: 'function_call', call_id: `c${index}`, name: call.name, arguments: JSON.stringify(call.args) });
    for (const [index, call] of answered.entries()) input.push({ type: 'function_call_output', call_id: `c${index}`, output: call.result });
    const body = {
      model: 'fixture-model',
      input,
      tools: tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.schema })),
      ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
      ...(parallel === false ? { parallel_tool_calls: false } : {}),
    };
    const res = await post('/v1/responses', body, OPENAI_AUTH);
    const json = (await res.json()) as any;
    if (res.status !== 200) return { status: res.status, finish: '', calls: [], text: '', error: json.error?.message };
    const calls = json.output.filter((item: any) => item.type === 'function_call');
    return {
      status: res.status,
      finish: calls.length > 0 ? 'tool_calls' : 'stop',
      calls: calls.map((call: any) => ({ name: call.name, args: JSON.parse(call.arguments) })),
      text: json.output
        .filter((item: any) => item.type === 'message')
        .flatMap((item: any) => item.content.map((part: any) => part.text))
        .join(''),
    };
  },

  async messages({ instruction, answered = [], toolChoice, parallel, tools = TOOLS, stream }) {
    const messages: unknown[] = [{ role: 'user', content: instruction }];
    if (answered.length > 0) {
      messages.push({
        role: 'assistant',
        content: answered.map((call, index) => ({ type: 'tool_use', id: `toolu_${index}`, name: call.name, input: call.args })),
      });
      messages.push({
        role: 'user',
        content: answered.map((call, index) => ({ type: 'tool_result', tool_use_id: `toolu_${index}`, content: [{ type: 'text', text: call.result }] })),
      });
    }
    const choice = parallel === false ? { ...((toolChoice as object | undefined) ?? { type: 'auto' }), disable_parallel_tool_use: true } : toolChoice;
    const body = {
      model: 'claude-3-haiku-20240307',
      max_tokens: 1024,
      messages,
      tools: tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.schema })),
      ...(choice === undefined ? {} : { tool_choice: choice }),
      ...(stream ? { stream: true } : {}),
    };
    const res = await post('/v1/messages', body, ANTHROPIC_AUTH);
    if (stream) return readAnthropicStream(res);
    const json = (await res.json()) as any;
    if (res.status !== 200) return { status: res.status, finish: '', calls: [], text: '', error: json.error?.message };
    return {
      status: res.status,
      finish: json.stop_reason,
      calls: json.content.filter((block: any) => block.type === 'tool_use').map((block: any) => ({ name: block.name, args: block.input })),
      text: json.content
        .filter((block: any) => block.type === 'text')
        .map((block: any) => block.text)
        .join(''),
    };
  },
};

async function readAnthropicStream(res: Response): Promise<Turn> {
  const events = (await res.text())
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as any);
  const blocks = new Map<number, { type: string; name?: string; text: string }>();
  let finish = '';
  for (const event of events) {
    if (event.type === 'content_block_start') blocks.set(event.index, { type: event.content_block.type, name: event.content_block.name, text: '' });
    if (event.type === 'content_block_delta') {
      const block = blocks.get(event.index);
      if (block) block.text += event.delta.text ?? event.delta.partial_json ?? '';
    }
    if (event.type === 'message_delta') finish = event.delta.stop_reason;
  }
  expect(events.map((event) => event.type).at(-1)).toBe('message_stop');
  const all = [...blocks.values()];
  return {
    status: res.status,
    finish,
    calls: all.filter((block) => block.type === 'tool_use').map((block) => ({ name: block.name ?? '', args: JSON.parse(block.text) })),
    text: all
      .filter((block) => block.type === 'text')
      .map((block) => block.text)
      .join(''),
  };
}

const CALL_FINISH: Record<Api, string> = { chat: 'tool_calls', responses: 'tool_calls', messages: 'tool_use' };
const TEXT_FINISH: Record<Api, string> = { chat: 'stop', responses: 'stop', messages: 'end_turn' };

const INSTRUCTION = 'Call the tool alpha-echo with message set to "nonce-f1", then reply with exactly what it returned.';
const ECHOED: Answered = { name: 'alpha-echo', args: { message: 'nonce-f1' }, result: 'Echo: nonce-f1' };

// Each API's spelling of the same choice.
const CHOICES: Record<'auto' | 'none' | 'forced', Record<Api, unknown[]>> = {
  auto: { chat: [undefined, 'auto'], responses: [undefined, 'auto'], messages: [undefined, { type: 'auto' }] },
  none: { chat: ['none'], responses: ['none'], messages: [{ type: 'none' }] },
  forced: {
    chat: ['required', { type: 'function', function: { name: 'alpha-echo' } }],
    responses: [
      'required',
      { type: 'function', name: 'alpha-echo' },
      { type: 'mcp', server_label: 'alpha', name: 'echo' },
      { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'alpha-echo' }] },
    ],
    messages: [{ type: 'any' }, { type: 'tool', name: 'alpha-echo' }],
  },
};
const APIS: Api[] = ['chat', 'responses', 'messages'];
const each = (kind: keyof typeof CHOICES) =>
  APIS.flatMap((api) => CHOICES[kind][api].map((toolChoice) => ({ api, toolChoice, label: `${api} ${JSON.stringify(toolChoice) ?? '(absent)'}` })));

describe('the llm fixture honours tool_choice on every turn', () => {
  it.each(each('auto'))('$label: calls the tool the instruction names, with its arguments', async ({ api, toolChoice }) => {
    const turn = await ask[api]({ instruction: INSTRUCTION, toolChoice });
    expect(turn).toMatchObject({ status: 200, finish: CALL_FINISH[api], calls: [{ name: 'alpha-echo', args: { message: 'nonce-f1' } }] });
  });

  it.each(each('auto'))('$label: once the tool answered, replies with its result verbatim', async ({ api, toolChoice }) => {
    const turn = await ask[api]({ instruction: INSTRUCTION, toolChoice, answered: [ECHOED] });
    expect(turn).toMatchObject({ status: 200, finish: TEXT_FINISH[api], calls: [] });
    expect(turn.text).toContain('Tool result: Echo: nonce-f1');
  });

  it.each(each('forced'))('$label: calls a tool again although the tool already answered', async ({ api, toolChoice }) => {
    const turn = await ask[api]({ instruction: INSTRUCTION, toolChoice, answered: [ECHOED] });
    expect(turn).toMatchObject({ status: 200, finish: CALL_FINISH[api], calls: [{ name: 'alpha-echo', args: { message: 'nonce-f1' } }] });
  });

  it.each(each('none'))('$label: answers text, never a call', async ({ api, toolChoice }) => {
    const turn = await ask[api]({ instruction: INSTRUCTION, toolChoice });
    expect(turn).toMatchObject({ status: 200, finish: TEXT_FINISH[api], calls: [] });
  });

  it.each(APIS)('%s: a forced choice naming a tool the request does not offer is a 400', async (api) => {
    const named = {
      chat: { type: 'function', function: { name: 'beta-echo' } },
      responses: { type: 'function', name: 'beta-echo' },
      messages: { type: 'tool', name: 'beta-echo' },
    }[api];
    const turn = await ask[api]({ instruction: INSTRUCTION, toolChoice: named });
    expect(turn.status).toBe(400);
    expect(turn.error).toMatch(/beta-echo/);
  });

  it("responses: an mcp tool_choice forces one of that server's tools, never another server's", async () => {
    const turn = await ask.responses({
      instruction: 'Call the tool alpha-add with a set to 1 and b set to 2.',
      toolChoice: { type: 'mcp', server_label: 'alpha' },
      answered: [{ name: 'alpha-add', args: { a: 1, b: 2 }, result: '3' }],
    });
    expect(turn).toMatchObject({ finish: 'tool_calls', calls: [{ name: 'alpha-add', args: { a: 1, b: 2 } }] });
    const elsewhere = await ask.responses({ instruction: INSTRUCTION, toolChoice: { type: 'mcp', server_label: 'beta' } });
    expect(elsewhere.status).toBe(400);
  });
});

describe('the llm fixture follows the instruction', () => {
  it.each(APIS)('%s: several "ARG set to" pairs become the arguments, typed as written', async (api) => {
    const turn = await ask[api]({ instruction: 'Call the tool alpha-add with a set to 2 and b set to 3.5, then say the sum.' });
    expect(turn.calls).toEqual([{ name: 'alpha-add', args: { a: 2, b: 3.5 } }]);
  });

  it.each(APIS)('%s: two calls asked for go out together, then text once both answered', async (api) => {
    const instruction = 'Call the tool alpha-echo with message set to "one", then call the tool alpha-add with a set to 1 and b set to 2.';
    expect((await ask[api]({ instruction })).calls).toEqual([
      { name: 'alpha-echo', args: { message: 'one' } },
      { name: 'alpha-add', args: { a: 1, b: 2 } },
    ]);
    expect((await ask[api]({ instruction, parallel: false })).calls).toEqual([{ name: 'alpha-echo', args: { message: 'one' } }]);
    const second = await ask[api]({ instruction, parallel: false, answered: [{ name: 'alpha-echo', args: { message: 'one' }, result: 'Echo: one' }] });
    expect(second.calls).toEqual([{ name: 'alpha-add', args: { a: 1, b: 2 } }]);
    const done = await ask[api]({
      instruction,
      answered: [
        { name: 'alpha-echo', args: { message: 'one' }, result: 'Echo: one' },
        { name: 'alpha-add', args: { a: 1, b: 2 }, result: '3' },
      ],
    });
    expect(done).toMatchObject({ finish: TEXT_FINISH[api], text: 'Tool result: Echo: one\n3' });
  });

  it.each(APIS)('%s: a tool the request does not offer gets a text answer saying so', async (api) => {
    const turn = await ask[api]({ instruction: 'Call the tool beta-echo with message set to "x".' });
    expect(turn).toMatchObject({ status: 200, finish: TEXT_FINISH[api], calls: [] });
    expect(turn.text).toMatch(/cannot call beta-echo: no such tool is offered \(offered: alpha-echo, alpha-add\)/);
  });

  it.each(APIS)('%s: a short name and a bare value find the tool and its string argument', async (api) => {
    expect((await ask[api]({ instruction: 'Call the echo tool with nonce-r1' })).calls).toEqual([{ name: 'alpha-echo', args: { message: 'nonce-r1' } }]);
    expect((await ask[api]({ instruction: 'Echo this back: nonce-r2' })).calls).toEqual([{ name: 'alpha-echo', args: { message: 'nonce-r2' } }]);
  });

  it.each(APIS)('%s: an instruction that asks for no tool is answered with text', async (api) => {
    const turn = await ask[api]({ instruction: 'Say hello.' });
    expect(turn).toMatchObject({ finish: TEXT_FINISH[api], calls: [], text: 'Fixture reply to: Say hello.' });
  });
});

describe('the llm fixture speaks the Anthropic Messages API as LiteLLM calls it', () => {
  it('streams tool_use and text blocks with their stop reasons', async () => {
    expect(await ask.messages({ instruction: INSTRUCTION, stream: true })).toMatchObject({
      finish: 'tool_use',
      calls: [{ name: 'alpha-echo', args: { message: 'nonce-f1' } }],
    });
    expect(await ask.messages({ instruction: INSTRUCTION, stream: true, answered: [ECHOED] })).toMatchObject({
      finish: 'end_turn',
      text: 'Tool result: Echo: nonce-f1',
    });
  });

  it('wants x-api-key, anthropic-version and max_tokens, as Anthropic does', async () => {
    const body = { model: 'claude-3-haiku-20240307', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
    expect((await post('/v1/messages', body, OPENAI_AUTH)).status).toBe(401);
    expect((await post('/v1/messages', body, { 'x-api-key': KEY })).status).toBe(400);
    const { max_tokens: _dropped, ...withoutMax } = body;
    const refused = await post('/v1/messages', withoutMax, ANTHROPIC_AUTH);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((await post('/v1/messages', body, ANTHROPIC_AUTH)).status).toBe(200);
  });

  it('records every request for the tests to read', async () => {
    await fetch(`${base}/__requests`, { method: 'DELETE' });
    await ask.messages({ instruction: 'Say hello.' });
    const recorded = (await (await fetch(`${base}/__requests`)).json()) as { path: string; headers: Record<string, string> }[];
    expect(recorded.map((request) => request.path)).toEqual(['/v1/messages']);
    expect(recorded[0]?.headers['x-api-key']).toBe(KEY);
  });
});
