"""Reaches MCP servers the way LiteLLM does, from where LiteLLM stands.

mcpgw runs this inside the LiteLLM container (docker exec), or in a throwaway container of the LiteLLM image on
the same networks: the same name resolution, the same routes, the URL that config.yaml gives LiteLLM and the
headers LiteLLM sends (its MCP client: httpx, Host = the URL's host:port, plus the server's static_headers).
Standard library only, so it runs in any LiteLLM image and starts in milliseconds.

argv[1]: {"targets": [{"name", "url", "transport": "sse"|"http", "headers": {}, "timeout_s"}]}
stdout: one line, "mcpgw-vantage: " and a JSON list with one answer per target, in order. The answer records what was seen at which stage
(resolve, connect, open, initialize, list) so mcpgw can name the cause; it never judges.
"""

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse

PROTOCOL_VERSION = "2025-06-18"
CLIENT_INFO = {"name": "mcpgw-vantage", "version": "1"}
BODY_SNIPPET = 300
MAX_PAGES = 20
MARK = "mcpgw-vantage: "
# An SSE server names its message endpoint as soon as the stream opens.
ENDPOINT_WAIT_S = 3


class Seen(Exception):
    """Ends a check at a stage with what was seen there."""

    def __init__(self, stage, **facts):
        super().__init__(stage)
        self.stage = stage
        self.facts = facts


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        return left


def connect(url, deadline):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Seen("resolve", error="unsupported scheme " + parts.scheme)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Seen("resolve", error=str(error))
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, port, timeout=deadline.left())
    try:
        connection.connect()
    except ConnectionRefusedError as error:
        raise Seen("connect", error="refused: " + str(error))
    except socket.timeout:
        raise Seen("connect", error="timed out")
    except OSError as error:
        raise Seen("connect", error=str(error))
    return connection


def target_path(url):
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


def rpc(method, ident=None, params=None):
    message = {"jsonrpc": "2.0", "method": method}
    if ident is not None:
        message["id"] = ident
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode()


INITIALIZE = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO}


def refused(stage, response):
    body = response.read(BODY_SNIPPET * 4).decode("utf-8", "replace")[:BODY_SNIPPET]
    return Seen(stage, status=response.status, content_type=response.getheader("content-type", ""), body=body)


def sse_events(response):
    """Yields (event, data) from a text/event-stream response."""
    event, data = "message", []
    while True:
        line = response.readline()
        if not line:
            return
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def reply_for(events, ident, stage):
    for event, data in events:
        if event != "message":
            continue
        try:
            message = json.loads(data)
        except ValueError:
            continue
        if message.get("id") == ident:
            if "error" in message:
                raise Seen(stage, rpc_error=message["error"])
            return message.get("result", {})
    raise Seen(stage, error="the stream ended before the reply")


class StreamableHttp:
    """MCP over streamable HTTP, as the MCP SDK's client that LiteLLM uses sends it."""

    def __init__(self, url, headers, deadline):
        self.url, self.headers, self.deadline = url, headers, deadline
        self.session = None

    def post(self, body, stage):
        connection = connect(self.url, self.deadline)
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.session:
            headers["mcp-session-id"] = self.session
            headers["mcp-protocol-version"] = PROTOCOL_VERSION
        headers.update(self.headers)
        connection.request("POST", target_path(self.url), body=body, headers=headers)
        response = connection.getresponse()
        if response.status >= 300:
            raise refused(stage, response)
        return response

    def call(self, method, ident, params, stage):
        response = self.post(rpc(method, ident, params), stage)
        kind = response.getheader("content-type", "")
        if ident is None:
            response.read()
            return None
        if "text/event-stream" in kind:
            return response, reply_for(sse_events(response), ident, stage)
        if "json" not in kind:
            raise Seen(stage, status=response.status, content_type=kind, body=response.read(BODY_SNIPPET).decode("utf-8", "replace"))
        message = json.loads(response.read().decode("utf-8", "replace") or "{}")
        if "error" in message:
            raise Seen(stage, rpc_error=message["error"])
        return response, message.get("result", {})

    def initialize(self):
        response, result = self.call("initialize", 1, INITIALIZE, "initialize")
        self.session = response.getheader("mcp-session-id")
        self.call("notifications/initialized", None, None, "initialize")
        return result

    def request(self, method, ident, params, stage):
        return self.call(method, ident, params, stage)[1]

    def close(self):
        if not self.session:
            return
        try:
            connection = connect(self.url, Deadline(2))
            headers = {"mcp-session-id": self.session}
            headers.update(self.headers)
            connection.request("DELETE", target_path(self.url), headers=headers)
            connection.getresponse().read()
        except Exception:
            pass


