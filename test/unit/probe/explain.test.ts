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
  chat('tool_calls', { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'alpha-echo', arguments: '{}' } }], ...(fields ? { provider_specific_fields: fields } : {}) });

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
    const body = chat('stop', { role: 'assistant', content: 'done', provider_specific_fields: { mcp_list_tools: listed, mcp_call_results: [{ result: 'Echo: nonce-abc' }] } });
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
