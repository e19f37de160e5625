// A deterministic upstream model for the integration tier (no dependencies), speaking the three APIs LiteLLM
// calls: OpenAI Chat Completions (/v1/chat/completions), OpenAI Responses (/v1/responses) and Anthropic Messages
// (/v1/messages), streaming or not, plus /v1/models.
//
// It behaves like the real APIs where LiteLLM's MCP auto-execution depends on it:
// - tool_choice is honoured on every turn. Forced (`required`, Anthropic `any`, a named tool, an `mcp` server,
//   `allowed_tools` in mode required) → it calls a tool even when a tool result is already there; `auto` (the
//   default) → it calls a tool only while the instruction asks for one that has not been answered yet, else it
//   answers text that quotes the tool results verbatim ("Tool result: …", finish `stop` / `end_turn`); `none` →
//   text. A named tool that is not offered, or a forced choice without tools, is a 400 as on the real APIs.
// - the instruction (the last user message) says which tool and which arguments:
//   `Call the tool NAME with ARG set to "VALUE" and ARG2 set to 3` (several calls may follow each other; values
//   are JSON literals). `the NAME tool` and a bare `call server-tool` work too; a NAME matches an offered tool
//   exactly or as its `<server>-NAME` suffix. Without `set to` pairs, a `nonce-…` token (else the text after
//   the first colon) goes into the tool's first required string argument. An instruction that names no tool
//   still calls one whose name (or `-suffix`) is a word of it ("Echo this back: nonce-1" → `alpha-echo`). An
//   instruction naming a tool that is not offered gets a text answer saying so.
// - several unanswered calls are made in one turn unless parallel calls are off (`parallel_tool_calls: false`,
//   Anthropic `disable_parallel_tool_use`).
//
// Every request is recorded: GET /__requests returns them, DELETE /__requests clears them.
// FIXTURE_API_KEY, when set, is required as `Authorization: Bearer <key>` on the OpenAI routes and as
// `x-api-key: <key>` on /v1/messages (with the `anthropic-version` header Anthropic requires).
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const PORT = Number(process.env.PORT ?? 8080);
const API_KEY = process.env.FIXTURE_API_KEY ?? '';
const MODEL_IDS = (process.env.FIXTURE_MODELS ?? 'fixture-model').split(',');

const recorded = [];
/** Responses by id, so a request chaining on previous_response_id sees the conversation the real API keeps. */
const storedResponses = new Map();

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

const now = () => Math.floor(Date.now() / 1000);
const hexId = (length = 24) => randomUUID().replaceAll('-', '').slice(0, length);

/** Flattens message content (a string or an array of parts or blocks) to text. */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : typeof p?.output === 'string' ? p.output : contentText(p?.content)))
      .join('');
  }
  if (content == null) return '';
  return JSON.stringify(content);
}