class Sse:
    """MCP over the SSE transport: a GET stream that names the message URL, replies arriving on the stream."""

    def __init__(self, url, headers, deadline):
        self.url, self.headers, self.deadline = url, headers, deadline
        self.stream = None
        self.sock = None
        self.events = None
        self.endpoint = None

    def open(self):
        connection = connect(self.url, self.deadline)
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        headers.update(self.headers)
        connection.request("GET", target_path(self.url), headers=headers)
        # The socket, kept before the response takes it over: reads of the stream are bounded through it.
        self.sock = connection.sock
        self.sock.settimeout(min(ENDPOINT_WAIT_S, self.deadline.left()))
        response = connection.getresponse()
        if response.status >= 300:
            raise refused("open", response)
        kind = response.getheader("content-type", "")
        if "text/event-stream" not in kind:
            raise Seen("open", status=response.status, content_type=kind, body=response.read(BODY_SNIPPET).decode("utf-8", "replace"))
        self.stream = connection
        self.events = sse_events(response)
        try:
            for event, data in self.events:
                if event == "endpoint":
                    self.endpoint = urllib.parse.urljoin(self.url, data.strip())
                    self.sock.settimeout(self.deadline.left())
                    return
        except socket.timeout:
            pass
        # A streamable HTTP server answers GET with an event stream too, one that never names an endpoint.
        raise Seen("open", status=response.status, content_type=kind, error="the stream sent no endpoint event")

    def post(self, body, stage):
        connection = connect(self.endpoint, self.deadline)
        headers = {"Content-Type": "application/json"}
        headers.update(self.headers)
        connection.request("POST", target_path(self.endpoint), body=body, headers=headers)
        response = connection.getresponse()
        if response.status >= 300:
            raise refused(stage, response)
        response.read()

    def initialize(self):
        self.open()
        self.post(rpc("initialize", 1, INITIALIZE), "initialize")
        result = reply_for(self.events, 1, "initialize")
        self.post(rpc("notifications/initialized"), "initialize")
        return result

    def request(self, method, ident, params, stage):
        self.sock.settimeout(self.deadline.left())
        self.post(rpc(method, ident, params), stage)
        return reply_for(self.events, ident, stage)

    def close(self):
        if self.stream:
            self.stream.close()


TRANSPORTS = {"http": StreamableHttp, "sse": Sse}
DEFAULT_PATHS = {"http": "/mcp", "sse": "/sse"}


def session_facts(transport, url, headers, deadline, list_tools):
    client = TRANSPORTS[transport](url, headers, deadline)
    try:
        started = time.monotonic()
        result = client.initialize()
        facts = {"server": (result.get("serverInfo") or {}).get("name", "unnamed")}
        if list_tools:
            tools, cursor = [], None
            for ident in range(2, 2 + MAX_PAGES):
                page = client.request("tools/list", ident, {"cursor": cursor} if cursor else {}, "list")
                tools.extend(tool.get("name", "?") for tool in page.get("tools", []))
                cursor = page.get("nextCursor")
                if not cursor:
                    break
            facts["tools"] = tools
        facts["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        return facts
    finally:
        client.close()


def other_transport(target, deadline):
    """Which transport and path the server speaks instead, when it refused the configured one."""
    parts = urllib.parse.urlsplit(target["url"])
    tried = []
    for transport in ("http", "sse"):
        for path in (parts.path, DEFAULT_PATHS[transport]):
            if (transport, path) in tried or (transport == target["transport"] and path == parts.path):
                continue
            tried.append((transport, path))
            url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
            try:
                session_facts(transport, url, target.get("headers", {}), Deadline(min(3, deadline.left())), False)
                return {"transport": transport, "path": path}
            except Exception:
                continue
    return None


def check(target):
    started = time.monotonic()
    deadline = Deadline(float(target.get("timeout_s", 10)))
    answer = {"name": target["name"], "url": target["url"], "transport": target["transport"]}
    try:
        answer.update(session_facts(target["transport"], target["url"], target.get("headers", {}), deadline, True))
        answer["ok"] = True
    except Seen as seen:
        answer.update({"ok": False, "stage": seen.stage}, **seen.facts)
        if seen.facts.get("status") in (400, 404, 405, 406, 415) or (seen.stage == "open" and "content_type" in seen.facts):
            try:
                alternative = other_transport(target, deadline)
            except socket.timeout:
                alternative = None
            if alternative:
                answer["speaks"] = alternative
    except socket.timeout:
        answer.update({"ok": False, "stage": "timeout", "error": "no answer within %s s" % target.get("timeout_s", 10)})
    except Exception as error:  # a broken server must not hide the others' answers
        answer.update({"ok": False, "stage": "protocol", "error": "%s: %s" % (type(error).__name__, error)})
    answer["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return answer


def main():
    targets = json.loads(sys.argv[1])["targets"]
    answers = [None] * len(targets)

    def run(index, target):
        answers[index] = check(target)

    threads = [threading.Thread(target=run, args=(index, target), daemon=True) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Marked, because exec output interleaves stdout with stderr (warnings of the image's Python).
    sys.stdout.write(MARK + json.dumps(answers) + "\n")


if __name__ == "__main__":
    main()
