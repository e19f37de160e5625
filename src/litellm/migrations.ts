/**
 * LiteLLM's Prisma migrations: the names an image ships (litellm-proxy-extras' migrations folder, read from
 * inside the image) against the names a database's `_prisma_migrations` ledger records. Ground: the container
 * run and the SQL client arrive as the small functions below, so doctor and upgrade share one judgement.
 */

/** What an image ships: litellm-proxy-extras' version, its migrations folder inside the image, the names in it. */
export interface ImageMigrations {
  image: string;
  extras: string;
  dir: string;
  names: string[];
}

/**
 * Run by the image's own python (`--network none`): prints litellm-proxy-extras' version, its migrations folder and
 * one migration name a line. Prisma takes every directory named `<8-14 digits>_…`, in name order.
 */
export const LIST_MIGRATIONS_PY = [
  'import importlib.metadata as m, os, re, litellm_proxy_extras as x',
  "d = os.path.join(os.path.dirname(x.__file__), 'migrations')",
  "print(m.version('litellm-proxy-extras')); print(d)",
  "[print(n) for n in sorted(os.listdir(d)) if re.match(r'^[0-9]{8,14}_', n) and os.path.isdir(os.path.join(d, n))]",
].join('\n');

/**
 * The image's python wherever it is: mcpgw's images keep LiteLLM in /opt/venv, LiteLLM's own images on PATH.
 * `$0` is the script, so nothing is quoted into the shell.
 */
export const PYTHON_ANYWHERE =
  'for py in /opt/venv/bin/python /usr/local/bin/python3 python3 python; do command -v "$py" >/dev/null 2>&1 && exec "$py" -c "$0"; done; exit 127';
export const LIST_MIGRATIONS_CMD = ['sh', '-c', PYTHON_ANYWHERE, LIST_MIGRATIONS_PY];
/** Run the same way: prints the version of the litellm package installed in the image. */
export const LITELLM_VERSION_PY = "import importlib.metadata as m\nprint(m.version('litellm'))";

/** The part of the container engine the reading needs (structurally the engine's own methods). */
export interface ImageRunner {
  runOnce(
    spec: { name: string; image: string; entrypoint: string[]; cmd: string[]; labels: Record<string, string>; networks: string[] },
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }>;
  imageId(image: string): Promise<string | undefined>;
}

/** A listing needs no network and ends in seconds. */
const LIST_TIMEOUT_MS = 60_000;

export class MigrationsUnreadable extends Error {}

export function parseImageMigrations(image: string, result: { exitCode: number; output: string }): ImageMigrations {
  const lines = result.output.split('\n').map((line) => line.trim());
  const [extras = '', dir = '', ...rest] = lines;
  const names = rest.filter((line) => /^\d{8,14}_/.test(line));
  if (result.exitCode !== 0 || !/^\d+\.\d+/.test(extras) || names.length === 0)
    throw new MigrationsUnreadable(
      `could not list the migrations ${image} ships (exit ${result.exitCode}): ${lines.filter(Boolean).slice(-3).join(' | ') || 'no output'}`,
    );
  return { image, extras, dir, names };
}

/**
 * Reads an image's migrations from inside it (a throwaway container with no network, labelled `labels`), once per
 * image id within one run: a tag moved to another image is read again, and nothing is kept across runs, so a
 * check is always of the image as it is now.
 */
export function migrationsReader(engine: ImageRunner, labels: Record<string, string>, suffix: () => string): (image: string) => Promise<ImageMigrations> {
  const byId = new Map<string, Promise<ImageMigrations>>();
  return async (image) => {
    const id = await engine.imageId(image);
    if (!id) throw new MigrationsUnreadable(`the image ${image} is not on this machine`);
    let found = byId.get(id);
    if (!found) {
      const spec = { name: `mcpgw-migrations-${suffix()}`, image, entrypoint: LIST_MIGRATIONS_CMD, cmd: [], labels, networks: ['none'] };
      found = engine.runOnce(spec, LIST_TIMEOUT_MS).then((result) => parseImageMigrations(image, result));
      byId.set(id, found);
    }
    return found;
  };
}

/** One `_prisma_migrations` row as far as the judgement goes. */
export interface LedgerRow {
  name: string;
  finished: boolean;
  rolledBack: boolean;
}

