import { grantRows } from '../key-rows.js';
import { fail, pass, type Check } from '../types.js';

export const keysAliases: Check = {
  id: 'keys.aliases',
  title: 'no two keys share an alias',
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const rows = await grantRows(ctx);
    const byAlias = new Map<string, typeof rows>();
    for (const row of rows) if (row.alias) byAlias.set(row.alias, [...(byAlias.get(row.alias) ?? []), row]);
    // LiteLLM refuses a duplicate alias on /key/generate and /key/update (_enforce_unique_key_alias); rows written
    // around it (e.g. by an older mcpgw sync, after a key's value changed) are all admitted.
    const shared = [...byAlias].filter(([, same]) => same.length > 1);
    const evidence = `${rows.length} key(s), ${shared.length} alias(es) held by more than one key`;
    if (shared.length === 0) return pass(evidence);
    return fail(
      [evidence, ...shared.map(([alias, same]) => `${alias}: ${same.length} keys (${same.map((row) => row.token.slice(0, 8)).join(', ')}…)`)],
      shared.map(([alias, same]) => ({
        cause: `${same.length} keys answer to alias ${alias} and every one of them is admitted: an old value a client no longer should use still works`,
        fix:
          `\`mcpgw keys revoke ${alias}\` removes them all; then \`mcpgw keys sync\` (declared key) ` +
          `or \`mcpgw keys create --alias ${alias} …\` writes one again`,
      })),
    );
  },
};
