/** LiteLLM's REST tool list (`GET /mcp-rest/tools/list`): each tool names the server it came from. */
interface RestToolList {
  tools: Array<{ name?: string; mcp_info?: { server_name?: string } }>;
  server_outcomes?: Record<string, { status?: string }>;
}

/** The REST tool list by server: each server's tool names (sorted) and the status LiteLLM reports for it. */
export interface RestTools {
  tools: Map<string, string[]>;
  status: Map<string, string>;
}

/**
 * A REST tool list body by server, or undefined when it cannot be attributed (another version's shape: a tool
 * without its server's name, an error page).
 */
export function restToolsByServer(body: unknown): RestTools | undefined {
  const listing = body as Partial<RestToolList> | null;
  if (typeof listing !== 'object' || listing === null || !Array.isArray(listing.tools)) return undefined;
  if (!listing.tools.every((tool) => typeof tool.mcp_info?.server_name === 'string')) return undefined;
  const tools = new Map<string, string[]>();
  for (const tool of listing.tools) {
    const server = tool.mcp_info?.server_name as string;
    tools.set(server, [...(tools.get(server) ?? []), tool.name ?? '']);
  }
  for (const names of tools.values()) names.sort();
  const status = new Map(
    Object.entries(listing.server_outcomes ?? {}).flatMap(([server, outcome]) => (outcome.status ? [[server, outcome.status] as const] : [])),
  );
  return { tools, status };
}