function _parseArgs(text) {
  if (typeof text !== 'string' || text === '') return {};
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------- the model

/**
 * The model's view of a request, whichever API it came in by:
 * instruction: the last user message's text; tools: [{name, schema}] offered; done: names of the tool calls
 * answered since that message; results: their results, in order; choice: {mode: auto|none|required|tool,
 * name?, allowed?}; parallel: whether several calls may go in one turn.
 */

const MENTION = new RegExp(
  [
    String.raw`\b(?:call|use|run|invoke)\s+(?:the\s+)?tool\s+[\x60"']?([A-Za-z0-9_][\w.:/-]*)[\x60"']?`, // call the tool NAME
    String.raw`\b(?:call|use|run|invoke)\s+the\s+[\x60"']?([A-Za-z0-9_][\w.:/-]*)[\x60"']?\s+tool\b`, // call the NAME tool
    String.raw`\b(?:call|use|run|invoke)\s+[\x60"']?([A-Za-z0-9][\w.]*[-_][\w.-]*[A-Za-z0-9])[\x60"']?`, // call server-tool
  ].join('|'),
  'gi',
);
const PAIR = /([A-Za-z_][\w.-]*)\s+set\s+to\s+("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?!\w)|true\b|false\b|null\b)/g;

/** An offered tool for a name the user wrote: the exact name, else the one tool named `<server>-NAME`. */
function resolveTool(name, tools) {
  const exact = tools.find((tool) => tool.name === name);
  if (exact) return exact;
  const suffixed = tools.filter((tool) => tool.name.endsWith(`-${name}`));
  return suffixed.length === 1 ? suffixed[0] : undefined;
}

/** The argument a bare value goes into: the first required string property, else the first string property. */
function defaultArgument(schema) {
  const properties = schema?.properties && typeof schema.properties === 'object' ? schema.properties : {};
  const names = Object.keys(properties);
  const required = Array.isArray(schema?.required) ? schema.required : [];
  const isString = (name) => properties[name]?.type === 'string';
  return required.find(isString) ?? names.find(isString) ?? required[0] ?? names[0] ?? 'message';
}

function argumentsFrom(clause, tool) {
  const args = {};
  for (const [, name, literal] of clause.matchAll(PAIR)) args[name] = JSON.parse(literal);
  if (Object.keys(args).length > 0) return args;
  const value = /nonce-[A-Za-z0-9_-]+/.exec(clause)?.[0] ?? clause.split(':').slice(1).join(':').trim();
  return value ? { [defaultArgument(tool.schema)]: value } : {};
}

/** What the instruction asks for: the calls it names (in order) and the names it gives that no offered tool has. */
function planCalls(instruction, tools) {
  const mentions = [...instruction.matchAll(MENTION)].map((match) => ({
    name: match[1] ?? match[2] ?? match[3],
    explicit: match[3] === undefined,
    start: match.index,
    end: match.index + match[0].length,
  }));
  const calls = [];
  const missing = [];
  mentions.forEach((mention, index) => {
    const tool = resolveTool(mention.name, tools);
    if (!tool) {
      if (mention.explicit) missing.push(mention.name);
      return;
    }
    const clause = instruction.slice(mention.end, mentions[index + 1]?.start ?? instruction.length);
    calls.push({ name: tool.name, args: argumentsFrom(clause, tool) });
  });
  if (calls.length > 0 || missing.length > 0) return { calls, missing };
  // No tool named: the one whose name, or its part after the server's "-", is a word of the instruction.
  const words = new Set(instruction.toLowerCase().split(/[^a-z0-9_]+/));
  const implied = tools.find((tool) => words.has(tool.name.toLowerCase()) || words.has(tool.name.toLowerCase().split('-').pop()));
  return { calls: implied ? [{ name: implied.name, args: argumentsFrom(instruction, implied) }] : [], missing };
}

/** The model's turn: {kind:'tools', calls:[{name,args}]}, {kind:'text', text} or {kind:'error', message}. */
function decide(view) {
  const { instruction, tools, done, results, choice, parallel } = view;
  const names = tools.map((tool) => tool.name);
  if (choice.mode === 'invalid') return { kind: 'error', message: choice.message };
  const forcing = choice.mode === 'required' || choice.mode === 'tool';
  if (forcing && tools.length === 0) return { kind: 'error', message: `tool_choice ${JSON.stringify(choice.raw)} needs tools, and the request offers none` };
  if (choice.mode === 'tool' && !names.includes(choice.name)) {
    return { kind: 'error', message: `tool_choice names the tool "${choice.name}", which is not in tools (${names.join(', ')})` };
  }
  const allowed = choice.mode === 'tool' ? [choice.name] : (choice.allowed ?? names).filter((name) => names.includes(name));
  if (forcing && allowed.length === 0)
    return { kind: 'error', message: `tool_choice ${JSON.stringify(choice.raw)} selects none of the tools offered (${names.join(', ')})` };

  const plan = planCalls(instruction, tools);
  const answer = () => {
    const parts = [];
    if (results.length > 0) parts.push(`Tool result: ${results.join('\n')}`);
    if (plan.missing.length > 0) parts.push(`I cannot call ${plan.missing.join(', ')}: no such tool is offered (offered: ${names.join(', ') || 'none'}).`);
    return { kind: 'text', text: parts.join('\n') || `Fixture reply to: ${instruction}` };
  };
  if (choice.mode === 'none') return answer();

  // A requested call is answered once a call to that tool came back with a result (each result counts once).
  const answered = [...done];
  const pending = plan.calls.filter((call) => {
    const at = answered.indexOf(call.name);
    if (at >= 0) answered.splice(at, 1);
    return at < 0;
  });
  const permitted = (calls) => calls.filter((call) => allowed.includes(call.name));
  const turn = (calls) => ({ kind: 'tools', calls: parallel ? calls : calls.slice(0, 1) });
  if (!forcing) return permitted(pending).length > 0 ? turn(permitted(pending)) : answer();
  // Forced: a tool call on every turn, answered or not — the instruction's next calls, else its first call
  // again, else the first permitted tool without arguments.
  if (permitted(pending).length > 0) return turn(permitted(pending));
  const again = permitted(plan.calls).slice(0, 1);
  return turn(again.length > 0 ? again : [{ name: allowed[0], args: {} }]);
}

/** The conversation since the last instruction: which calls came back answered, and their results. */
function answeredCalls(calls, outputs) {
  const byId = new Map(calls.map((call) => [call.id, call.name]));
  return {
    done: outputs.map((output) => byId.get(output.id)).filter((name) => name !== undefined),
    results: outputs.map((output) => output.text),
  };
}

// ---------------------------------------------------------------- tool_choice, per API

const AUTO = { mode: 'auto' };
const invalid = (raw) => ({ mode: 'invalid', message: `invalid tool_choice ${JSON.stringify(raw)}` });

function openAiChoice(raw, names) {
  if (raw === undefined || raw === null || raw === 'auto') return AUTO;
  if (raw === 'none' || raw === 'required') return { mode: raw, raw };
  if (raw?.type === 'function' && typeof raw.function?.name === 'string') return { mode: 'tool', name: raw.function.name, raw };
  if (raw?.type === 'custom' && typeof raw.custom?.name === 'string') return { mode: 'tool', name: raw.custom.name, raw };
  if (raw?.type === 'allowed_tools' && raw.allowed_tools) return allowedTools(raw, raw.allowed_tools.mode, raw.allowed_tools.tools, names);
  return invalid(raw);
}

function responsesChoice(raw, names) {
  if (raw === undefined || raw === null || raw === 'auto') return AUTO;
  if (raw === 'none' || raw === 'required') return { mode: raw, raw };
  if ((raw?.type === 'function' || raw?.type === 'custom') && typeof raw.name === 'string') return { mode: 'tool', name: raw.name, raw };
  if (raw?.type === 'mcp' && typeof raw.server_label === 'string') {
    const allowed = serverTools(raw, names);
    return typeof raw.name === 'string' ? { mode: 'tool', name: allowed[0] ?? raw.name, raw } : { mode: 'required', allowed, raw };
  }
  if (raw?.type === 'allowed_tools') return allowedTools(raw, raw.mode, raw.tools, names);
  return invalid(raw);
}

/** The offered tools an `mcp` entry selects: `<server_label>-<name>`, or every tool of that server. */
function serverTools(entry, names) {
  return names.filter((name) =>
    typeof entry.name === 'string' ? name === `${entry.server_label}-${entry.name}` || name === entry.name : name.startsWith(`${entry.server_label}-`),
  );
}

function allowedTools(raw, mode, entries, names) {
  if ((mode !== 'auto' && mode !== 'required') || !Array.isArray(entries) || entries.length === 0) return invalid(raw);
  const allowed = entries.flatMap((entry) => {
    if (entry?.type === 'mcp') return serverTools(entry, names);
    const name = entry?.name ?? entry?.function?.name ?? entry?.custom?.name;
    return typeof name === 'string' ? [name] : [];
  });
  return { mode, allowed, raw };
}

function anthropicChoice(raw) {
  if (raw === undefined || raw === null) return AUTO;
  if (raw?.type === 'auto') return AUTO;
  if (raw?.type === 'none') return { mode: 'none', raw };
  if (raw?.type === 'any') return { mode: 'required', raw };
  if (raw?.type === 'tool' && typeof raw.name === 'string') return { mode: 'tool', name: raw.name, raw };
  return invalid(raw);
}

// ---------------------------------------------------------------- chat completions

function chatView(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m?.role === 'user') lastUser = i;
  });
  const since = messages.slice(lastUser + 1);
  const calls = since
    .flatMap((m) => (m?.role === 'assistant' && Array.isArray(m.tool_calls) ? m.tool_calls : []))
    .map((c) => ({ id: c?.id, name: c?.function?.name }));
  const outputs = since.filter((m) => m?.role === 'tool').map((m) => ({ id: m.tool_call_id, text: contentText(m.content) }));
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .map((t) => (t?.type === 'custom' ? { name: t.custom?.name } : { name: t?.function?.name, schema: t?.function?.parameters }))
    .filter((t) => typeof t.name === 'string');
  return {
    instruction: lastUser >= 0 ? contentText(messages[lastUser].content) : '',
    tools,
    ...answeredCalls(calls, outputs),
    choice: openAiChoice(
      body.tool_choice,
      tools.map((t) => t.name),
    ),
    parallel: body.parallel_tool_calls !== false,
  };
}

