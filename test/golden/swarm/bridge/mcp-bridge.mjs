#!/usr/bin/env node
// mcpgw's stdio bridge (rendered by mcpgw; edit mcpgw.yaml, not this file).
//
// Serves one long-lived stdio MCP server as streamable HTTP at --path, for any number of client sessions.
// LiteLLM opens an MCP session per request and keeps others open for up to 30 minutes, so a process per
// request (supergateway's stateless mode) costs a process start on every call and a process per session
// (its stateful mode) one per session. Here the command runs once: the bridge initializes it itself, answers
// every session's initialize from that, and forwards requests with their ids rewritten to ids unique across
// sessions, so each reply goes back to exactly the HTTP request that asked (no cross-talk, unlike an SSE
// bridge that sends every reply to every session). Sessions are map entries, not processes.
//
// Usage: node mcp-bridge.mjs --port N [--path /mcp] [--session-idle-ms MS] -- COMMAND [ARG...]
// Node's standard library only: it runs on whatever node the server's image has.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const PROTOCOL_VERSION = '2025-06-18';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_SESSIONS = 10_000;
const START_TIMEOUT_MS = 60_000;

function parseArgs(argv) {
  const split = argv.indexOf('--');
  if (split < 0 || split === argv.length - 1) throw new Error('usage: mcp-bridge.mjs --port N [--path /mcp] [--session-idle-ms MS] -- COMMAND [ARG...]');
  const options = { port: 8000, path: '/mcp', sessionIdleMs: 30 * 60_000, command: argv.slice(split + 1) };
  const flags = argv.slice(0, split);
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i], flags[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--port') options.port = Number(value);
    else if (flag === '--path') options.path = value;
    else if (flag === '--session-idle-ms') options.sessionIdleMs = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const log = (message) => process.stderr.write(`mcp-bridge: ${message}\n`);

/** The one stdio process, started on the first request and again after it exits. */
class Child {
  #process;
  #ready;
  #buffer = '';
  #nextId = 1;
  /** Child request id → the waiter for its reply. */
  #pending = new Map();
  /** Rewritten progress token → the session request it belongs to. */
  #progress = new Map();

  /** The server's initialize result, once the process has answered it. */
  ready() {
    this.#ready ??= this.#start().catch((error) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  get pid() {
    return this.#process?.pid;
  }

  #start() {
    const [file, ...args] = options.command;
    // Its own process group, so stopping it also stops what it starts (npx → node, uvx → python).
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    this.#process = child;
    this.#buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => this.#read(chunk));
    child.stdin.on('error', (error) => log(`stdin: ${error.message}`));
    const exited = new Promise((resolve) => {
      child.once('error', (error) => resolve(`could not start ${file}: ${error.message}`));
      child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
    });
    exited.then((why) => {
      if (this.#process !== child) return;
      log(`${options.command.join(' ')} ${why}`);
      this.#process = undefined;
      this.#ready = undefined;
      for (const waiter of this.#pending.values()) waiter.fail(`the MCP server process ${why}`);
      this.#pending.clear();
      this.#progress.clear();
    });
    log(`started ${options.command.join(' ')} (pid ${child.pid})`);
    const initialize = this.request({ method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcpgw-bridge', version: '1' } } }).reply;
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the MCP server did not answer initialize within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    return Promise.race([initialize, deadline, exited.then((why) => Promise.reject(new Error(`the MCP server process ${why} before answering initialize`)))])
      .then((reply) => {
        if (reply.error) throw new Error(`the MCP server refused initialize: ${reply.error.message}`);
        this.#write({ jsonrpc: '2.0', method: 'notifications/initialized' });
        return reply.result;
      })
      .catch((error) => {
        this.stop();
        throw error;
      })
      .finally(() => clearTimeout(timer));
  }

  /** Sends a request under a fresh id; resolves with the reply (its id restored by the caller). */
  request(message, onProgress) {
    const id = this.#nextId++;
    const outgoing = { ...message, jsonrpc: '2.0', id };
    let token;
    const progressToken = message.params?._meta?.progressToken;
    if (progressToken !== undefined && onProgress) {
      token = `p${id}`;
      this.#progress.set(token, { original: progressToken, onProgress });
      outgoing.params = { ...message.params, _meta: { ...message.params._meta, progressToken: token } };
    }
    return {
      id,
      reply: new Promise((resolve) => {
        this.#pending.set(id, {
          token,
          resolve: (reply) => {
            if (token) this.#progress.delete(token);
            resolve(reply);
          },
          fail: (why) => resolve({ jsonrpc: '2.0', id, error: { code: -32603, message: why } }),
        });
        this.#write(outgoing);
      }),
    };
  }

  /** Gives up on a request whose HTTP request was closed: its reply, should it come, goes nowhere. */
  forget(id, why) {
    const waiter = this.#pending.get(id);
    if (!waiter) return;
    this.#pending.delete(id);
    if (waiter.token) this.#progress.delete(waiter.token);
    waiter.fail(why);
  }

  notify(message) {
    this.#write(message);
  }

  stop() {
    const child = this.#process;
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  }

  #write(message) {
    this.#process?.stdin.write(`${JSON.stringify(message)}\n`);
  }

  #read(chunk) {
    this.#buffer += chunk;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        log(`not JSON on the server's stdout: ${line.slice(0, 200)}`);
        continue;
      }
      this.#route(message);
    }
  }

  #route(message) {
    const isRequest = message.method !== undefined && message.id !== undefined;
    if (isRequest) {
      // The bridge declared no client capabilities (sampling, roots, elicitation), so ping is all it answers.
      this.#write(message.method === 'ping'
        ? { jsonrpc: '2.0', id: message.id, result: {} }
        : { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `${message.method} is not offered by mcpgw's bridge` } });
      return;
    }
    if (message.method === 'notifications/progress') {
      const entry = this.#progress.get(message.params?.progressToken);
      if (entry) entry.onProgress({ ...message, params: { ...message.params, progressToken: entry.original } });
      return;
    }
    if (message.method !== undefined) return; // other notifications have no single session to go to
    const waiter = this.#pending.get(message.id);
    if (!waiter) return;
    this.#pending.delete(message.id);
    waiter.resolve(message);
  }
}

