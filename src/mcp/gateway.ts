import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { StepFailed, UserError } from '../errors.js';

/**
 * LiteLLM opens a fresh upstream session per request: a stdio server is spawned again, and `/mcp/` visits
 * every server in turn. On a busy host that takes tens of seconds, well past the SDK's 60 s default.
 */
export const DEFAULT_GATEWAY_TIMEOUT_S = 120;

export interface GatewayTool {
  name: string;
  description: string;
  /** e.g. `message: string, count?: integer`: what a client has to send. */
  inputs: string;
}

/**
 * The tools a key sees through LiteLLM's MCP endpoint (`/mcp/` for all its servers, `/mcp/<server>` for one),
 * over streamable HTTP with the header clients use. That is what a client will list, grants applied.
 */
export async function gatewayTools(baseUrl: string, key: string, server?: string, timeoutSeconds = DEFAULT_GATEWAY_TIMEOUT_S): Promise<GatewayTool[]> {
  const timeout = timeoutSeconds * 1000;
  const url = new URL(server ? `/mcp/${server}` : '/mcp/', baseUrl);
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { 'x-litellm-api-key': `Bearer ${key}` } } });
  const client = new Client({ name: 'mcpgw', version: '0.1.0' });
  try {
    await client.connect(transport, { timeout });
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools.map((tool) => ({ name: tool.name, description: firstLine(tool.description ?? ''), inputs: schemaSummary(tool.inputSchema) }));
  } catch (error) {
    throw explainGatewayError(error, url);
  } finally {
    await client.close().catch(() => undefined);
  }
}

function explainGatewayError(error: unknown, url: URL): Error {
  if (error instanceof UserError || error instanceof StepFailed) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof StreamableHTTPError && (error.code === 401 || error.code === 403)) {
    return new UserError(`the gateway refused the key at ${url.href} (HTTP ${error.code})`, 'check the key (`mcpgw keys list`) and that it is granted this server');
  }
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EHOSTUNREACH/.test(message)) {
    return new StepFailed(`the gateway at ${url.origin} does not answer (${message})`, 'start the stack with `mcpgw up` and check `mcpgw status`');
  }
  if (/timed out/i.test(message)) return new StepFailed(`listing tools at ${url.href} got no answer in time (${message})`, 'LiteLLM asks every server it routes to; see `mcpgw logs litellm`, or allow more time with --timeout SECONDS');
  return new StepFailed(`listing tools at ${url.href} failed: ${message}`, 'see `mcpgw logs litellm`');
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

type JsonSchema = { type?: string | string[]; enum?: unknown[]; items?: JsonSchema; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema>; required?: string[] };

/** One line per input schema: each argument with its type, `?` marking the optional ones. */
export function schemaSummary(schema: JsonSchema | undefined): string {
  const required = new Set(schema?.required ?? []);
  const fields = Object.entries(schema?.properties ?? {}).map(([name, property]) => `${name}${required.has(name) ? '' : '?'}: ${typeName(property)}`);
  return fields.length > 0 ? fields.join(', ') : '(no arguments)';
}

function typeName(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.enum) return schema.enum.slice(0, 4).map((value) => JSON.stringify(value)).join('|') + (schema.enum.length > 4 ? '|…' : '');
  if (schema.anyOf) return schema.anyOf.map(typeName).join('|');
  if (Array.isArray(schema.type)) return schema.type.join('|');
  if (schema.type === 'array') return `${typeName(schema.items)}[]`;
  return schema.type ?? 'any';
}
