"""What one LiteLLM replica runs and answers, read from inside its own container.

mcpgw runs this in a LiteLLM container (docker exec) and asks the proxy at 127.0.0.1 there, so each replica is
judged by itself, whatever a front door in front of them does. Standard library only.

argv[1]: {"port": 4000, "config_path": "/app/config.yaml", "timeout_s": 30}
  config_path is where mcpgw mounts config.yaml; the path LiteLLM was started with (its --config) wins.
environment (never the command line): MCPGW_MASTER_KEY, and MCPGW_KEYS, a JSON list of {"alias", "key"} to try.
stdout: one line, "mcpgw-replica: " and a JSON object of what was seen; it never judges.
"""

import hashlib
import json
import os
import secrets
import socket
import sys
import time
import urllib.error
import urllib.request

MARK = "mcpgw-replica: "
SOURCE_FIELDS = ("host", "port", "url", "startup_nodes", "sentinel_nodes", "service_name")


def request(base, path, key, timeout, body=None):
    """(HTTP status, parsed JSON or text) or {"error": ...} when nothing answered."""
    headers = {"Authorization": "Bearer " + key} if key else {}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except Exception as error:  # connection refused, timeout: what was seen is the answer
        return {"error": "%s: %s" % (type(error).__name__, error)}
    try:
        parsed = json.loads(raw or b"null")
    except ValueError:
        parsed = raw.decode("utf-8", "replace")[:300]
    return {"status": status, "body": parsed}


def started_config(default):
    """The --config LiteLLM's own process was started with, else mcpgw's mount point."""
    own = str(os.getpid())  # this script runs as `python3 -c`: its own command line has a -c too
    for pid in sorted((entry for entry in os.listdir("/proc") if entry.isdigit() and entry != own), key=int):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                args = [part.decode("utf-8", "replace") for part in handle.read().split(b"\0")]
        except OSError:
            continue
        # The litellm command itself, or an interpreter running it: its options come after it.
        program = next((index for index, part in enumerate(args[:3]) if os.path.basename(part) == "litellm"), None)
        if program is None:
            continue
        options = args[program + 1 :]
        given = [part.split("=", 1)[1] for part in options if part.startswith("--config=")]
        given += [options[index + 1] for index, part in enumerate(options[:-1]) if part in ("--config", "-c")]
        if given:
            return given[0] if os.path.isabs(given[0]) else os.path.join(os.readlink("/proc/%s/cwd" % pid), given[0])
    return default


def config_hash(default):
    path = started_config(default)
    try:
        with open(path, "rb") as handle:
            return {"path": path, "sha256": hashlib.sha256(handle.read()).hexdigest()}
    except OSError as error:
        return {"path": path, "error": str(error)}


def package_version():
    try:
        from importlib.metadata import version

        return version("litellm")
    except Exception:
        return None


def coordination(base, master, timeout):
    """Where LiteLLM's coordination Redis comes from and, for an explicit block, whether LiteLLM reaches it now."""
    settings = request(base, "/coordination_redis/settings", master, timeout)
    body = settings.get("body")
    if settings.get("status") != 200 or not isinstance(body, dict):
        return {"error": "GET /coordination_redis/settings: %s" % (settings.get("error") or "HTTP %s %s" % (settings.get("status"), str(body)[:200]))}
    values = body.get("values") or {}
    seen = {"source": body.get("source")}
    target = {key: values[key] for key in SOURCE_FIELDS if key in values}
    if target:
        seen["target"] = target
    if values:
        # LiteLLM puts the credentials it redacted back from its own settings and pings with a throwaway client.
        tested = request(base, "/coordination_redis/settings/test", master, timeout, {"settings": values})
        answer = tested.get("body")
        if tested.get("status") == 200 and isinstance(answer, dict):
            seen["answers"] = answer.get("status") == "healthy"
            if answer.get("error"):
                seen["error"] = answer["error"]
        else:
            seen["error"] = "POST /coordination_redis/settings/test: %s" % (tested.get("error") or "HTTP %s %s" % (tested.get("status"), str(answer)[:200]))
    return seen


def main():
    ask = json.loads(sys.argv[1])
    began = time.monotonic()
    base = "http://127.0.0.1:%d" % ask["port"]
    timeout = ask["timeout_s"]
    master = os.environ.get("MCPGW_MASTER_KEY", "")
    seen = {"hostname": socket.gethostname(), "package_version": package_version(), "config": config_hash(ask["config_path"])}
    seen["readiness"] = request(base, "/health/readiness", None, timeout)
    if "error" in seen["readiness"]:
        seen["elapsed_ms"] = int((time.monotonic() - began) * 1000)
        print(MARK + json.dumps(seen))
        return
    details = request(base, "/health/readiness/details", master, timeout)
    body = details.get("body")
    if isinstance(body, dict):
        fields = ("status", "db", "cache", "litellm_version", "show_no_redis_warning")
        details["body"] = {key: body[key] for key in fields if key in body}
    seen["details"] = details
    seen["coordination"] = coordination(base, master, timeout)
    tools = request(base, "/mcp-rest/tools/list", master, timeout)
    body = tools.get("body")
    if isinstance(body, dict) and isinstance(body.get("tools"), list):
        tools["body"] = {
            "tools": [{"name": tool.get("name"), "mcp_info": {"server_name": (tool.get("mcp_info") or {}).get("server_name")}} for tool in body["tools"]],
            "server_outcomes": body.get("server_outcomes") or {},
        }
    seen["tools"] = tools
    # Admission on an authenticated route every key mcpgw writes may call (its allowed_routes keep it off /key/*).
    keys = json.loads(os.environ.get("MCPGW_KEYS") or "[]")
    seen["keys"] = [{"alias": key["alias"], **request(base, "/v1/models", key["key"], timeout)} for key in keys]
    for entry in seen["keys"]:
        entry.pop("body", None)
    unknown = request(base, "/v1/models", "sk-mcpgw-unknown-" + secrets.token_hex(16), timeout)
    unknown.pop("body", None)
    seen["unknown_key"] = unknown
    seen["elapsed_ms"] = int((time.monotonic() - began) * 1000)
    print(MARK + json.dumps(seen))


main()
