import { StepFailed, UserError } from '../errors.js';
import { McpRequestError, openSession } from '../gateway/session.js';
import { explainMcpFailure } from '../gateway/mcp-failure.js';

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
  const url = gatewayUrl(baseUrl, server);
  try {
    return await listTools(url, key, timeoutSeconds);
  } catch (error) {
    throw explainGatewayError(error, url);
  }
}

export interface KeyView {
  /** Servers the key is granted, in the order asked, with their tools. */
  listings: { server: string; tools: GatewayTool[] }[];
  /** Servers whose tools could not be listed, with the reason. */
  failures: { server: string; message: string; hint?: string }[];
}

/**
 * Everything a key sees, asked server by server and side by side. LiteLLM's `/mcp/` visits servers one after
 * another and leaves out a server whose listing fails or takes over 30 s without saying so; one route per server
 * answers 403 for a server the key is not granted, an empty list for one it cannot reach, and errors otherwise.
 */
export async function keyView(baseUrl: string, key: string, servers: string[], timeoutSeconds = DEFAULT_GATEWAY_TIMEOUT_S): Promise<KeyView> {
  const outcomes = await Promise.all(
    servers.map(async (server) => {
      const url = gatewayUrl(baseUrl, server);
      try {
        return { server, url, tools: await listTools(url, key, timeoutSeconds) };
      } catch (error) {
        return { server, error, url };
      }
    }),
  );
  const view: KeyView = { listings: [], failures: [] };
  for (const outcome of outcomes) {
    if (outcome.tools?.length === 0) {
      // LiteLLM answers a granted server it cannot reach with an empty list, not an error.
      view.failures.push({
        server: outcome.server,
        message: `LiteLLM lists no tools at ${outcome.url.href}: the server is down, or its listing failed`,
        hint: `\`mcpgw mcp list\` shows its state; \`mcpgw logs litellm\` the error`,
      });
      continue;
    }
    if (outcome.tools) {
      view.listings.push({ server: outcome.server, tools: outcome.tools });
      continue;
    }
    const status = httpStatus(outcome.error);
    if (status === 403) continue; // not granted to this key
    // A refused key is refused everywhere: that is the answer, not a per-server failure.
    if (status === 401) throw explainGatewayError(outcome.error, gatewayUrl(baseUrl, undefined));
    const explained = explainGatewayError(outcome.error, outcome.url);
    view.failures.push({
      server: outcome.server,
      message: explained.message,
      ...(explained instanceof StepFailed && explained.hint ? { hint: explained.hint } : {}),
    });
  }
  return view;
}

function gatewayUrl(baseUrl: string, server: string | undefined): URL {
  return new URL(server ? `/mcp/${server}` : '/mcp/', baseUrl);
}

async function listTools(url: URL, key: string, timeoutSeconds: number): Promise<GatewayTool[]> {
  const session = await openSession(url.href, key, 'http', timeoutSeconds * 1000);
  try {
    const tools = await session.listTools();
    return tools.map((tool) => ({ name: tool.name, description: firstLine(tool.description ?? ''), inputs: schemaSummary(tool.inputSchema as JsonSchema) }));
  } finally {
    await session.close().catch(() => undefined);
  }
}

function httpStatus(error: unknown): number | undefined {
  return error instanceof McpRequestError ? error.status : undefined;
}

function explainGatewayError(error: unknown, url: URL): Error {
  if (error instanceof UserError || error instanceof StepFailed) return error;
  // A refusal is a failure found (exit 1), not a usage error: the key was well-formed, the gateway said no.
  const { detail, cause, fix } = explainMcpFailure(error);
  return new StepFailed(`listing tools at ${url.href}: ${cause} (${detail})`, fix);
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

/** One line per input schema: each argument with its type, `?` marking the optional ones. */
export function schemaSummary(schema: JsonSchema | undefined): string {
  const required = new Set(schema?.required ?? []);
  const fields = Object.entries(schema?.properties ?? {}).map(([name, property]) => `${name}${required.has(name) ? '' : '?'}: ${typeName(property)}`);
  return fields.length > 0 ? fields.join(', ') : '(no arguments)';
}

function typeName(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.enum)
    return (
      schema.enum
        .slice(0, 4)
        .map((value) => JSON.stringify(value))
        .join('|') + (schema.enum.length > 4 ? '|…' : '')
    );
  if (schema.anyOf) return schema.anyOf.map(typeName).join('|');
  if (Array.isArray(schema.type)) return schema.type.join('|');
  if (schema.type === 'array') return `${typeName(schema.items)}[]`;
  return schema.type ?? 'any';
}
