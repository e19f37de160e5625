// A deterministic OpenAI-compatible upstream for the integration tier (no dependencies).
//
// Chat Completions (/v1/chat/completions) and Responses (/v1/responses), streaming or not, and
// /v1/models. When the request offers tools and carries no tool result yet, the "model" calls one
// tool: FIXTURE_TOOL_NAME if set, else the first tool whose name ends with FIXTURE_TOOL_SUFFIX
// (default "echo"), with arguments {<FIXTURE_TOOL_ARG>: "<nonce>"}, where the nonce is the first
// `nonce-…` token of the last user message. Once a tool result comes back (a `tool` message or a
// `function_call_output` item), it answers with finish_reason "stop" and the result verbatim.
//
// Every request is recorded: GET /__requests returns them, DELETE /__requests clears them.
// FIXTURE_API_KEY, when set, is required as `Authorization: Bearer <key>` on /v1/* routes.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const PORT = Number(process.env.PORT ?? 8080);
const TOOL_NAME = process.env.FIXTURE_TOOL_NAME ?? '';
const TOOL_SUFFIX = process.env.FIXTURE_TOOL_SUFFIX ?? 'echo';
const TOOL_ARG = process.env.FIXTURE_TOOL_ARG ?? 'message';
const API_KEY = process.env.FIXTURE_API_KEY ?? '';
const MODEL_IDS = (process.env.FIXTURE_MODELS ?? 'fixture-model').split(',');

const recorded = [];

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function startSse(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** Flattens OpenAI content (a string or an array of parts) to text. */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : (p?.text ?? p?.output ?? '')))
      .join('');
  }
  if (content == null) return '';
  return JSON.stringify(content);
}

function findNonce(text) {
  return /nonce-[A-Za-z0-9_-]+/.exec(text)?.[0] ?? 'no-nonce';
}

function toolNames(tools, shape) {
  if (!Array.isArray(tools)) return [];
  return tools
    .map((t) => (shape === 'chat' ? t?.function?.name : (t?.name ?? t?.function?.name)))
    .filter((n) => typeof n === 'string');
}

function pickTool(names) {
  if (TOOL_NAME) return names.includes(TOOL_NAME) ? TOOL_NAME : undefined;
  return names.find((n) => n.endsWith(TOOL_SUFFIX));
}

const now = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------- chat completions

/** Decides the model's turn for a chat request: {kind:'tool', name, args} or {kind:'text', text}. */
function chatTurn(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUser = -1;
  messages.forEach((m, i) => { if (m?.role === 'user') lastUser = i; });
  const results = messages.slice(lastUser + 1).filter((m) => m?.role === 'tool');
  if (results.length > 0) {
    return { kind: 'text', text: `Tool result: ${results.map((m) => contentText(m.content)).join('\n')}` };
  }
  const userText = lastUser >= 0 ? contentText(messages[lastUser].content) : '';
  const tool = pickTool(toolNames(body.tools, 'chat'));
  if (tool && body.tool_choice !== 'none') {
    return { kind: 'tool', name: tool, args: JSON.stringify({ [TOOL_ARG]: findNonce(userText) }) };
  }
  return { kind: 'text', text: `Fixture reply to: ${userText}` };
}

const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

