"""One of LiteLLM's health routes, asked inside its own container.

mcpgw runs this in a LiteLLM container (docker exec) and asks the proxy at 127.0.0.1 there, so that container is
judged by itself, whatever the front door in front of it does (an upgrade starts the new LiteLLM beside the old one,
both behind the one published port). Standard library only.

argv[1]: {"port": 4000, "path": "/health/readiness", "timeout_s": 5}
stdout: one line, "mcpgw-health: " and a JSON object: {"status": HTTP status, "body": the answer parsed as JSON, or
null} or {"error": why nothing answered}. It never judges.
"""

import json
import sys
import urllib.error
import urllib.request

MARK = "mcpgw-health: "


def main():
    ask = json.loads(sys.argv[1])
    url = "http://127.0.0.1:%d%s" % (ask["port"], ask["path"])
    try:
        with urllib.request.urlopen(url, timeout=ask["timeout_s"]) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    except Exception as error:  # refused, reset, timed out: the proxy is not answering yet
        print(MARK + json.dumps({"error": "%s: %s" % (type(error).__name__, error)}), flush=True)
        return
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    print(MARK + json.dumps({"status": status, "body": body}), flush=True)


main()
