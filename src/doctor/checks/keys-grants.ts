import { serverIds } from '../../keys/desired.js';
import { grantRows } from '../key-rows.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const keysGrants: Check = {
  id: 'keys.grants',
  title: "declared keys' MCP grants match mcpgw.yaml",
  area: 'keys',
  needs: ['config', 'secrets', 'database'],
  async run(ctx) {
    const model = await ctx.model();
    const declared = await ctx.declaredKeys();
    const names = new Map([...serverIds(model)].map(([name, id]) => [id, name]));
    const named = (ids: string[]) => ids.map((id) => names.get(id) ?? `unknown server id ${id}`).join(', ') || 'none';
    const rows = await grantRows(ctx);
    const evidence: string[] = [];
    const causes: Cause[] = [];
    for (const key of declared) {
      const row = rows.find((candidate) => candidate.token === key.token);
      // Missing rows are keys.declared's finding, rows without a permission row keys.mcp-grant's.
      if (!row?.hasPermission) continue;
      const same = row.mcpServers.join() === key.mcpServers.join() && row.mcpGroups.join() === key.mcpGroups.join();
      evidence.push(`${key.alias}: servers ${named(row.mcpServers)}${row.mcpGroups.length ? `; groups ${row.mcpGroups.join(', ')}` : ''}`);
      if (!same) {
        causes.push({
          cause:
            `${key.alias} is granted ` +
            `${named(row.mcpServers)}${row.mcpGroups.length ? ` (groups ${row.mcpGroups.join(', ')})` : ''}; ` +
            `mcpgw.yaml grants ${named(key.mcpServers)}${key.mcpGroups.length ? ` (groups ${key.mcpGroups.join(', ')})` : ''}`,
          fix: 'run `mcpgw keys sync` to make the grants match mcpgw.yaml',
        });
      }
    }
    if (evidence.length === 0) evidence.push('no declared key with grants to compare');
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
