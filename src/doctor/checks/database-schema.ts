import { fail, pass, warn, type Check } from '../types.js';

/** Tables mcpgw and the gateway depend on: keys, their MCP grants, users. */
const REQUIRED_TABLES = ['LiteLLM_VerificationToken', 'LiteLLM_ObjectPermissionTable', 'LiteLLM_UserTable'];

export const databaseSchema: Check = {
  id: 'database.schema',
  title: "LiteLLM's tables are present and every migration finished",
  area: 'database',
  needs: ['database'],
  async run(ctx) {
    const db = await ctx.db();
    const { rows } = await db.query<{ name: string; present: string | null }>(
      `SELECT name, to_regclass(format('%I', name))::text AS present FROM unnest($1::text[]) AS name`,
      [[...REQUIRED_TABLES, '_prisma_migrations']],
    );
    const missing = rows.filter((row) => !row.present && row.name !== '_prisma_migrations').map((row) => row.name);
    const fix = "restart LiteLLM (`mcpgw up`): its start-up runs Prisma's migrations; `mcpgw logs litellm` shows why they failed";
    if (missing.length > 0) return fail(`missing tables: ${missing.join(', ')}`, [{ cause: 'LiteLLM has not migrated this database', fix }]);
    if (!rows.some((row) => row.name === '_prisma_migrations' && row.present)) {
      return warn('key, grant and user tables present, but no _prisma_migrations ledger', [
        { cause: "the schema was not created by LiteLLM's migrations", fix },
      ]);
    }
    const ledger = await db.query<{ done: string; broken: string; newest: string | null }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL) AS done, ` +
        `count(*) FILTER (WHERE finished_at IS NULL OR rolled_back_at IS NOT NULL) AS broken, ` +
        `max(migration_name) FILTER (WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL) AS newest FROM "_prisma_migrations"`,
    );
    const { done = '0', broken = '0', newest = null } = ledger.rows[0] ?? {};
    // What a user can judge: the tables keys live in, and how far LiteLLM's migrations got (the newest one's name).
    const evidence =
      `key, grant and user tables present; ${done} migrations applied (newest ${newest ?? 'none'})` +
      (Number(broken) > 0 ? `, ${broken} unfinished or rolled back` : '');
    if (Number(broken) > 0) return fail(evidence, [{ cause: 'a migration failed half-way: LiteLLM may crash on the missing columns', fix }]);
    return pass(evidence);
  },
};