function chatCompletion(body, res) {
  const turn = chatTurn(body);
  const id = `chatcmpl-${randomUUID()}`;
  const model = body.model ?? MODEL_IDS[0];
  const callId = `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  if (!body.stream) {
    const message = turn.kind === 'tool'
      ? { role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name: turn.name, arguments: turn.args } }] }
      : { role: 'assistant', content: turn.text };
    sendJson(res, 200, {
      id, object: 'chat.completion', created: now(), model,
      choices: [{ index: 0, message, finish_reason: turn.kind === 'tool' ? 'tool_calls' : 'stop', logprobs: null }],
      usage: USAGE,
    });
    return;
  }
  startSse(res);
  const chunk = (delta, finish = null) => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now(), model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  };
  if (turn.kind === 'tool') {
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: turn.name, arguments: '' } }] });
    chunk({ tool_calls: [{ index: 0, function: { arguments: turn.args } }] });
    chunk({}, 'tool_calls');
  } else {
    chunk({ role: 'assistant', content: '' });
    const half = Math.ceil(turn.text.length / 2);
    chunk({ content: turn.text.slice(0, half) });
    chunk({ content: turn.text.slice(half) });
    chunk({}, 'stop');
  }
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now(), model, choices: [], usage: USAGE })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

// ---------------------------------------------------------------- responses

function responsesTurn(body) {
  const items = typeof body.input === 'string'
    ? [{ type: 'message', role: 'user', content: body.input }]
    : (Array.isArray(body.input) ? body.input : []);
  let lastUser = -1;
  items.forEach((it, i) => { if ((it?.type === 'message' || it?.type === undefined) && it?.role === 'user') lastUser = i; });
  const outputs = items.slice(lastUser + 1).filter((it) => it?.type === 'function_call_output');
  if (outputs.length > 0) {
    return { kind: 'text', text: `Tool result: ${outputs.map((o) => contentText(o.output)).join('\n')}` };
  }
  const userText = lastUser >= 0 ? contentText(items[lastUser].content) : '';
  const tool = pickTool(toolNames(body.tools, 'responses'));
  if (tool && body.tool_choice !== 'none') {
    return { kind: 'tool', name: tool, args: JSON.stringify({ [TOOL_ARG]: findNonce(userText) }) };
  }
  return { kind: 'text', text: `Fixture reply to: ${userText}` };
}

function responses(body, res) {
  const turn = responsesTurn(body);
  const id = `resp_${randomUUID().replaceAll('-', '')}`;
  const model = body.model ?? MODEL_IDS[0];
  const item = turn.kind === 'tool'
    ? { type: 'function_call', id: `fc_${randomUUID().replaceAll('-', '')}`, call_id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name: turn.name, arguments: turn.args, status: 'completed' }
    : { type: 'message', id: `msg_${randomUUID().replaceAll('-', '')}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] };
  const usage = { input_tokens: 11, output_tokens: 7, total_tokens: 18, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
  const full = {
    id, object: 'response', created_at: now(), status: 'completed', model, output: [item], usage,
    parallel_tool_calls: true, tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [],
    previous_response_id: body.previous_response_id ?? null, error: null, incomplete_details: null,
  };
  if (!body.stream) {
    sendJson(res, 200, full);
    return;
  }
  startSse(res);
  let seq = 0;
  const event = (type, data) => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  };
  const pending = { ...full, status: 'in_progress', output: [], usage: null };
  event('response.created', { response: pending });
  event('response.in_progress', { response: pending });
  if (item.type === 'function_call') {
    event('response.output_item.added', { output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } });
    event('response.function_call_arguments.delta', { output_index: 0, item_id: item.id, delta: item.arguments });
    event('response.function_call_arguments.done', { output_index: 0, item_id: item.id, arguments: item.arguments });
    event('response.output_item.done', { output_index: 0, item });
  } else {
    const text = item.content[0].text;
    event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    event('response.content_part.added', { output_index: 0, item_id: item.id, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    event('response.output_text.delta', { output_index: 0, item_id: item.id, content_index: 0, delta: text });
    event('response.output_text.done', { output_index: 0, item_id: item.id, content_index: 0, text });
    event('response.content_part.done', { output_index: 0, item_id: item.id, content_index: 0, part: item.content[0] });
    event('response.output_item.done', { output_index: 0, item });
  }
  event('response.completed', { response: full });
  res.end();
}

// ---------------------------------------------------------------- server

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/__requests') {
      if (req.method === 'DELETE') { recorded.length = 0; res.writeHead(204).end(); return; }
      sendJson(res, 200, recorded);
      return;
    }
    if (path === '/health' || path === '/') { sendJson(res, 200, { ok: true }); return; }

    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body = {};
    if (raw) {
      try { body = JSON.parse(raw); } catch { sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } }); return; }
    }
    recorded.push({ method: req.method, path, headers: req.headers, body, at: new Date().toISOString() });

    if (API_KEY && req.headers.authorization !== `Bearer ${API_KEY}`) {
      sendJson(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error', code: 'invalid_api_key' } });
      return;
    }
    const route = path.replace(/^\/v1/, '');
    if (req.method === 'GET' && route === '/models') {
      sendJson(res, 200, { object: 'list', data: MODEL_IDS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fixture' })) });
    } else if (req.method === 'POST' && route === '/chat/completions') {
      chatCompletion(body, res);
    } else if (req.method === 'POST' && route === '/responses') {
      responses(body, res);
    } else {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    }
  } catch (err) {
    sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
  }
});

server.listen(PORT, '0.0.0.0', () => {
  process.stderr.write(`llm-fixture listening on :${PORT} (tool suffix "${TOOL_SUFFIX}")\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
