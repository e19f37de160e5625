import type { McpgwConfig } from './schema.js';

/** Aliases of declared keys that grant the server, directly or through one of its groups. */
export function grantingKeys(config: McpgwConfig, name: string): string[] {
  const groups = new Set(config.mcp_servers[name]?.groups ?? []);
  return config.keys.filter((key) => key.mcp_servers.includes(name) || key.mcp_groups.some((group) => groups.has(group))).map((key) => key.alias);
}

/** The servers a declared key is granted, directly or through groups, in mcpgw.yaml order. */
export function serversGrantedTo(config: McpgwConfig, alias: string): string[] {
  return Object.keys(config.mcp_servers).filter((name) => grantingKeys(config, name).includes(alias));
}
