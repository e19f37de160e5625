"""mcpgw's canary model: a deterministic OpenAI-compatible upstream for `mcpgw probe`'s LLM level.

It lets the probe prove LiteLLM's MCP auto-execution (chat completions and responses) without a provider key,
spend, or a model's whims, and behaves like the real APIs where that execution depends on it:
- it answers only the probe's instruction, "Call the tool NAME with ARG set to VALUE and ..., then reply with
  exactly what it returned." (values are JSON literals); anything else is refused with a 400, so a client key
  that reaches this model can use it for nothing else;
- tool_choice is honoured on every turn: forced (`required`, a named tool, an `mcp` server, `allowed_tools` in
  mode required) calls a tool even when its result is already there; `auto` calls the instructed tool until a
  result for it came back, then answers "Tool result: <the results verbatim>" with finish `stop`; `none` answers
  text. A named tool that is not offered, or a forced choice without tools, is a 400 as on the real APIs.

Standard library only: it runs on the stack's LiteLLM image, which has Python. Rendered by mcpgw next to the
compose file and mounted read-only into the canary container; it is never published on the host.
"""

import argparse
import json
import re
import signal
import sys
import threading
import time
import uuid
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "mcpgw-canary"
INSTRUCTION = re.compile(r"^Call the tool (\S+?)(?: with (.+?))?, then reply with exactly what it returned\.$", re.S)
PAIR = re.compile(r'([A-Za-z_][\w.-]*) set to ("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?!\w)|true\b|false\b|null\b)')
# Responses chained by previous_response_id; bounded, since the canary runs for the life of the stack.
STORED_LIMIT = 500
stored = OrderedDict()
stored_lock = threading.Lock()


class Refused(Exception):
    """A request the real API would answer with a 400."""


