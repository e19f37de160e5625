import { grantRows, keyLabel } from '../key-rows.js';
import { fail, pass, warn, type Check } from '../types.js';

export const keysExpired: Check = {
  id: 'keys.expired',
  title: 'no declared key is expired or blocked',
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const declared = new Set(config.keys.map((key) => key.alias));
    const now = ctx.now();
    const rows = await grantRows(ctx);
    const dead = rows.filter((row) => row.blocked || (row.expires && row.expires.getTime() <= now.getTime()));
    const describe = (row: (typeof rows)[number]) => `${keyLabel(row)}: ${row.blocked ? 'blocked' : `expired ${row.expires?.toISOString()}`}`;
    const ofDeclared = dead.filter((row) => row.alias && declared.has(row.alias));
    const evidence = `${rows.length} key(s), ${dead.length} expired or blocked`;
    if (ofDeclared.length > 0) {
      return fail(
        [evidence, ...ofDeclared.map(describe)],
        [{ cause: 'clients using these keys get 401', fix: '`mcpgw keys rotate <alias>` issues a fresh key with the same grants (or unblock it in LiteLLM)' }],
      );
    }
    if (dead.length > 0) return warn([evidence, ...dead.map(describe)], [{ cause: 'stale keys clutter `keys list`', fix: '`mcpgw keys revoke <alias>`' }]);
    return pass(evidence);
  },
};
