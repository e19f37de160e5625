import { KEY_HEADER, keyHeaderValue } from './key-header.js';

export type GatewayTransport = 'http' | 'sse';

export interface ListedTool {
  name: string;
  description?: string;
  inputSchema: { properties?: Record<string, { type?: unknown }>; required?: string[] };
}

export interface ToolResult {
  text: string;
  isError: boolean;
}

/** How long closing a session waits for the gateway to acknowledge its end. */
const SESSION_END_MS = 3000;

/**
 * Session ends still under way: a run that opens many sessions lets each end (DELETE, then the client's close)
 * run behind its next requests, and waits for all of them once, before it returns.
 */
export class SessionEnds {
  private readonly pending: Promise<void>[] = [];

  add(ending: Promise<void>): void {
    this.pending.push(ending.catch(() => undefined));
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

/** One MCP client session as a real client opens it: initialize, then requests, with the gateway key header. */
export interface McpSession {
  serverName: string;
  listTools(): Promise<ListedTool[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}

/** An MCP error with the HTTP status the gateway answered, when it answered one (401 bad key, 403 not granted). */
export class McpRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export function gatewayHeaders(key: string): Record<string, string> {
  return { [KEY_HEADER]: keyHeaderValue(key) };
}

let sdk: ReturnType<typeof importSdk> | undefined;

function importSdk() {
  return Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
}

/**
 * The MCP SDK, imported once, on first use: it and its schemas take ~0.3–0.4 s to import, which commands that
 * never open a session (doctor --offline on a healthy stack, up --no-probe) should not pay. A caller that will
 * open sessions soon calls it early, so the import runs while it waits for its other requests.
 */
export function loadMcpSdk(): ReturnType<typeof importSdk> {
  sdk ??= importSdk();
  return sdk;
}

/**
 * Connects to `url` (LiteLLM's /mcp/, /mcp/<server> or /mcp/sse) with `key`. The official MCP SDK is the client,
 * so the probe sees exactly what Claude Code, Gemini CLI or VS Code would.
 */
export async function openSession(url: string, key: string, transport: GatewayTransport, timeoutMs: number, ends?: SessionEnds): Promise<McpSession> {
  const [{ Client }, { SSEClientTransport }, { StreamableHTTPClientTransport }] = await loadMcpSdk();
  const requestInit: RequestInit = { headers: gatewayHeaders(key) };
  const channel =
    transport === 'sse' ? new SSEClientTransport(new URL(url), { requestInit }) : new StreamableHTTPClientTransport(new URL(url), { requestInit });
  const client = new Client({ name: 'mcpgw-probe', version: '1' });
  const options = { timeout: timeoutMs };
  try {
    await client.connect(channel, options);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw asRequestError(error);
  }
  return {
    serverName: client.getServerVersion()?.name ?? 'unnamed',
    async listTools() {
      try {
        const tools: ListedTool[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : {}, options);
          tools.push(...(page.tools as ListedTool[]));
          cursor = page.nextCursor;
        } while (cursor);
        return tools;
      } catch (error) {
        throw asRequestError(error);
      }
    },
    async callTool(name, args) {
      try {
        const result = await client.callTool({ name, arguments: args }, undefined, options);
        const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
        return { text: content.map((part) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`)).join('\n'), isError: result.isError === true };
      } catch (error) {
        throw asRequestError(error);
      }
    },
    async close() {
      // End the session on the server too (DELETE): LiteLLM otherwise keeps it, and the upstream sessions it
      // opened to relay list changes, until its 30-minute idle timeout. Best effort: waits at most SESSION_END_MS.
      // LiteLLM answers the DELETE only once it has torn those down; with `ends` the caller goes on meanwhile.
      const ending = (async () => {
        if (channel instanceof StreamableHTTPClientTransport) {
          let timer: NodeJS.Timeout | undefined;
          const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, SESSION_END_MS)));
          await Promise.race([channel.terminateSession().catch(() => undefined), deadline]);
          clearTimeout(timer);
        }
        await client.close();
      })();
      if (ends) ends.add(ending);
      else await ending;
    },
  };
}

/** The SDK's transport errors carry the HTTP status as `code`; JSON-RPC errors carry negative codes. */
function asRequestError(error: unknown): McpRequestError {
  const code = (error as { code?: unknown }).code;
  const status = typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
  const message = (error instanceof Error ? error.message : String(error)).replace(/^(Streamable HTTP|SSE) error: /, '');
  // The SDK's SSE transport reports a closed or refused stream as "SSE error: undefined".
  return new McpRequestError(message === 'undefined' ? '' : message, status);
}