def content_text(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                for field in ("text", "output"):
                    if isinstance(part.get(field), str):
                        parts.append(part[field])
                        break
                else:
                    parts.append(content_text(part.get("content")))
        return "".join(parts)
    return "" if content is None else json.dumps(content)


def parse_instruction(text):
    match = INSTRUCTION.match(text.strip())
    if not match:
        raise Refused(
            "the mcpgw canary model answers only mcpgw probe's instruction "
            '("Call the tool NAME with ARG set to VALUE, then reply with exactly what it returned."); '
            "use a real model for anything else"
        )
    name, spelled = match.group(1), match.group(2) or ""
    args = {}
    for arg, literal in PAIR.findall(spelled):
        args[arg] = json.loads(literal)
    return name, args


def resolve(name, offered):
    if name in offered:
        return name
    suffixed = [tool for tool in offered if tool.endswith("-" + name)]
    return suffixed[0] if len(suffixed) == 1 else None


def choice_of(raw, offered, api):
    """tool_choice as a mode: auto | none | required (with the allowed tools) | tool (one name)."""
    if raw is None or raw == "auto":
        return {"mode": "auto"}
    if raw in ("none", "required"):
        return {"mode": raw}
    if isinstance(raw, dict):
        kind = raw.get("type")
        if kind in ("function", "custom"):
            name = raw.get("name") if api == "responses" else (raw.get(kind) or {}).get("name")
            if isinstance(name, str):
                return {"mode": "tool", "name": name}
        if kind == "mcp" and api == "responses" and isinstance(raw.get("server_label"), str):
            allowed = server_tools(raw, offered)
            return {"mode": "tool", "name": allowed[0] if allowed else raw.get("name", "")} if isinstance(raw.get("name"), str) else {"mode": "required", "allowed": allowed}
        if kind == "allowed_tools":
            spec = raw if api == "responses" else raw.get("allowed_tools") or {}
            mode, entries = spec.get("mode"), spec.get("tools")
            if mode in ("auto", "required") and isinstance(entries, list) and entries:
                allowed = []
                for entry in entries:
                    if isinstance(entry, dict) and entry.get("type") == "mcp":
                        allowed += server_tools(entry, offered)
                    elif isinstance(entry, dict):
                        name = entry.get("name") or (entry.get("function") or {}).get("name") or (entry.get("custom") or {}).get("name")
                        if isinstance(name, str):
                            allowed.append(name)
                return {"mode": mode, "allowed": allowed}
    raise Refused("invalid tool_choice " + json.dumps(raw))


def server_tools(entry, offered):
    label, name = entry.get("server_label"), entry.get("name")
    if isinstance(name, str):
        return [tool for tool in offered if tool in (label + "-" + name, name)]
    return [tool for tool in offered if tool.startswith(label + "-")]


def decide(instruction, offered, answered, results, choice):
    """The turn: ("tools", [(name, args)]) or ("text", text)."""
    wanted, args = parse_instruction(instruction)
    mode = choice["mode"]
    forcing = mode in ("required", "tool")
    if forcing and not offered:
        raise Refused("a forced tool_choice needs tools, and the request offers none")
    if mode == "tool" and choice["name"] not in offered:
        raise Refused('tool_choice names the tool "%s", which is not in tools (%s)' % (choice["name"], ", ".join(offered)))
    allowed = [choice["name"]] if mode == "tool" else [tool for tool in choice.get("allowed", offered) if tool in offered]
    if forcing and not allowed:
        raise Refused("tool_choice selects none of the tools offered (%s)" % ", ".join(offered))
    tool = resolve(wanted, offered)

    def answer():
        if results:
            return ("text", "Tool result: " + "\n".join(results))
        if tool is None:
            return ("text", "I cannot call %s: no such tool is offered (offered: %s)." % (wanted, ", ".join(offered) or "none"))
        return ("text", "I did not call %s." % tool)

    if mode == "none":
        return answer()
    permitted = tool is not None and tool in allowed
    if not forcing:
        return ("tools", [(tool, args)]) if permitted and tool not in answered else answer()
    # Forced: a call on every turn, answered or not, as the real APIs do.
    return ("tools", [(tool, args)]) if permitted else ("tools", [(allowed[0], {})])


def answered_calls(calls, outputs):
    names = dict(calls)
    return [names[call_id] for call_id, _ in outputs if call_id in names], [text for _, text in outputs]


def hex_id(length=24):
    return uuid.uuid4().hex[:length]


# ------------------------------------------------------------------------------------------ chat completions

def chat_turn(body):
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    last_user = max((i for i, message in enumerate(messages) if isinstance(message, dict) and message.get("role") == "user"), default=-1)
    since = messages[last_user + 1:]
    calls = [(call.get("id"), (call.get("function") or {}).get("name")) for message in since if isinstance(message, dict) and message.get("role") == "assistant" for call in (message.get("tool_calls") or [])]
    outputs = [(message.get("tool_call_id"), content_text(message.get("content"))) for message in since if isinstance(message, dict) and message.get("role") == "tool"]
    offered = [(tool.get("function") or {}).get("name") for tool in (body.get("tools") or []) if isinstance(tool, dict) and isinstance((tool.get("function") or {}).get("name"), str)]
    answered, results = answered_calls(calls, outputs)
    instruction = content_text(messages[last_user].get("content")) if last_user >= 0 else ""
    return decide(instruction, offered, answered, results, choice_of(body.get("tool_choice"), offered, "chat"))


def chat_completion(body):
    kind, value = chat_turn(body)
    created = int(time.time())
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    if kind == "tools":
        calls = [{"id": "call_" + hex_id(), "type": "function", "function": {"name": name, "arguments": json.dumps(args)}} for name, args in value]
        message, finish = {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": value}, "stop"
    full = {"id": "chatcmpl-" + hex_id(), "object": "chat.completion", "created": created, "model": body.get("model", MODEL_ID),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}], "usage": usage}
    if not body.get("stream"):
        return full, None
    def chunk(delta, finish_reason=None, **extra):
        return {"id": full["id"], "object": "chat.completion.chunk", "created": created, "model": full["model"],
                "choices": [] if extra else [{"index": 0, "delta": delta, "finish_reason": finish_reason}], **extra}
    events = []
    if kind == "tools":
        for index, call in enumerate(message["tool_calls"]):
            events.append(chunk({"role": "assistant", "content": None, "tool_calls": [{"index": index, **call}]}))
    else:
        events.append(chunk({"role": "assistant", "content": value}))
    events.append(chunk({}, finish))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(chunk({}, usage=usage))
    return None, [("data", event) for event in events] + [("data", "[DONE]")]


# ------------------------------------------------------------------------------------------ responses

def is_user(item):
    return isinstance(item, dict) and item.get("type", "message") == "message" and item.get("role") == "user"


