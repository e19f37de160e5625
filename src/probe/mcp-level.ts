import type { ServerTarget } from './diagnose.js';
import { McpRequestError, openSession, type GatewayTransport, type ListedTool, type McpSession, type SessionEnds } from '../gateway/session.js';
import { explainMcpFailure } from '../gateway/mcp-failure.js';
import { callProves, probeCallFor, serverOfTool, type ProbeCall } from './probe-tool.js';
import { fail, pass, skip, warn, type Cause, type CheckOutcome } from './types.js';

export interface McpLevelContext {
  baseUrl: string;
  key: string;
  timeoutMs: number;
  nonce: () => string;
  /** Why a server lists no tools through the gateway (container state, transport, path). */
  diagnose: (server: ServerTarget) => Promise<Cause[]>;
  /** Where sessions end in the background; without it each check waits for its session's end. */
  ends?: SessionEnds;
}

/** A server's tool that executed through the gateway with the nonce: the LLM level asks the model to call it. */
export interface ProvenTool {
  server: string;
  call: ProbeCall;
  /** The nonce inside call.arguments, replaced by a fresh one on every reuse. */
  nonce: string;
}

export async function withSession<T>(
  url: string,
  key: string,
  transport: GatewayTransport,
  timeoutMs: number,
  work: (session: McpSession) => Promise<T>,
  ends?: SessionEnds,
): Promise<T> {
  const session = await openSession(url, key, transport, timeoutMs, ends);
  try {
    return await work(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

function countByServer(tools: ListedTool[]): string {
  const counts = new Map<string, number>();
  for (const tool of tools) counts.set(serverOfTool(tool.name), (counts.get(serverOfTool(tool.name)) ?? 0) + 1);
  return [...counts].map(([server, count]) => `${server} (${count})`).join(', ');
}

function refused(error: unknown, what: string): CheckOutcome {
  const { detail, cause, fix } = explainMcpFailure(error);
  return fail(`${what}: ${detail}`, [{ cause, fix }]);
}

/** /mcp/ as a client holds it: the session, and the tools it listed for every granted server. */
export interface AggregateSession {
  outcome: CheckOutcome;
  /** Open while the per-server checks call tools in it; absent when /mcp/ could not be listed. */
  session?: McpSession;
  tools: ListedTool[];
  close(): Promise<void>;
}

/**
 * /mcp/ over streamable HTTP, as Claude Code, Gemini CLI, Codex and VS Code connect: one session lists every
 * granted server's tools. It stays open for checkServer, which calls each listed server's tool in it.
 */
export async function openAggregate(ctx: McpLevelContext): Promise<AggregateSession> {
  let session: McpSession | undefined;
  const close = async () => void (await session?.close().catch(() => undefined));
  try {
    session = await openSession(`${ctx.baseUrl}/mcp/`, ctx.key, 'http', ctx.timeoutMs, ctx.ends);
    const tools = await session.listTools();
    const seen = `POST /mcp/ initialize → ${session.serverName}; tools/list → ${tools.length} tools`;
    if (tools.length === 0) {
      return {
        outcome: fail(seen, [
          { cause: 'the key sees no tools at all: it has no MCP grant, or every granted server is down', fix: 'see the per-server steps below' },
        ]),
        tools,
        session,
        close,
      };
    }
    return { outcome: pass(seen, `by server: ${countByServer(tools)}`), tools, session, close };
  } catch (error) {
    await close();
    session = undefined;
    if (error instanceof McpRequestError && error.status === 403) {
      return {
        outcome: fail(`POST /mcp/ → 403 ${error.message}`, [
          {
            cause: 'the key has no MCP grant at all',
            fix: "grant servers in the key's mcp_servers and run `mcpgw keys sync` (or `mcpgw keys create --mcp S`)",
          },
        ]),
        tools: [],
        close,
      };
    }
    return { outcome: refused(error, 'POST /mcp/'), tools: [], close };
  }
}

/** /mcp/ once, every granted server's tools listed (for doctor, which checks servers on their own routes). */
export async function checkAggregate(ctx: McpLevelContext): Promise<CheckOutcome> {
  const aggregate = await openAggregate(ctx);
  await aggregate.close();
  return aggregate.outcome;
}

/**
 * A server's tools execute through the gateway: called in the /mcp/ session when that listed them (what clients
 * do), else on its own route /mcp/<server>, which names why /mcp/ left it out (LiteLLM drops a server from /mcp/
 * whose listing fails or runs past 30 s without saying so).
 */
export async function checkServer(
  ctx: McpLevelContext,
  server: ServerTarget,
  keyGrantsAll: boolean,
  aggregate?: AggregateSession,
): Promise<{ outcome: CheckOutcome; proven?: ProvenTool }> {
  const listed = aggregate?.tools.filter((tool) => serverOfTool(tool.name) === server.name) ?? [];
  if (aggregate?.session && listed.length > 0) {
    try {
      return await proveTools(ctx, aggregate.session, server, listed, `POST /mcp/ tools/list → ${listed.length} tools from ${server.name}`);
    } catch (error) {
      return { outcome: refused(error, `tools/call through /mcp/ for ${server.name}`) };
    }
  }
  const path = `/mcp/${server.name}`;
  try {
    return await withSession(
      `${ctx.baseUrl}${path}`,
      ctx.key,
      'http',
      ctx.timeoutMs,
      async (session) => {
        const tools = (await session.listTools()).filter((tool) => serverOfTool(tool.name) === server.name);
        if (tools.length === 0) return { outcome: fail(`POST ${path} tools/list → 0 tools`, await ctx.diagnose(server)) };
        return proveTools(ctx, session, server, tools, `POST ${path} tools/list → ${tools.length} tools`);
      },
      ctx.ends,
    );
  } catch (error) {
    if (error instanceof McpRequestError && error.status === 403) {
      if (!keyGrantsAll) return { outcome: skip(`POST ${path} → 403: this key is not granted ${server.name}`) };
      return {
        outcome: fail(`POST ${path} → 403 ${error.message}`, [
          { cause: `the probe key is not granted ${server.name}`, fix: 'run `mcpgw keys sync`; check the server name in LiteLLM (`/v1/mcp/server`)' },
        ]),
      };
    }
    return { outcome: refused(error, `POST ${path}`) };
  }
}

/** A safe tool of the listed ones is called with a fresh nonce in `session`, which must come back. */
async function proveTools(
  ctx: McpLevelContext,
  session: McpSession,
  server: ServerTarget,
  tools: ListedTool[],
  listed: string,
): Promise<{ outcome: CheckOutcome; proven?: ProvenTool }> {
  const nonce = ctx.nonce();
  const call = probeCallFor(server.name, tools, nonce, server.declaredProbe);
  if (!call) {
    const why = server.declaredProbe ? `the declared probe tool ${server.declaredProbe.tool} is not listed` : 'no echo tool to call safely';
    return {
      outcome: warn(
        [listed, `tools/call not tried: ${why}`],
        [
          {
            cause: 'a listed tool is not proven to execute',
            fix: `declare a safe read-only tool under mcp_servers.${server.name}.probe (tool, arguments with "{nonce}")`,
          },
        ],
      ),
    };
  }
  const result = await session.callTool(call.gatewayName, call.arguments);
  const called = `tools/call ${call.gatewayName} → ${result.isError ? 'error' : 'ok'}: ${result.text.slice(0, 120)}`;
  if (!callProves(call, result, nonce)) return { outcome: fail([listed, called], [unprovenCause(call, result.isError, server.name)]) };
  return {
    outcome: pass(listed, `${called}${call.expectsError !== undefined ? ' (the refusal declared)' : call.expectsNonce ? ' (nonce returned)' : ''}`),
    // A refusal proves the server, but is no call a model could be asked to make and get an answer from.
    ...(call.expectsNonce && call.expectsError === undefined ? { proven: { server: server.name, call, nonce } } : {}),
  };
}

/** Why a tool call through the gateway did not prove its server: an unexpected error, a missing refusal, or no nonce. */
function unprovenCause(call: ProbeCall, isError: boolean, server: string): Cause {
  if (call.expectsError !== undefined)
    return {
      cause: `tools listed but not proven to execute: the declared probe expects the tool's own error containing "${call.expectsError}"`,
      fix: `\`mcpgw logs mcp-${server}\`; check mcp_servers.${server}.probe`,
    };
  if (isError)
    return {
      cause: 'tools listed but not executable: the call through the gateway returned an error',
      fix: `\`mcpgw logs mcp-${server}\` and \`mcpgw logs litellm\``,
    };
  return { cause: 'tools listed but not executable: the result does not carry the nonce the call sent', fix: `check mcp_servers.${server}.probe` };
}

/**
 * The SSE endpoint older clients use (/mcp/sse), in a session of its own: initialize, list, and a nonce call of
 * the first server (mcpgw.yaml order) with a safe tool in that listing. It needs nothing from the /mcp/ steps,
 * so the probe runs it alongside them.
 */
export async function checkSse(ctx: McpLevelContext, servers: ServerTarget[]): Promise<CheckOutcome> {
  try {
    return await withSession(
      `${ctx.baseUrl}/mcp/sse`,
      ctx.key,
      'sse',
      ctx.timeoutMs,
      async (session) => {
        const tools = await session.listTools();
        const listed = `GET /mcp/sse initialize → ${session.serverName}; tools/list → ${tools.length} tools`;
        if (tools.length === 0) return fail(listed, [{ cause: 'the key sees no tools over SSE', fix: 'see the streamable HTTP steps above' }]);
        const nonce = ctx.nonce();
        const call = servers.map((server) => probeCallFor(server.name, tools, nonce, server.declaredProbe)).find((candidate) => candidate?.expectsNonce);
        if (!call) return pass(listed);
        const result = await session.callTool(call.gatewayName, call.arguments);
        const called = `tools/call ${call.gatewayName} over SSE → ${result.text.slice(0, 120)}`;
        if (!callProves(call, result, nonce)) {
          return fail(
            [listed, called],
            [
              {
                cause: 'a tool LiteLLM lists over SSE does not execute there (an error, or a result without the nonce the call sent)',
                fix: "`mcpgw logs litellm`; compare with the same server's streamable HTTP step above; point SSE clients at http://<host>:<port>/mcp/sse",
              },
            ],
          );
        }
        return pass(listed, `${called} (nonce returned)`);
      },
      ctx.ends,
    );
  } catch (error) {
    return refused(error, 'GET /mcp/sse');
  }
}
