/**
 * HTTP as mcpgw speaks it to LiteLLM and to MCP servers: every request carries a deadline and reads its whole
 * answer inside it. The readiness checks are in the shape waitUntil expects: a value when ready, a throw (with
 * what was seen) when not yet.
 */

const REQUEST_TIMEOUT_MS = 5_000;
/** MCP servers answer initialize in milliseconds; a short deadline retries sooner after a half-open connect. */
const MCP_TIMEOUT_MS = 2_500;

/**
 * fetch with a deadline held by a *referenced* timer. AbortSignal.timeout's timer is unreferenced, and a fetch
 * stuck on a half-open socket (docker-proxy accepts before the container listens) then let the process exit
 * with an unsettled promise instead of retrying.
 */
export async function fetchWithTimeout(url: string, init: RequestInit = {}, timeoutMs = REQUEST_TIMEOUT_MS, send: typeof fetch = fetch): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await send(url, { ...init, signal: controller.signal });
    // Read the body inside the deadline too; callers get a fully buffered response.
    const body = await response.arrayBuffer();
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  } finally {
    clearTimeout(timer);
  }
}

export async function httpOk(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetchWithTimeout(url, { headers });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  return response;
}

/** A streamable HTTP MCP server is ready when `initialize` succeeds; returns the server's reported name. */
export async function mcpInitialize(url: string, headers: Record<string, string> = {}, timeoutMs = MCP_TIMEOUT_MS): Promise<string> {
  const response = await fetchWithTimeout(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcpgw', version: '0' } },
      }),
    },
    timeoutMs,
  );
  const body = await response.text();
  if (!response.ok) throw new Error(`POST ${url} (initialize) answered HTTP ${response.status}${body ? `: ${body.slice(0, 200)}` : ''}`);
  const message = parseJsonRpc(body);
  const info = (message?.result as { serverInfo?: { name?: string } } | undefined)?.serverInfo;
  if (!info) throw new Error(`POST ${url} (initialize) returned no serverInfo${message?.error ? `: ${JSON.stringify(message.error)}` : ''}`);
  return info.name ?? 'unnamed';
}

/** A JSON-RPC message from a plain JSON body or from the first `data:` line of an SSE body. */
export function parseJsonRpc(body: string): { result?: unknown; error?: unknown } | undefined {
  const text = body.trimStart().startsWith('{') ? body : (/^data:\s*(.+)$/m.exec(body)?.[1] ?? '');
  try {
    return JSON.parse(text) as { result?: unknown; error?: unknown };
  } catch {
    return undefined;
  }
}

export interface JsonAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** A request whose answer is read as JSON when it is JSON, as text otherwise; network errors propagate. */
export async function requestJson(url: string, init: RequestInit, timeoutMs: number, send: typeof fetch = fetch): Promise<JsonAnswer> {
  const response = await fetchWithTimeout(url, init, timeoutMs, send);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page or a plain string): keep the text as evidence.
  }
  return { status: response.status, body, headers: response.headers };
}