const CHAT_USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

function openAiError(res, message) {
  sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: 'tool_choice', code: null } });
}

function chatCompletion(body, res) {
  const turn = decide(chatView(body));
  if (turn.kind === 'error') return openAiError(res, turn.message);
  const id = `chatcmpl-${randomUUID()}`;
  const model = body.model ?? MODEL_IDS[0];
  const toolCalls =
    turn.kind === 'tools'
      ? turn.calls.map((call) => ({ id: `call_${hexId()}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } }))
      : [];
  const finish = turn.kind === 'tools' ? 'tool_calls' : 'stop';
  if (!body.stream) {
    const message = turn.kind === 'tools' ? { role: 'assistant', content: null, tool_calls: toolCalls } : { role: 'assistant', content: turn.text };
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created: now(),
      model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: CHAT_USAGE,
    });
    return;
  }
  startSse(res);
  const chunk = (delta, finishReason = null) => {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now(), model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
    );
  };
  if (turn.kind === 'tools') {
    toolCalls.forEach((call, index) => {
      chunk({
        ...(index === 0 ? { role: 'assistant', content: null } : {}),
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
      });
      chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] });
    });
  } else {
    chunk({ role: 'assistant', content: '' });
    const half = Math.ceil(turn.text.length / 2);
    chunk({ content: turn.text.slice(0, half) });
    chunk({ content: turn.text.slice(half) });
  }
  chunk({}, finish);
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now(), model, choices: [], usage: CHAT_USAGE })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

// ---------------------------------------------------------------- responses

function responsesItems(body) {
  const input = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input : [];
  const isUser = (it) => (it?.type === 'message' || it?.type === undefined) && it?.role === 'user';
  const earlier = storedResponses.get(body.previous_response_id);
  return !input.some(isUser) && earlier ? [...earlier, ...input] : input;
}

function responsesView(body, items) {
  let lastUser = -1;
  items.forEach((it, i) => {
    if ((it?.type === 'message' || it?.type === undefined) && it?.role === 'user') lastUser = i;
  });
  const since = items.slice(lastUser + 1);
  const calls = since.filter((it) => it?.type === 'function_call').map((it) => ({ id: it.call_id, name: it.name }));
  const outputs = since.filter((it) => it?.type === 'function_call_output').map((it) => ({ id: it.call_id, text: contentText(it.output) }));
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .filter((t) => t?.type === 'function' || t?.type === 'custom' || t?.type === undefined)
    .map((t) => ({ name: t?.name ?? t?.function?.name, schema: t?.parameters ?? t?.function?.parameters }))
    .filter((t) => typeof t.name === 'string');
  return {
    instruction: lastUser >= 0 ? contentText(items[lastUser].content) : '',
    tools,
    ...answeredCalls(calls, outputs),
    choice: responsesChoice(
      body.tool_choice,
      tools.map((t) => t.name),
    ),
    parallel: body.parallel_tool_calls !== false,
  };
}

function responses(body, res) {
  const items = responsesItems(body);
  const turn = decide(responsesView(body, items));
  if (turn.kind === 'error') return openAiError(res, turn.message);
  const id = `resp_${hexId(32)}`;
  const model = body.model ?? MODEL_IDS[0];
  const output =
    turn.kind === 'tools'
      ? turn.calls.map((call) => ({
          type: 'function_call',
          id: `fc_${hexId(32)}`,
          call_id: `call_${hexId()}`,
          name: call.name,
          arguments: JSON.stringify(call.args),
          status: 'completed',
        }))
      : [
          {
            type: 'message',
            id: `msg_${hexId(32)}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: turn.text, annotations: [] }],
          },
        ];
  storedResponses.set(id, [...items, ...output]);
  const usage = {
    input_tokens: 11,
    output_tokens: 7,
    total_tokens: 18,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
  const full = {
    id,
    object: 'response',
    created_at: now(),
    status: 'completed',
    model,
    output,
    usage,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    previous_response_id: body.previous_response_id ?? null,
    error: null,
    incomplete_details: null,
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
  output.forEach((item, index) => {
    if (item.type === 'function_call') {
      event('response.output_item.added', { output_index: index, item: { ...item, arguments: '', status: 'in_progress' } });
      event('response.function_call_arguments.delta', { output_index: index, item_id: item.id, delta: item.arguments });
      event('response.function_call_arguments.done', { output_index: index, item_id: item.id, arguments: item.arguments });
    } else {
      const text = item.content[0].text;
      event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
      event('response.content_part.added', {
        output_index: index,
        item_id: item.id,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
      event('response.output_text.delta', { output_index: index, item_id: item.id, content_index: 0, delta: text });
      event('response.output_text.done', { output_index: index, item_id: item.id, content_index: 0, text });
      event('response.content_part.done', { output_index: index, item_id: item.id, content_index: 0, part: item.content[0] });
    }
    event('response.output_item.done', { output_index: index, item });
  });
  event('response.completed', { response: full });
  res.end();
}

// ---------------------------------------------------------------- anthropic messages

function anthropicView(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const blocks = (m) => (typeof m?.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m?.content) ? m.content : []);
  // A user turn made only of tool_result blocks answers the model; the instruction is the last one with text.
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m?.role === 'user' && blocks(m).some((b) => b?.type === 'text')) lastUser = i;
  });
  const since = messages.slice(lastUser + 1);
  const calls = since
    .filter((m) => m?.role === 'assistant')
    .flatMap(blocks)
    .filter((b) => b?.type === 'tool_use')
    .map((b) => ({ id: b.id, name: b.name }));
  const outputs = since
    .filter((m) => m?.role === 'user')
    .flatMap(blocks)
    .filter((b) => b?.type === 'tool_result')
    .map((b) => ({ id: b.tool_use_id, text: contentText(b.content) }));
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .filter((t) => t?.type === undefined || t?.type === 'custom')
    .map((t) => ({ name: t?.name, schema: t?.input_schema }))
    .filter((t) => typeof t.name === 'string');
  return {
    instruction:
      lastUser >= 0
        ? blocks(messages[lastUser])
            .filter((b) => b?.type === 'text')
            .map((b) => b.text)
            .join('')
        : '',
    tools,
    ...answeredCalls(calls, outputs),
    choice: anthropicChoice(body.tool_choice),
    parallel: body.tool_choice?.disable_parallel_tool_use !== true,
  };
}

