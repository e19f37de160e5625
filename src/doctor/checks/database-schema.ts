import { randomBytes } from 'node:crypto';
import { compareSchema, describeVerdict, migrationsReader, readLedger, someNames } from '../../litellm/migrations.js';
import { labelsFor } from '../../stack/labels.js';
import type { DoctorContext } from '../context.js';
import { fail, pass, skip, warn, type Check } from '../types.js';

/** Tables mcpgw and the gateway depend on: keys, their MCP grants, users. */
const REQUIRED_TABLES = ['LiteLLM_VerificationToken', 'LiteLLM_ObjectPermissionTable', 'LiteLLM_UserTable'];

/**
 * The image LiteLLM runs: the stack's own container, else the adopted one (`adopted.litellm_container`), else
 * (nothing runs) the one mcpgw.yaml names, which the next start would migrate with. When mcpgw.yaml does not
 * validate, the running container's alone (undefined when none runs).
 */
async function runningImage(ctx: DoctorContext): Promise<{ image: string; where: string } | undefined> {
  const own = await ctx.litellmContainer().catch(() => undefined);
  const running = own?.state === 'running' ? { image: own.image, where: `container ${own.name}` } : undefined;
  if (!(await ctx.place()).valid) return running;
  const { config } = await ctx.loaded();
  // On a swarm the replicas run mcpgw.yaml's image, the same id on every node (swarm.images, replicas.version).
  if (config.engine === 'swarm') return { image: config.litellm.image, where: 'mcpgw.yaml (engine: swarm: every replica runs it)' };
  if (running) return running;
  if (config.adopted) {
    const adopted = (await (await ctx.docker()).listContainers([])).find((container) => container.name === config.adopted?.litellm_container);
    if (adopted?.state === 'running') return { image: adopted.image, where: `adopted container ${adopted.name}` };
  }
  return { image: config.litellm.image, where: 'mcpgw.yaml (no LiteLLM container runs)' };
}

export const databaseSchema: Check = {
  id: 'database.schema',
  title: "LiteLLM's migration ledger matches the migrations of the image that runs",
  area: 'database',
  needs: ['database'],
  async run(ctx) {
    const db = await ctx.db();
    const { rows } = await db.query<{ name: string; present: string | null }>(
      `SELECT name, to_regclass(format('%I', name))::text AS present FROM unnest($1::text[]) AS name`,
      [REQUIRED_TABLES],
    );
    const missing = rows.filter((row) => !row.present).map((row) => row.name);
    const ledger = await readLedger(db);
    const restart = 'restart LiteLLM (`mcpgw up`): its start-up runs the migrations; `mcpgw logs litellm` shows why they failed';
    if (missing.length > 0 && ledger.litellmTables === 0 && !ledger.present)
      return fail(`missing tables: ${missing.join(', ')}`, [{ cause: 'LiteLLM has not migrated this database', fix: restart }]);
    const running = await runningImage(ctx);
    if (!running)
      return skip(
        `${missing.length > 0 ? `missing tables: ${missing.join(', ')}; ` : ''}no LiteLLM container runs and mcpgw.yaml, which names its image, does not validate`,
      );
    const { image, where } = running;
    const labels = labelsFor((await ctx.place()).name, 'doctor');
    const shipped = await ctx
      .docker()
      .then((engine) => migrationsReader(engine, labels, () => randomBytes(4).toString('hex'))(image))
      .catch((error: Error) => error);
    const evidence = [`image: ${image} (${where})`];
    if (shipped instanceof Error) {
      if (missing.length > 0)
        return fail([...evidence, `missing tables: ${missing.join(', ')}`], [{ cause: 'LiteLLM has not migrated this database', fix: restart }]);
      return warn(
        [...evidence, shipped.message],
        [
          {
            cause: "the image's migrations could not be read, so the ledger was not compared",
            fix: 'pull or build the image (`mcpgw up`), then run doctor again',
          },
        ],
      );
    }
    const verdict = compareSchema(ledger, shipped);
    evidence.push(`litellm-proxy-extras ${shipped.extras}: ${shipped.names.length} migrations`, describeVerdict(verdict, image));
    switch (verdict.state) {
      case 'current':
        return missing.length > 0
          ? fail(
              [...evidence, `missing tables: ${missing.join(', ')}`],
              [{ cause: 'tables were dropped after the migrations ran', fix: 'restore the latest backup (`mcpgw restore FILE`)' }],
            )
          : pass(...evidence);
      case 'empty':
        return fail(evidence, [{ cause: 'LiteLLM has not migrated this database', fix: restart }]);
      case 'behind':
        return warn(evidence, [
          {
            cause: `${verdict.pending.length} migration(s) of the running image are not applied: LiteLLM queries columns the database lacks`,
            fix: 'run `mcpgw upgrade` (backs up, rehearses the migrations, applies them, rolls back on failure)',
          },
        ]);
      case 'ahead':
        return fail(evidence, [
          {
            cause: `the running LiteLLM is older than the schema (${someNames(verdict.unknown)} unknown to it): its queries may miss or misread columns`,
            fix: 'run the LiteLLM version that migrated this database (`mcpgw upgrade --to VERSION`), or restore a backup made before that migration',
          },
        ]);
      case 'failed':
        return fail(evidence, [
          {
            cause: `migration(s) ${someNames(verdict.failed)} failed half-way: Prisma applies nothing after them and LiteLLM may crash on missing columns`,
            fix: 'restore the backup made before the failed migration (`mcpgw restore FILE`), then `mcpgw upgrade`; `mcpgw logs litellm` shows why it failed',
          },
        ]);
      case 'unverifiable':
        return fail(evidence, [
          {
            cause:
              'a schema without a ledger (made by `prisma db push` or rebuilt by hand) cannot be checked: a migration may fail on it, or LiteLLM on a missing column',
            fix: 'restore a backup that carries its _prisma_migrations ledger (`mcpgw restore FILE`), or let LiteLLM migrate an empty database and re-create the keys',
          },
        ]);
    }
  },
};
