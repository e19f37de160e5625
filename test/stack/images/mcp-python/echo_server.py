#!/opt/venv/bin/python
"""A plain FastMCP streamable-HTTP server with the MCP Python SDK's defaults (DNS-rebinding protection on)."""
import os

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("echo")  # host defaults to 127.0.0.1, so the SDK enables its localhost-only Host/Origin allow-list


@mcp.tool()
def echo(message: str) -> str:
    """Returns message verbatim."""
    return message


if __name__ == "__main__":
    mcp.settings.host = "0.0.0.0"  # set after construction, as postgres-mcp does: the protection stays on
    mcp.settings.port = int(os.environ.get("PORT", "8000"))
    mcp.run(transport="streamable-http")
