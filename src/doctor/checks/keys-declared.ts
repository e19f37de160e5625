import { grantRows } from '../key-rows.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const keysDeclared: Check = {
  id: 'keys.declared',
  title: 'every key declared in mcpgw.yaml exists with its hash',
  area: 'keys',
  needs: ['config', 'secrets', 'database'],
  async run(ctx) {
    const declared = await ctx.declaredKeys();
    if (declared.length === 0) return pass('mcpgw.yaml declares no key');
    const rows = await grantRows(ctx);
    const causes: Cause[] = [];
    for (const key of declared) {
      if (rows.some((row) => row.token === key.token)) continue;
      const sameAlias = rows.find((row) => row.alias === key.alias);
      causes.push(
        sameAlias && key.keyName === null
          ? {
              cause: `${key.alias} exists with another hash than its token_sha256 in mcpgw.yaml (rotated in LiteLLM, or edited by hand)`,
              fix: "`mcpgw keys sync` puts the declared hash back (the row's current key stops working); or declare the row's current hash",
            }
          : sameAlias
            ? {
                cause: `${key.alias} exists with another hash: the key in the secrets file is not the one LiteLLM knows (rotated, or edited by hand)`,
                fix: '`mcpgw keys sync` writes the declared key; or put the current key in the secrets file',
              }
            : { cause: `${key.alias} is not in the database (e.g. after a DB wipe): clients using it get 401`, fix: 'run `mcpgw keys sync`' },
      );
    }
    const evidence = `${declared.length - causes.length} of ${declared.length} declared key(s) present by sha256 hash`;
    return causes.length === 0 ? pass(evidence) : fail(evidence, causes);
  },
};
