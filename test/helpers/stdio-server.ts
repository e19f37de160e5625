/**
 * A stdio MCP server with one echo tool, written with the MCP Python SDK that LiteLLM itself depends on, so
 * LiteLLM can spawn it inside its own container: the "run in LiteLLM" strategy with a command that really
 * exists there. Run as `python3 -c <script>`.
 */
export function pythonEchoServer(name: string): string {
  return [
    'from mcp.server.mcpserver import MCPServer',
    `app = MCPServer("${name}")`,
    '@app.tool()',
    'def echo(message: str) -> str:',
    '    """Echo the message back."""',
    '    return message',
    'app.run()',
  ].join('\n');
}