function anthropicError(res, status, type, message) {
  sendJson(res, status, { type: 'error', error: { type, message } });
}

function anthropicMessages(body, res) {
  if (!Number.isInteger(body.max_tokens)) return anthropicError(res, 400, 'invalid_request_error', 'max_tokens: Field required');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return anthropicError(res, 400, 'invalid_request_error', 'messages: Field required');
  const view = anthropicView(body);
  const turn = decide(view);
  if (turn.kind === 'error') return anthropicError(res, 400, 'invalid_request_error', turn.message);
  const id = `msg_${hexId()}`;
  const model = body.model ?? MODEL_IDS[0];
  // As Claude does when it chooses to call (auto), a short text block before the tool_use blocks; a forced
  // call is tool_use only.
  const content =
    turn.kind === 'tools'
      ? [
          ...(view.choice.mode === 'auto' ? [{ type: 'text', text: `I will call ${turn.calls.map((call) => call.name).join(', ')}.` }] : []),
          ...turn.calls.map((call) => ({ type: 'tool_use', id: `toolu_${hexId()}`, name: call.name, input: call.args })),
        ]
      : [{ type: 'text', text: turn.text }];
  const stopReason = turn.kind === 'tools' ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 11, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage };
  if (!body.stream) {
    sendJson(res, 200, message);
    return;
  }
  startSse(res);
  const event = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  event('ping', {});
  content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

