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

export function grantRows(ctx: DoctorContext): Promise<GrantRow[]> {
  return ctx.once('grant-rows', async () => {
    await ctx.keyRows(); // asserts the key tables exist, with the reason when they do not
    const { rows } = await (await ctx.db()).query<{
      token: string;
      key_alias: string | null;
      expires: Date | null;
      blocked: boolean | null;
      has_permission: boolean;
      mcp_servers: string[] | null;
      mcp_access_groups: string[] | null;
      tool_servers: string[] | null;
    }>(`SELECT v.token, v.key_alias, v.expires, v.blocked, p.object_permission_id IS NOT NULL AS has_permission, p.mcp_servers, p.mcp_access_groups,
              CASE WHEN jsonb_typeof(p.mcp_tool_permissions) = 'object' THEN ARRAY(SELECT jsonb_object_keys(p.mcp_tool_permissions)) END AS tool_servers
          FROM "LiteLLM_VerificationToken" v
          LEFT JOIN "LiteLLM_ObjectPermissionTable" p ON p.object_permission_id = v.object_permission_id`);
    return rows
      .filter((row) => !TEMPORARY_ALIAS.test(row.key_alias ?? ''))
      .map((row) => ({
        token: row.token,
        alias: row.key_alias,
        expires: row.expires,
        blocked: row.blocked === true,
        hasPermission: row.has_permission,
        mcpServers: [...(row.mcp_servers ?? [])].sort(),
        mcpGroups: [...(row.mcp_access_groups ?? [])].sort(),
        toolServers: [...(row.tool_servers ?? [])].sort(),
      }));
  });
}

export function keyLabel(row: GrantRow): string {
  return row.alias ?? `${row.token.slice(0, 8)}… (no alias)`;
}
