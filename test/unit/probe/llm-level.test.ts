import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLlm, probePrompt } from '../../../src/probe/llm-level.js';
import type { ProvenTool } from '../../../src/probe/mcp-level.js';

describe('probePrompt', () => {
  it.each([
    { args: { message: 'nonce-1' }, prompt: 'Call the tool alpha-echo with message set to "nonce-1", then reply with exactly what it returned.' },
    {
      args: { schema: 'public', limit: 3, verbose: true },
      prompt: 'Call the tool alpha-echo with schema set to "public" and limit set to 3 and verbose set to true, then reply with exactly what it returned.',
    },
    { args: {}, prompt: 'Call the tool alpha-echo, then reply with exactly what it returned.' },
  ])('spells out $args', ({ args, prompt }) => {
    expect(probePrompt('alpha-echo', args)).toBe(prompt);
  });
});

// A stand-in for LiteLLM that records what the probe sends and answers as LiteLLM does once it ran the tool.
describe('checkLlm', () => {
  let server: Server;
  let baseUrl = '';
  const received: { path: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        received.push({ path: request.url ?? '', body });
        const nonce = /nonce-[0-9a-z]+/.exec(text)?.[0] ?? '';
        const answer =
          request.url === '/v1/chat/completions'
            ? {
                choices: [
                  {
                    index: 0,
                    finish_reason: 'stop',
                    message: {
                      role: 'assistant',
                      content: `Tool result: Echo: ${nonce}`,
                      provider_specific_fields: { mcp_list_tools: [{ function: { name: 'alpha-echo' } }], mcp_call_results: [{ result: `Echo: ${nonce}` }] },
                    },
                  },
                ],
              }
            : {
                status: 'completed',
                output: [
                  { type: 'message', content: [{ type: 'output_text', text: `Tool result: Echo: ${nonce}` }] },
                  { type: 'tool_execution_results', content: [{ type: 'output_text', text: `[{"result": "Echo: ${nonce}"}]` }] },
                ],
              };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const proven: ProvenTool = {
    server: 'alpha',
    call: { gatewayName: 'alpha-echo', arguments: { message: 'nonce-old' }, expectsNonce: true },
    nonce: 'nonce-old',
  };

  it.each(['chat', 'responses'] as const)(
    '%s: sends no tool_choice (LiteLLM would repeat it after running the tool), only the instruction with a fresh nonce',
    async (endpoint) => {
      received.length = 0;
      const outcome = await checkLlm(
        { baseUrl, key: 'sk-test', model: 'fixture-model', version: '1.108.7', timeoutMs: 5_000, nonce: () => 'nonce-fresh' },
        endpoint,
        proven,
      );
      expect(outcome.status).toBe('pass');
      expect(received).toHaveLength(1);
      const body: Record<string, unknown> = received[0]?.body ?? {};
      expect(body).not.toHaveProperty('tool_choice');
      expect(body.tools).toEqual([{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }]);
      const prompt = 'Call the tool alpha-echo with message set to "nonce-fresh", then reply with exactly what it returned.';
      expect(endpoint === 'chat' ? body.messages : body.input).toEqual(endpoint === 'chat' ? [{ role: 'user', content: prompt }] : prompt);
    },
  );
});
