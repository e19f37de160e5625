import { KeyStore } from '../../keys/store.js';
import { grantRows } from '../key-rows.js';
import { fail, pass, type Cause, type Check } from '../types.js';

/** Grants are keys.grants' finding; this check covers the rest of what `keys sync` repairs. */
const GRANT_FIELDS = new Set(['mcp_servers', 'mcp_groups']);

export const keysSettings: Check = {
  id: 'keys.settings',
  title: "declared keys' models, budget, tool lists and rate limits match mcpgw.yaml",
  area: 'keys',
  needs: ['config', 'secrets', 'database'],
  async run(ctx) {
    const declared = await ctx.declaredKeys();
    if (declared.length === 0) return pass('mcpgw.yaml declares no key');
    await grantRows(ctx); // asserts the key tables exist
    const drift = (await new KeyStore(await ctx.db(), ctx.deps.clock).drift(declared))
      .map((entry) => ({ ...entry, fields: entry.fields.filter((field) => !GRANT_FIELDS.has(field)) }))
      .filter((entry) => entry.fields.length > 0);
    const causes: Cause[] = drift.map((entry) => ({
      cause:
        `${entry.alias} differs from mcpgw.yaml in ${entry.fields.join(', ')} (changed in LiteLLM's ` +
        `UI or API, or mcpgw.yaml was edited since the last sync)`,
      fix: 'run `mcpgw keys sync` (`keys sync --dry-run` shows the changes and exits 1 while there are any)',
    }));
    const evidence = `${declared.length} declared key(s), ${drift.length} with drifted settings`;
    return causes.length === 0 ? pass(evidence) : fail(evidence, causes);
  },
};
