import { fetchWithTimeout } from '../gateway/http.js';
import { gatewayHeaders } from '../gateway/session.js';
import { REPLICA_HEADER } from '../stack/model.js';
import { fail, pass, warn, type CheckOutcome } from './types.js';

const SESSION_HEADER = 'mcp-session-id';
const PROTOCOL_VERSION = '2025-06-18';
/** Requests each session sends after its initialize, every one of which must reach the replica that opened it. */
const FOLLOW_UPS = 3;

export interface AffinityTarget {
  /** The front door, as clients reach it. */
  baseUrl: string;
  key: string;
  replicas: number;
  timeoutMs: number;
}

const FIX_STICKY =
  'use the front door mcpgw renders (swarm/haproxy.cfg), which sticks a session to its replica: ' +
  'a session continued on another replica loses its upstream sessions (streamable HTTP) or fails with 404 (SSE)';

/** One streamable HTTP session through the front door: which replica answered its initialize, and each follow-up. */
async function streamableSession(target: AffinityTarget, index: number): Promise<{ opened: string; followUps: string[] }> {
  const url = `${target.baseUrl}/mcp/`;
  const headers = { ...gatewayHeaders(target.key), 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = (body: object, session?: string) =>
    fetchWithTimeout(
      url,
      {
        method: 'POST',
        headers: { ...headers, ...(session ? { [SESSION_HEADER]: session, 'mcp-protocol-version': PROTOCOL_VERSION } : {}) },
        body: JSON.stringify(body),
      },
      target.timeoutMs,
    );
  const init = await post({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: `mcpgw-affinity-${index}`, version: '0' } },
  });
  const session = init.headers.get(SESSION_HEADER);
  if (!init.ok || !session) throw new Error(`initialize answered HTTP ${init.status}${session ? '' : ' without a session id'}`);
  const opened = replicaOf(init);
  const followUps: string[] = [];
  try {
    for (let id = 2; id < 2 + FOLLOW_UPS; id++) {
      const answer = await post({ jsonrpc: '2.0', id, method: 'ping' }, session);
      if (!answer.ok) throw new Error(`ping ${id - 1} in the session answered HTTP ${answer.status}`);
      followUps.push(replicaOf(answer));
    }
  } finally {
    await fetchWithTimeout(url, { method: 'DELETE', headers: { ...headers, [SESSION_HEADER]: session } }, target.timeoutMs).catch(() => undefined);
  }
  return { opened, followUps };
}

function replicaOf(response: Response): string {
  const replica = response.headers.get(REPLICA_HEADER);
  if (!replica) throw new Error(`the answer carries no ${REPLICA_HEADER} header: this is not mcpgw's front door`);
  return replica;
}

/**
 * Opens two sessions per replica at once over streamable HTTP and sends each a few follow-ups: every follow-up must
 * land on the replica that opened its session (HAProxy sticks on Mcp-Session-Id), and with several replicas the
 * sessions must not all land on one (the front door balances).
 */
export async function checkStreamableAffinity(target: AffinityTarget): Promise<CheckOutcome> {
  const sessions = await Promise.all(Array.from({ length: Math.max(2, target.replicas * 2) }, (_, index) => streamableSession(target, index)));
  const moved = sessions.filter((session) => session.followUps.some((replica) => replica !== session.opened));
  const spread = new Set(sessions.map((session) => session.opened));
  const evidence = [`${sessions.length} sessions opened on ${[...spread].sort().join(', ')}; ${sessions.length * FOLLOW_UPS} follow-ups`];
  if (moved.length > 0) {
    return fail(
      [...evidence, ...moved.map((session) => `a session opened on ${session.opened} continued on ${session.followUps.join(', ')}`)],
      [{ cause: `${moved.length} of ${sessions.length} sessions were not kept on the replica that opened them`, fix: FIX_STICKY }],
    );
  }
  if (target.replicas > 1 && spread.size === 1) {
    return warn(evidence, [
      {
        cause: `all ${sessions.length} sessions went to one of ${target.replicas} replicas`,
        fix: '`mcpgw status` shows whether the other replicas run; the front door sends new sessions only to replicas its readiness check passes',
      },
    ]);
  }
  return pass(...evidence, 'every follow-up reached the replica that opened its session');
}

/**
 * Legacy SSE: the stream is opened on one replica, and the messages a client posts to the endpoint it announced must
 * reach that replica (LiteLLM keeps the SSE session in the process that opened it; another answers 404).
 */
export async function checkSseAffinity(target: AffinityTarget): Promise<CheckOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no endpoint event within ${target.timeoutMs} ms`)), target.timeoutMs);
  try {
    const stream = await fetch(`${target.baseUrl}/mcp/sse`, {
      headers: { ...gatewayHeaders(target.key), accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (!stream.ok || !stream.body) return fail(`GET /mcp/sse answered HTTP ${stream.status}`);
    const opened = replicaOf(stream);
    const endpoint = await endpointEvent(stream.body.getReader());
    const messages = new URL(endpoint, target.baseUrl).toString();
    const landed: string[] = [];
    for (let id = 1; id <= FOLLOW_UPS; id++) {
      const body =
        id === 1
          ? {
              jsonrpc: '2.0',
              id,
              method: 'initialize',
              params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcpgw-affinity-sse', version: '0' } },
            }
          : { jsonrpc: '2.0', id, method: 'ping' };
      const answer = await fetchWithTimeout(
        messages,
        { method: 'POST', headers: { ...gatewayHeaders(target.key), 'content-type': 'application/json' }, body: JSON.stringify(body) },
        target.timeoutMs,
      );
      if (!answer.ok) {
        return fail(
          `message ${id} to ${new URL(messages).pathname} answered HTTP ${answer.status} (stream on ${opened}, message on ${answer.headers.get(REPLICA_HEADER) ?? '?'})`,
          [{ cause: "the SSE session's messages did not reach the replica holding its stream", fix: FIX_STICKY }],
        );
      }
      landed.push(replicaOf(answer));
    }
    const elsewhere = landed.filter((replica) => replica !== opened);
    if (elsewhere.length > 0) {
      return fail(`stream on ${opened}, messages on ${landed.join(', ')}`, [
        { cause: "the SSE session's messages did not reach the replica holding its stream", fix: FIX_STICKY },
      ]);
    }
    return pass(`stream and its ${landed.length} messages on ${opened}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/**
 * Reads an SSE stream up to its `endpoint` event and returns the event's data (the URL to post messages to). The
 * reader is kept, not released: leaving the stream ends the session on LiteLLM's side (its messages then get 404).
 */
async function endpointEvent(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the SSE stream ended before its endpoint event');
    text += decoder.decode(value, { stream: true });
    for (const event of text.split(/\r?\n\r?\n/).slice(0, -1)) {
      const lines = event.split(/\r?\n/);
      if (!lines.includes('event: endpoint')) continue;
      const data = lines.find((line) => line.startsWith('data:'));
      if (data) return data.slice('data:'.length).trim();
    }
  }
}
