import { grantRows, keyLabel } from '../key-rows.js';
import { pass, warn, type Check } from '../types.js';

export const keysToolPermissions: Check = {
  id: 'keys.tool-permissions',
  title: "every server in a key's tool allow-list is also in its mcp_servers",
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const rows = await grantRows(ctx);
    // LiteLLM grants the union of mcp_servers and the servers of mcp_tool_permissions (BerriAI/litellm#33397):
    // a server listed only in the tool list is granted although mcp_servers says otherwise.
    const odd = rows
      .map((row) => ({ row, extra: row.toolServers.filter((server) => !row.mcpServers.includes(server)) }))
      .filter(({ extra }) => extra.length > 0);
    const evidence = `${rows.length} key(s), ${rows.filter((row) => row.toolServers.length > 0).length} with tool allow-lists, ${odd.length} inconsistent`;
    if (odd.length === 0) return pass(evidence);
    return warn(
      [evidence, ...odd.map(({ row, extra }) => `${keyLabel(row)}: ${extra.join(', ')} only in mcp_tool_permissions`)],
      [
        {
          cause:
            'LiteLLM grants every server named in mcp_tool_permissions even when mcp_servers lacks it, ' +
            'so these keys reach more servers than their mcp_servers say',
          fix:
            'declare the key in mcpgw.yaml with the server under both mcp_servers and mcp_tools and run ' +
            '`mcpgw keys sync`, or remove the server from the tool list in LiteLLM',
        },
      ],
    );
  },
};