export interface Ledger {
  /** false: no `_prisma_migrations` table. */
  present: boolean;
  /** LiteLLM_* tables in public, with or without a ledger. */
  litellmTables: number;
  rows: LedgerRow[];
}

interface Queryable {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** The ledger as the database holds it (read-only). */
export async function readLedger(db: Queryable): Promise<Ledger> {
  const [state] = (
    await db.query<{ ledger: boolean; tables: string }>(
      `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ledger, ` +
        `(SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'LiteLLM\\_%') AS tables`,
    )
  ).rows;
  const litellmTables = Number(state?.tables ?? 0);
  if (!state?.ledger) return { present: false, litellmTables, rows: [] };
  const rows = (
    await db.query<{ name: string; finished: boolean; rolled_back: boolean }>(
      `SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back ` +
        `FROM public._prisma_migrations ORDER BY migration_name COLLATE "C", started_at`,
    )
  ).rows.map((row) => ({ name: row.name, finished: row.finished, rolledBack: row.rolled_back }));
  return { present: true, litellmTables, rows };
}

/**
 * The ledger against an image's migrations:
 * - empty: no LiteLLM tables, no ledger (LiteLLM creates everything on its first start);
 * - unverifiable: LiteLLM tables but no ledger (`prisma db push`, a schema rebuilt by hand): nothing says which
 *   columns exist, so no migration can be trusted to apply, nor the schema to be complete;
 * - failed: rows that never finished or were rolled back (Prisma refuses to go on until they are resolved);
 * - ahead: applied names the image does not ship (a newer LiteLLM migrated this database: a downgrade);
 * - behind: names the image ships that the ledger lacks (its start-up, or `upgrade`, applies them);
 * - current: every shipped name applied, nothing else.
 */
export type SchemaVerdict =
  | { state: 'empty' }
  | { state: 'unverifiable'; tables: number }
  | { state: 'failed'; failed: string[]; pending: string[]; unknown: string[] }
  | { state: 'ahead'; unknown: string[]; pending: string[] }
  | { state: 'behind'; pending: string[]; applied: number }
  | { state: 'current'; applied: number; newest: string };

export function compareSchema(ledger: Ledger, shipped: Pick<ImageMigrations, 'names'>): SchemaVerdict {
  if (!ledger.present) return ledger.litellmTables > 0 ? { state: 'unverifiable', tables: ledger.litellmTables } : { state: 'empty' };
  // A name retried after a failure has a failed row and a finished one; only the finished one counts.
  const applied = new Set(ledger.rows.filter((row) => row.finished && !row.rolledBack).map((row) => row.name));
  const failed = [...new Set(ledger.rows.filter((row) => (!row.finished || row.rolledBack) && !applied.has(row.name)).map((row) => row.name))];
  const ships = new Set(shipped.names);
  const pending = shipped.names.filter((name) => !applied.has(name));
  const unknown = [...applied].filter((name) => !ships.has(name)).sort();
  if (failed.length > 0) return { state: 'failed', failed, pending, unknown };
  if (unknown.length > 0) return { state: 'ahead', unknown, pending };
  if (pending.length > 0) return { state: 'behind', pending, applied: applied.size };
  return { state: 'current', applied: applied.size, newest: shipped.names[shipped.names.length - 1] ?? '' };
}

/** A list of migration names for a message: the first few and how many more. */
export function someNames(names: string[], shown = 3): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** The verdict in one line, for doctor and upgrade alike. */
export function describeVerdict(verdict: SchemaVerdict, image: string): string {
  switch (verdict.state) {
    case 'empty':
      return 'no LiteLLM tables and no migration ledger yet (LiteLLM creates them on its first start)';
    case 'unverifiable':
      return `${verdict.tables} LiteLLM tables but no _prisma_migrations ledger: nothing records which of ${image}'s migrations this schema has`;
    case 'failed':
      return `migration(s) failed or rolled back in the ledger: ${someNames(verdict.failed)}`;
    case 'ahead':
      return `the ledger has ${verdict.unknown.length} migration(s) ${image} does not ship (${someNames(verdict.unknown)}): a newer LiteLLM migrated this database`;
    case 'behind':
      return `${verdict.applied} migrations applied, ${verdict.pending.length} of ${image}'s still to apply (${someNames(verdict.pending)})`;
    case 'current':
      return `all ${verdict.applied} migrations of ${image} applied (newest ${verdict.newest})`;
  }
}
