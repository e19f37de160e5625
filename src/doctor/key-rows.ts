import type { DoctorContext } from './context.js';

/** A key row with what decides its MCP access: whether its object-permission row exists, and the grants in it. */
export interface GrantRow {
  token: string;
  alias: string | null;
  expires: Date | null;
  blocked: boolean;
  hasPermission: boolean;
  mcpServers: string[];
  mcpGroups: string[];
  /** Servers named in mcp_tool_permissions, which LiteLLM grants as well (the union with mcp_servers). */
  toolServers: string[];
}

/** Keys mcpgw makes for one run (probe, doctor): short-lived, and the probe's no-grant key lacks grants on purpose. */
export const TEMPORARY_ALIAS = /^mcpgw-(probe|doctor)-[0-9a-f]+$/;

/** The key rows of the key store (one query of LiteLLM's tables), without the keys mcpgw makes for one run. */
export function grantRows(ctx: DoctorContext): Promise<GrantRow[]> {
  return ctx.once('grant-rows', async () =>
    (await ctx.keyRows())
      .filter((row) => !TEMPORARY_ALIAS.test(row.alias ?? ''))
      .map((row) => ({
        token: row.token,
        alias: row.alias,
        expires: row.expires,
        blocked: row.blocked,
        hasPermission: row.hasPermission,
        mcpServers: [...row.mcpServers].sort(),
        mcpGroups: [...row.mcpGroups].sort(),
        toolServers: Object.keys(row.toolPermissions).sort(),
      })),
  );
}

export function keyLabel(row: GrantRow): string {
  return row.alias ?? `${row.token.slice(0, 8)}… (no alias)`;
}
