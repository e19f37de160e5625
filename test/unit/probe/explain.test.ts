import { describe, expect, it } from 'vitest';
import { judgeExchange, readTurn, type LlmExchange } from '../../../src/probe/explain.js';

// Response bodies in the shapes LiteLLM 1.108.7 returned for these requests (captured from the test stack).
const mcpTool = { type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' };
const functionTool = { type: 'function', function: { name: 'alpha-echo', parameters: { type: 'object' } } };
const listed = [{ type: 'function', function: { name: 'alpha-echo' } }];

function chat(finish: string, message: Record<string, unknown>) {
  return { id: 'x', object: 'chat.completion', choices: [{ index: 0, finish_reason: finish, message }] };
}
const executedChat = chat('stop', {
  role: 'assistant',
  content: 'Tool result: Echo: nonce-abc',
  provider_specific_fields: { mcp_list_tools: listed, mcp_call_results: [{ tool_call_id: 'c1', result: 'Echo: nonce-abc', name: 'alpha-echo' }] },
});
const pendingChat = (fields?: Record<string, unknown>) =>
  chat('tool_calls', {
    role: 'assistant',
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'alpha-echo', arguments: '{}' } }],
    ...(fields ? { provider_specific_fields: fields } : {}),
  });

function exchange(overrides: Partial<LlmExchange>): LlmExchange {
  return { endpoint: 'chat', request: { tools: [mcpTool] }, status: 200, body: executedChat, version: '1.108.7', nonce: 'nonce-abc', ...overrides };
}

describe('judgeExchange', () => {
  it('passes when LiteLLM executed the tool, the turn ended at stop and the answer holds the nonce', () => {
    const outcome = judgeExchange(exchange({}));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toContain('executed by LiteLLM: 1');
  });

  it('names plain function tools as the cause of a tool_calls ending', () => {
    const outcome = judgeExchange(exchange({ request: { tools: [functionTool] }, body: pendingChat() }));
    expect(outcome.status).toBe('fail');
    expect(outcome.causes?.[0]?.cause).toMatch(/plain "function" tools/);
    expect(outcome.causes?.[0]?.fix).toMatch(/"require_approval":"never"/);
  });

  it('names a missing require_approval "never"', () => {
    const { require_approval: _dropped, ...withoutApproval } = mcpTool;
    const outcome = judgeExchange(exchange({ request: { tools: [withoutApproval] }, body: pendingChat({ mcp_list_tools: listed }) }));
    expect(outcome.causes?.[0]?.cause).toMatch(/require_approval "never"/);
  });

  it('names a server_url that is not litellm_proxy', () => {
    const outcome = judgeExchange(exchange({ request: { tools: [{ ...mcpTool, server_url: 'http://mcp-alpha:48200/mcp' }] }, body: pendingChat() }));
    expect(outcome.causes?.[0]?.cause).toMatch(/server_url "litellm_proxy…"/);
  });

  it('names a LiteLLM release too old to execute MCP tools on chat completions, and points at /v1/responses', () => {
    const outcome = judgeExchange(exchange({ version: '1.77.3', body: pendingChat() }));
    expect(outcome.causes?.[0]?.cause).toMatch(/LiteLLM 1\.77\.3 does not execute MCP tools on \/v1\/chat\/completions \(since 1\.80\.10\)/);
    expect(outcome.causes?.[0]?.fix).toMatch(/1\.80\.10 or later, or use \/v1\/responses/);
  });

  it('names a key that lacks the server (403 from the gateway)', () => {
    const body = { error: { message: 'The key is not allowed to access the requested MCP servers: beta', type: 'permission_error', code: '403' } };
    const outcome = judgeExchange(exchange({ status: 403, body }));
    expect(outcome.causes?.[0]?.cause).toBe('the key is not granted the MCP server(s) beta');
    expect(outcome.causes?.[0]?.fix).toMatch(/mcpgw keys sync/);
  });

  it('names an unreachable server when LiteLLM offered no tools and the model answered without one', () => {
    const body = chat('stop', { role: 'assistant', content: 'Fixture reply to: Call alpha-echo', provider_specific_fields: {} });
    const outcome = judgeExchange(exchange({ body }));
    expect(outcome.causes?.[0]?.cause).toMatch(/offered the model no tools.*transport or path/);
  });

  it('fails when the answer lacks the nonce although the tool returned it', () => {
    const body = chat('stop', {
      role: 'assistant',
      content: 'done',
      provider_specific_fields: { mcp_list_tools: listed, mcp_call_results: [{ result: 'Echo: nonce-abc' }] },
    });
    expect(judgeExchange(exchange({ body })).causes?.[0]?.cause).toMatch(/final answer does not contain it/);
  });

  it('reads the responses shape: unexecuted function_call items are a tool_calls ending', () => {
    const body = { status: 'completed', output: [{ type: 'function_call', name: 'alpha-echo', arguments: '{}', call_id: 'c' }] };
    const turn = readTurn('responses', body);
    expect(turn).toMatchObject({ finish: 'tool_calls', pendingCalls: ['alpha-echo'], executed: [] });
    const executed = {
      status: 'completed',
      output: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Tool result: Echo: nonce-abc' }] },
        { type: 'mcp_tools_fetched', content: [{ type: 'output_text', text: "[\n  \"name='alpha-echo' title='Echo Tool'\"]" }] },
        { type: 'tool_execution_results', content: [{ type: 'output_text', text: '[{"result": "Echo: nonce-abc"}]' }] },
      ],
    };
    expect(judgeExchange(exchange({ endpoint: 'responses', body: executed })).status).toBe('pass');
    expect(readTurn('responses', executed).offeredTools).toEqual(['alpha-echo']);
  });
});