const child = new Child();
/** Session id → its last use and its requests in flight (client id → child id); a session holds no process. */
const sessions = new Map();

/** The session, moved to the end of the map (oldest first, so the cap evicts the least recently used). */
function touch(id) {
  const session = sessions.get(id) ?? { seen: 0, inFlight: new Map() };
  sessions.delete(id);
  session.seen = Date.now();
  sessions.set(id, session);
  return session;
}

setInterval(() => {
  const oldest = Date.now() - options.sessionIdleMs;
  for (const [id, session] of sessions) if (session.seen < oldest && session.inFlight.size === 0) sessions.delete(id);
}, Math.min(60_000, options.sessionIdleMs)).unref();

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const rpcError = (code, message, id = null) => ({ jsonrpc: '2.0', id, error: { code, message } });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One client message: a reply for a request, nothing for a notification or a client's response. */
async function handle(message, session, res, stream) {
  if (typeof message !== 'object' || message === null || message.jsonrpc !== '2.0') return rpcError(-32600, 'Invalid Request');
  const isRequest = message.method !== undefined && message.id !== undefined;
  if (!isRequest) {
    if (message.method === 'notifications/cancelled') {
      const target = session.inFlight.get(message.params?.requestId);
      if (target !== undefined) child.notify({ ...message, params: { ...message.params, requestId: target } });
    }
    // notifications/initialized is the bridge's own business with the server; client responses have no
    // server request to answer (the bridge answers those itself).
    return undefined;
  }
  if (message.method === 'initialize') {
    const result = await child.ready();
    return { jsonrpc: '2.0', id: message.id, result };
  }
  if (message.method === 'ping') return { jsonrpc: '2.0', id: message.id, result: {} };
  await child.ready();
  const { id, reply } = child.request(message, (progress) => stream(progress));
  session.inFlight.set(message.id, id);
  const abandon = () => {
    const reason = 'the HTTP request was closed';
    child.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    child.forget(id, reason);
  };
  res.once('close', () => {
    if (!res.writableFinished) abandon();
  });
  const answer = await reply;
  session.inFlight.delete(message.id);
  return { ...answer, id: message.id };
}

async function onPost(req, res) {
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendJson(res, 400, rpcError(-32700, 'Parse error'));
  }
  const messages = Array.isArray(body) ? body : [body];
  const headerId = req.headers['mcp-session-id'];
  const initializing = messages.some((message) => message?.method === 'initialize');
  let sessionId = typeof headerId === 'string' ? headerId : undefined;
  if (sessionId !== undefined && !sessions.has(sessionId)) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
  if (sessionId === undefined) {
    if (!initializing) return sendJson(res, 400, rpcError(-32000, 'Bad Request: No valid session ID provided'));
    sessionId = randomUUID();
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value);
  }
  const session = touch(sessionId);
  const headers = { 'mcp-session-id': sessionId };
  const requests = messages.filter((message) => message?.method !== undefined && message?.id !== undefined);
  let streaming = false;
  const stream = (message) => {
    if (!streaming) {
      streaming = true;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    }
    res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  };
  let replies;
  try {
    replies = (await Promise.all(messages.map((message) => handle(message, session, res, stream)))).filter(Boolean);
  } catch (error) {
    log(error.message);
    replies = requests.map((request) => rpcError(-32603, error.message, request.id));
    if (replies.length === 0 && !streaming) return sendJson(res, 500, rpcError(-32603, error.message), headers);
  }
  if (initializing && replies.some((reply) => reply.error)) sessions.delete(sessionId);
  if (res.destroyed) return;
  if (streaming) {
    for (const reply of replies) res.write(`event: message\ndata: ${JSON.stringify(reply)}\n\n`);
    return res.end();
  }
  if (requests.length === 0) {
    res.writeHead(202, headers);
    return res.end();
  }
  sendJson(res, 200, Array.isArray(body) ? replies : replies[0], headers);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bridge');
  if (url.pathname !== options.path) return sendJson(res, 404, rpcError(-32000, `not found; the MCP endpoint is ${options.path}`));
  if (req.method === 'POST') {
    onPost(req, res).catch((error) => {
      log(`request failed: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'bridge error'));
      else res.end();
    });
    return;
  }
  if (req.method === 'DELETE') {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string' || !sessions.delete(id)) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
    res.writeHead(200);
    return res.end();
  }
  // No standalone GET stream: server notifications without a request have no one session to go to.
  res.writeHead(405, { allow: 'POST, DELETE' });
  res.end();
});

server.listen(options.port, () => log(`serving ${options.command.join(' ')} as streamable HTTP on :${options.port}${options.path}`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    child.stop();
    server.close();
    setTimeout(() => process.exit(0), 200).unref();
  });
}
