import { fail, pass, type Check } from '../types.js';

export const databaseReachable: Check = {
  id: 'database.reachable',
  title: "LiteLLM's database accepts mcpgw's connection",
  area: 'database',
  // Also when mcpgw.yaml does not validate: then the database is found from the stack's running containers.
  needs: ['secrets'],
  reports: 'database',
  async run(ctx) {
    try {
      const db = await ctx.db();
      // The role mcpgw really logs in as: LiteLLM's in external mode, mcpgw's keys role for the bundled Postgres.
      const { rows } = await db.query<{ version: string; role: string; database: string }>(
        'SELECT current_setting($1) AS version, current_user AS role, current_database() AS database',
        ['server_version'],
      );
      const mode = await ctx.loaded().then(
        ({ config }) => config.postgres.mode,
        () => 'found from the running containers: mcpgw.yaml does not validate',
      );
      const row = rows[0];
      return pass(`connected as ${row?.role ?? '?'} to ${row?.database ?? '?'} (${mode}, Postgres ${row?.version ?? '?'})`);
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      return fail((error as Error).message, [
        { cause: 'mcpgw cannot reach the database, so neither can key management', fix: hint ?? '`mcpgw status`; `mcpgw logs postgres`' },
      ]);
    }
  },
};
