import { fail, pass, type Check } from '../types.js';

export const databaseReachable: Check = {
  id: 'database.reachable',
  title: "LiteLLM's database accepts mcpgw's connection",
  area: 'database',
  needs: ['config', 'secrets'],
  reports: 'database',
  async run(ctx) {
    try {
      const db = await ctx.db();
      const { rows } = await db.query<{ version: string }>('SELECT current_setting($1) AS version', ['server_version']);
      const { config } = await ctx.loaded();
      return pass(`connected as ${config.postgres.user} to ${config.postgres.database} (${config.postgres.mode}, Postgres ${rows[0]?.version ?? '?'})`);
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      return fail((error as Error).message, [
        { cause: 'mcpgw cannot reach the database, so neither can key management', fix: hint ?? '`mcpgw status`; `mcpgw logs postgres`' },
      ]);
    }
  },
};
