// A bounded load of real MCP traffic through a gateway: each worker opens a streamable HTTP session, calls a tool
// with a nonce that must come back, and ends the session, over and over, until told to stop or its bounds are hit.
// Every request that fails (a status other than 2xx, a network error, a wrong answer) is counted with its reason
// and the replica that gave it (the front door's x-mcpgw-replica header).

export interface LoadOptions {
  /** The gateway, e.g. http://10.0.0.11:4000. */
  baseUrl: string;
  key: string;
  /** A tool that echoes its `message` argument, e.g. alpha-echo. */
  tool: string;
  workers: number;
  /** Hard bounds: the loop ends at whichever comes first (or at stop()). */
  maxSessions: number;
  maxMs: number;
  requestTimeoutMs?: number;
}

export interface LoadReport {
  sessions: number;
  requests: number;
  failed: number;
  failures: string[];
  /** Sessions opened on each replica. */
  replicas: Record<string, number>;
  ms: number;
}

export interface RunningLoad {
  stop(): Promise<LoadReport>;
  done: Promise<LoadReport>;
}

const PROTOCOL = '2025-06-18';

export function startLoad(options: LoadOptions): RunningLoad {
  const started = Date.now();
  const report: LoadReport = { sessions: 0, requests: 0, failed: 0, failures: [], replicas: {}, ms: 0 };
  let stopping = false;
  let counter = 0;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const headers = {
    'x-litellm-api-key': `Bearer ${options.key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const request = async (what: string, init: RequestInit, session?: string): Promise<Response | undefined> => {
    report.requests++;
    try {
      const response = await fetch(`${options.baseUrl}/mcp/`, {
        ...init,
        headers: { ...headers, ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const replica = response.headers.get('x-mcpgw-replica') ?? '?';
      if (!response.ok) {
        report.failed++;
        report.failures.push(`${what}: HTTP ${response.status} from ${replica}: ${(await response.text()).slice(0, 200)}`);
        return undefined;
      }
      return response;
    } catch (error) {
      report.failed++;
      report.failures.push(`${what}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const worker = async (id: number) => {
    while (!stopping && report.sessions < options.maxSessions && Date.now() - started < options.maxMs) {
      const n = ++counter;
      report.sessions++;
      const init = await request('initialize', {
        method: 'POST',
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: `load-${id}`, version: '0' } },
        }),
      });
      if (!init) continue;
      const session = init.headers.get('mcp-session-id') ?? undefined;
      await init.text();
      const replica = init.headers.get('x-mcpgw-replica') ?? '?';
      report.replicas[replica] = (report.replicas[replica] ?? 0) + 1;
      const nonce = `load-${n}-${Math.random().toString(36).slice(2)}`;
      const call = await request(
        'tools/call',
        {
          method: 'POST',
          body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: options.tool, arguments: { message: nonce } } }),
        },
        session,
      );
      if (call) {
        const text = await call.text();
        if (!text.includes(nonce) || /"isError"\s*:\s*true/.test(text)) {
          report.failed++;
          report.failures.push(`tools/call on ${call.headers.get('x-mcpgw-replica') ?? '?'}: the nonce did not come back: ${text.slice(0, 200)}`);
        }
      }
      if (session) {
        const end = await request('DELETE', { method: 'DELETE' }, session);
        await end?.text();
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, (_, id) => worker(id))).then(() => ({ ...report, ms: Date.now() - started }));
  return {
    done,
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}
