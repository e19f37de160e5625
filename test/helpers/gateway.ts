/** MCP server names whose tools the gateway lists for a key (LiteLLM prefixes tools with <server>-), or the HTTP status. */
export async function gatewayTools(port: number, key: string): Promise<string[] | number> {
  const response = await fetch(`http://127.0.0.1:${port}/mcp/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-litellm-api-key': `Bearer ${key}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  const body = await response.text();
  if (!response.ok) return response.status;
  const data = /^data:\s*(.+)$/m.exec(body)?.[1] ?? body;
  const message = JSON.parse(data) as { result?: { tools: { name: string }[] }; error?: { message: string } };
  if (!message.result) return 403;
  return message.result.tools
    .map((tool) => tool.name.split('-')[0] ?? '')
    .filter((value, index, all) => all.indexOf(value) === index)
    .sort();
}
