import { durationSeconds } from '../../keys/desired.js';
import { keysOlderThan } from '../../keys/age.js';
import { TEMPORARY_ALIAS } from '../key-rows.js';
import { pass, skip, warn, type Check } from '../types.js';

export const keysAge: Check = {
  id: 'keys.age',
  title: 'no live key is older than keys_max_age',
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    if (!config.keys_max_age) return skip('keys_max_age is not set in mcpgw.yaml');
    const rows = (await ctx.keyRows()).filter((row) => !TEMPORARY_ALIAS.test(row.alias ?? ''));
    const stale = keysOlderThan(rows, durationSeconds(config.keys_max_age), ctx.now());
    const evidence = `${rows.length} key(s), ${stale.length} older than ${config.keys_max_age}`;
    if (stale.length === 0) return pass(evidence);
    return warn(
      [evidence, ...stale.map((key) => `${key.alias ?? key.keyName}: created ${key.createdAt} (${key.ageDays} days)`)],
      [
        {
          cause: 'these keys are due for rotation',
          fix: '`mcpgw keys rotate <alias>` (the old key keeps working for the grace period); see docs/key-rotation.md',
        },
      ],
    );
  },
};
