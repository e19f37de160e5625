import { legacyServerIds, serverIds } from '../../keys/desired.js';
import { grantRows, keyLabel } from '../key-rows.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const keysServerIds: Check = {
  id: 'keys.server-ids',
  title: "every key's MCP grants name servers that exist",
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const model = await ctx.model();
    const ids = serverIds(model);
    const known = new Set([...ids.values(), ...ids.keys()]); // LiteLLM also matches a grant by server name
    const legacy = legacyServerIds(model);
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const rows = await grantRows(ctx);
    const causes: Cause[] = [];
    let unmigrated = 0;
    for (const row of rows) {
      const stale = row.mcpServers.filter((id) => !known.has(id));
      if (stale.length === 0) continue;
      const old = stale.filter((id) => legacy.has(id));
      unmigrated += old.length;
      const gone = stale.filter((id) => !legacy.has(id));
      if (old.length > 0) {
        causes.push({
          cause:
            `${keyLabel(row)} grants ` +
            `${old.map((id) => `${names.get(legacy.get(id) ?? '')} by its old derived id`).join(', ')}: ` +
            `LiteLLM now knows the server by its pinned server_id, so the key does not reach it`,
          fix: 'run `mcpgw keys sync` or `mcpgw up` (either moves every grant to the pinned ids once, declared keys or not)',
        });
      }
      if (gone.length > 0) {
        causes.push({
          cause:
            `${keyLabel(row)} grants server id(s) ${gone.join(', ')} that no server in config.yaml has ` +
            `(a removed server, or an id derived from an old URL): the key silently lacks that server`,
          fix:
            `grant the server again by name: \`mcpgw keys revoke ${row.alias ?? '<key>'}\` and \`mcpgw ` +
            `keys create --alias ${row.alias ?? '<alias>'} --mcp <servers>\`, or declare the key in ` +
            `mcpgw.yaml and run \`mcpgw keys sync\``,
        });
      }
    }
    const pending = unmigrated ? `, ${unmigrated} grant(s) not yet migrated` : '';
    const found = causes.length === 0 ? 'every grant names a server in config.yaml' : `${causes.length} finding(s)${pending}`;
    const evidence = `${rows.length} key(s): ${found}`;
    return causes.length === 0 ? pass(evidence) : fail(evidence, causes);
  },
};
