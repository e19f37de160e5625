import { keySecretName } from '../../config/rules.js';
import { grantRows, keyLabel } from '../key-rows.js';
import { fail, pass, warn, type Cause, type Check } from '../types.js';

export const keysMcpGrant: Check = {
  id: 'keys.mcp-grant',
  title: 'every key has an MCP permission row',
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const declared = new Set(config.keys.map((key) => key.alias));
    const now = ctx.deps.now().getTime();
    const active = (await grantRows(ctx)).filter((row) => !row.blocked && !(row.expires && row.expires.getTime() <= now));
    const noRow = active.filter((row) => !row.hasPermission);
    const empty = active.filter((row) => row.hasPermission && row.mcpServers.length === 0 && row.mcpGroups.length === 0);
    const evidence = `${active.length} active key(s): ${noRow.length} without an object-permission row, ${empty.length} with an empty grant`;
    const causes: Cause[] = noRow.map((row) => ({
      cause: `key ${keyLabel(row)} has no LiteLLM_ObjectPermissionTable row: it sees no MCP server (the seed's "virtual key ↔ MCP server association" failure)`,
      fix:
        row.alias && declared.has(row.alias)
          ? 'run `mcpgw keys sync`'
          : `\`mcpgw keys revoke ${row.alias ?? row.token.slice(0, 12)}\`, then \`mcpgw keys create ` +
            `--alias … --mcp <servers>\` (or declare it in mcpgw.yaml with its ` +
            `${keySecretName(row.alias ?? 'alias')} secret)`,
    }));
    if (causes.length > 0) return fail(evidence, causes);
    if (empty.length > 0) {
      return warn(evidence, [
        {
          cause: `${empty.map(keyLabel).join(', ')} may use no MCP server (fine for an LLM-only key)`,
          fix: 'grant servers with `mcpgw keys create --mcp …` or in mcpgw.yaml + `mcpgw keys sync`',
        },
      ]);
    }
    return pass(evidence);
  },
};