// ---------------------------------------------------------------- server

function modelsList(anthropic) {
  if (anthropic) {
    const data = MODEL_IDS.map((id) => ({ type: 'model', id, display_name: id, created_at: '2024-01-01T00:00:00Z' }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
  return { object: 'list', data: MODEL_IDS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fixture' })) };
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/__requests') {
      if (req.method === 'DELETE') {
        recorded.length = 0;
        res.writeHead(204).end();
        return;
      }
      sendJson(res, 200, recorded);
      return;
    }
    if (path === '/health' || path === '/') {
      sendJson(res, 200, { ok: true });
      return;
    }

    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body = {};
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
        return;
      }
    }
    recorded.push({ method: req.method, path, headers: req.headers, body, at: new Date().toISOString() });

    const route = path.replace(/^\/v1/, '');
    const anthropic = route === '/messages' || (route === '/models' && req.headers['anthropic-version'] !== undefined);
    if (anthropic) {
      if (API_KEY && req.headers['x-api-key'] !== API_KEY) {
        anthropicError(res, 401, 'authentication_error', 'invalid x-api-key');
        return;
      }
      if (!req.headers['anthropic-version']) {
        anthropicError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
        return;
      }
    } else if (API_KEY && req.headers.authorization !== `Bearer ${API_KEY}`) {
      sendJson(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error', code: 'invalid_api_key' } });
      return;
    }
    if (req.method === 'GET' && route === '/models') {
      sendJson(res, 200, modelsList(anthropic));
    } else if (req.method === 'POST' && route === '/chat/completions') {
      chatCompletion(body, res);
    } else if (req.method === 'POST' && route === '/responses') {
      responses(body, res);
    } else if (req.method === 'POST' && route === '/messages') {
      anthropicMessages(body, res);
    } else if (anthropic) {
      anthropicError(res, 404, 'not_found_error', `no route ${req.method} ${path}`);
    } else {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    }
  } catch (err) {
    sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
  }
});

server.listen(PORT, '0.0.0.0', () => {
  process.stderr.write(`llm-fixture listening on :${server.address().port} (OpenAI chat and responses, Anthropic messages)\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
