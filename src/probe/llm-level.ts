import { judgeExchange, type LlmEndpoint } from './explain.js';
import { requestJson } from '../gateway/http.js';
import type { ProvenTool } from './mcp-level.js';
import { gatewayHeaders } from '../gateway/session.js';
import type { CheckOutcome } from './types.js';

export interface LlmContext {
  baseUrl: string;
  key: string;
  model: string;
  version?: string;
  timeoutMs: number;
  nonce: () => string;
}

const PATHS: Record<LlmEndpoint, string> = { chat: '/v1/chat/completions', responses: '/v1/responses' };

/** LiteLLM's own MCP tool type: the gateway lists, calls and feeds back the server's tools itself. */
export function gatewayMcpTool(server: string): Record<string, string> {
  return { type: 'mcp', server_label: server, server_url: `litellm_proxy/mcp/${server}`, require_approval: 'never' };
}

/** Sends one request body to LiteLLM and judges the turn (non-streaming: the whole answer is evidence). */
export async function sendAndJudge(
  ctx: Omit<LlmContext, 'model' | 'nonce'>,
  endpoint: LlmEndpoint,
  request: Record<string, unknown>,
  nonce?: string,
): Promise<CheckOutcome> {
  const body = { ...request, stream: false };
  const answer = await requestJson(
    `${ctx.baseUrl}${PATHS[endpoint]}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.key}`, ...gatewayHeaders(ctx.key) },
      body: JSON.stringify(body),
    },
    ctx.timeoutMs,
  );
  return judgeExchange({
    endpoint,
    request: body,
    status: answer.status,
    body: answer.body,
    ...(ctx.version ? { version: ctx.version } : {}),
    ...(nonce ? { nonce } : {}),
  });
}

/**
 * The instruction that makes a model call the proven tool: its name and every argument, spelled out. The
 * prompt, not `tool_choice`, decides the call: on /v1/chat/completions LiteLLM keeps the caller's tool_choice on
 * its follow-up request after running the tools (chat_completions_handler.py in 1.108.7), so a forced choice
 * makes a model that honours it call again instead of answering.
 */
export function probePrompt(tool: string, args: Record<string, unknown>): string {
  const spelled = Object.entries(args).map(([name, value]) => `${name} set to ${JSON.stringify(value)}`);
  return `Call the tool ${tool}${spelled.length > 0 ? ` with ${spelled.join(' and ')}` : ''}, then reply with exactly what it returned.`;
}

/** Asks the model to call the proven tool with a fresh nonce; passes only if LiteLLM ran it and the turn ended at stop. */
export async function checkLlm(ctx: LlmContext, endpoint: LlmEndpoint, proven: ProvenTool): Promise<CheckOutcome> {
  const nonce = ctx.nonce();
  const args = Object.fromEntries(
    Object.entries(proven.call.arguments).map(([name, value]) => [name, typeof value === 'string' ? value.replaceAll(proven.nonce, nonce) : value]),
  );
  const prompt = probePrompt(proven.call.gatewayName, args);
  const tools = [gatewayMcpTool(proven.server)];
  const request = endpoint === 'chat' ? { model: ctx.model, messages: [{ role: 'user', content: prompt }], tools } : { model: ctx.model, input: prompt, tools };
  return sendAndJudge(ctx, endpoint, request, nonce);
}

/** A request captured from a client, replayed through the gateway to see why it ends where it ends. */
export function replayEndpoint(request: Record<string, unknown>): LlmEndpoint | undefined {
  if (Array.isArray(request.messages)) return 'chat';
  if (request.input !== undefined) return 'responses';
  return undefined;
}