describe('a turn that ends at tool_calls after LiteLLM executed the tools', () => {
  // LiteLLM 1.108.7 executed the first round (mcp_call_results) and the follow-up turn asked for tools again.
  const executedThenCalledChat = pendingChat({
    mcp_list_tools: listed,
    mcp_call_results: [{ tool_call_id: 'c1', result: 'Echo: nonce-abc', name: 'alpha-echo' }],
  });
  const executedThenCalledResponses = {
    status: 'completed',
    output: [
      { type: 'function_call', name: 'alpha-echo', arguments: '{"message":"nonce-abc"}', call_id: 'c2' },
      { type: 'mcp_tools_fetched', content: [{ type: 'output_text', text: "[\n  \"name='alpha-echo' title='Echo Tool'\"]" }] },
      { type: 'tool_execution_results', content: [{ type: 'output_text', text: '[{"result": "Echo: nonce-abc"}]' }] },
    ],
  };
  const FORCED =
    /^the request sets tool_choice (.+), and LiteLLM 1\.108\.7 repeats it on its follow-up request after executing the tools on \/v1\/chat\/completions, so the model must call a tool again instead of answering$/;
  const ANOTHER_ROUND = /^LiteLLM executed the tools, then the model asked for another round/;

  it.each([
    { label: 'chat, "required"', endpoint: 'chat', toolChoice: 'required', cause: FORCED, shown: '"required"' },
    {
      label: 'chat, a named function',
      endpoint: 'chat',
      toolChoice: { type: 'function', function: { name: 'alpha-echo' } },
      cause: FORCED,
      shown: '{"type":"function","function":{"name":"alpha-echo"}}',
    },
    { label: 'chat, Anthropic\'s "any" through LiteLLM', endpoint: 'chat', toolChoice: { type: 'any' }, cause: FORCED, shown: '{"type":"any"}' },
    { label: 'chat, no tool_choice', endpoint: 'chat', toolChoice: undefined, cause: ANOTHER_ROUND },
    { label: 'chat, "auto"', endpoint: 'chat', toolChoice: 'auto', cause: ANOTHER_ROUND },
    // LiteLLM turns an allowed_tools choice to mode auto on the follow-up (allowed_tools_tool_choice_kept_on_follow_up).
    {
      label: 'chat, allowed_tools in mode required',
      endpoint: 'chat',
      toolChoice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'alpha-echo' } }] } },
      cause: ANOTHER_ROUND,
    },
    // The Responses path drops tool_choice on its follow-up (prepare_follow_up_call_params).
    { label: 'responses, "required"', endpoint: 'responses', toolChoice: 'required', cause: ANOTHER_ROUND },
  ] as const)('$label', ({ endpoint, toolChoice, cause, ...expected }) => {
    const request = { tools: [mcpTool], ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }) };
    const body = endpoint === 'chat' ? executedThenCalledChat : executedThenCalledResponses;
    const outcome = judgeExchange(exchange({ endpoint, request, body }));
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toEqual(expect.arrayContaining(['finish: tool_calls', 'executed by LiteLLM: 1']));
    expect(outcome.causes).toHaveLength(1);
    expect(outcome.causes?.[0]?.cause).toMatch(cause);
    if ('shown' in expected) {
      expect(FORCED.exec(outcome.causes?.[0]?.cause ?? '')?.[1]).toBe(expected.shown);
      expect(outcome.causes?.[0]?.fix).toBe('leave tool_choice out of the request or set it to "auto", and name the tool and its arguments in the prompt');
    } else {
      expect(outcome.causes?.[0]?.fix).toBe('send the follow-up request from the client, or prompt for a single tool call');
    }
  });

  it('names LiteLLM without a version when the version is unknown', () => {
    const { version: _unknown, ...withoutVersion } = exchange({ request: { tools: [mcpTool], tool_choice: 'required' }, body: executedThenCalledChat });
    expect(judgeExchange(withoutVersion).causes?.[0]?.cause).toMatch(/^the request sets tool_choice "required", and LiteLLM repeats it on its follow-up/);
  });
});

describe('a turn that ends without a tool call', () => {
  it.each([
    {
      endpoint: 'chat',
      fix: /^name the tool and its arguments in the prompt, or use a model that supports tool calls \(not tool_choice "required": LiteLLM repeats it/,
    },
    { endpoint: 'responses', fix: /^name the tool and its arguments in the prompt or send tool_choice "required"/ },
  ] as const)('$endpoint: the fix forces no tool_choice where LiteLLM repeats it', ({ endpoint, fix }) => {
    const body =
      endpoint === 'chat'
        ? chat('stop', { role: 'assistant', content: 'hello', provider_specific_fields: { mcp_list_tools: listed } })
        : {
            status: 'completed',
            output: [
              { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] },
              { type: 'mcp_tools_fetched', content: [{ type: 'output_text', text: '["name=\'alpha-echo\'"]' }] },
            ],
          };
    const outcome = judgeExchange(exchange({ endpoint, body }));
    expect(outcome.causes?.[0]?.cause).toBe('the model answered without calling a tool');
    expect(outcome.causes?.[0]?.fix).toMatch(fix);
  });
});