def responses(body):
    given = body.get("input")
    items = [{"type": "message", "role": "user", "content": given}] if isinstance(given, str) else (given if isinstance(given, list) else [])
    with stored_lock:
        earlier = stored.get(body.get("previous_response_id"))
    if earlier and not any(is_user(item) for item in items):
        items = earlier + items
    last_user = max((i for i, item in enumerate(items) if is_user(item)), default=-1)
    since = items[last_user + 1:]
    calls = [(item.get("call_id"), item.get("name")) for item in since if isinstance(item, dict) and item.get("type") == "function_call"]
    outputs = [(item.get("call_id"), content_text(item.get("output"))) for item in since if isinstance(item, dict) and item.get("type") == "function_call_output"]
    offered = [tool.get("name") for tool in (body.get("tools") or []) if isinstance(tool, dict) and tool.get("type", "function") == "function" and isinstance(tool.get("name"), str)]
    answered, results = answered_calls(calls, outputs)
    instruction = content_text(items[last_user].get("content")) if last_user >= 0 else ""
    kind, value = decide(instruction, offered, answered, results, choice_of(body.get("tool_choice"), offered, "responses"))
    if kind == "tools":
        output = [{"type": "function_call", "id": "fc_" + hex_id(32), "call_id": "call_" + hex_id(), "name": name, "arguments": json.dumps(args), "status": "completed"} for name, args in value]
    else:
        output = [{"type": "message", "id": "msg_" + hex_id(32), "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": value, "annotations": []}]}]
    response_id = "resp_" + hex_id(32)
    with stored_lock:
        stored[response_id] = items + output
        while len(stored) > STORED_LIMIT:
            stored.popitem(last=False)
    full = {"id": response_id, "object": "response", "created_at": int(time.time()), "status": "completed", "model": body.get("model", MODEL_ID),
            "output": output, "parallel_tool_calls": body.get("parallel_tool_calls") is not False, "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [], "previous_response_id": body.get("previous_response_id"), "error": None, "incomplete_details": None,
            "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18, "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}}
    if not body.get("stream"):
        return full, None
    pending = {**full, "status": "in_progress", "output": [], "usage": None}
    events = [("response.created", {"response": pending}), ("response.in_progress", {"response": pending})]
    for index, item in enumerate(output):
        events.append(("response.output_item.added", {"output_index": index, "item": item}))
        if item["type"] == "message":
            text = item["content"][0]["text"]
            events.append(("response.output_text.delta", {"output_index": index, "item_id": item["id"], "content_index": 0, "delta": text}))
            events.append(("response.output_text.done", {"output_index": index, "item_id": item["id"], "content_index": 0, "text": text}))
        else:
            events.append(("response.function_call_arguments.done", {"output_index": index, "item_id": item["id"], "arguments": item["arguments"]}))
        events.append(("response.output_item.done", {"output_index": index, "item": item}))
    events.append(("response.completed", {"response": full}))
    return None, [(name, {"type": name, "sequence_number": seq, **data}) for seq, (name, data) in enumerate(events)]


# ------------------------------------------------------------------------------------------ server

ROUTES = {"/chat/completions": chat_completion, "/responses": responses}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        # Requests carry the probe's nonces only, but nothing here needs a log line per request.
        pass

    def send_json(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        return path[len("/v1"):] if path.startswith("/v1/") else path

    def do_GET(self):
        route = self.route()
        if route in ("/", "/health"):
            self.send_json(200, {"ok": True})
        elif route == "/models":
            self.send_json(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "mcpgw"}]})
        else:
            self.send_json(404, {"error": {"message": "no route GET " + self.path, "type": "invalid_request_error"}})

    def do_POST(self):
        handler = ROUTES.get(self.route())
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if handler is None:
            return self.send_json(404, {"error": {"message": "no route POST " + self.path, "type": "invalid_request_error"}})
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return self.send_json(400, {"error": {"message": "body is not a JSON object", "type": "invalid_request_error"}})
        try:
            full, events = handler(body)
        except Refused as refused:
            return self.send_json(400, {"error": {"message": str(refused), "type": "invalid_request_error", "param": None, "code": None}})
        if events is None:
            return self.send_json(200, full)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            self.wfile.write((("data: %s\n\n" % text) if name == "data" else ("event: %s\ndata: %s\n\n" % (name, text))).encode())
        self.close_connection = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8080)
    port = parser.parse_args().port
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    # As PID 1 of its container it gets no default SIGTERM handling: stop at once when Docker asks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("mcpgw canary model on :%d (OpenAI chat completions and responses)" % port, file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
