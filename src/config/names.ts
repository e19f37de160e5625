/**
 * The compose service (and DNS alias on the stack network) of an MCP server. It lives with the config because
 * validation bounds names by it: a container name is one DNS label.
 */
export function mcpServiceName(server: string): string {
  return `mcp-${server.replace(/_/g, '-')}`;
}
