// LiteLLM's real DB schema for tests: the migration.sql files of the litellm-proxy-extras version
// that the pinned litellm installs (extracted by prepare.sh), applied in Prisma's order.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The subset of pg.Client / pg.Pool this module needs. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface Migration {
  name: string;
  sql: string;
}

// Prisma applies every migration directory in byte order of its name. litellm-proxy-extras
// names them <timestamp>_<name>; most timestamps have 14 digits but one has 8
// (20260108_add_user_email_lower_idx, 0.4.110), so accept 8-14. `0_init` is the baseline the
// proxy writes at runtime for a non-empty DB and must not be applied together with the
// real baseline.
const MIGRATION_DIR = /^\d{8,14}_/;

export async function listMigrations(schemaDir: string): Promise<Migration[]> {
  const root = join(schemaDir, 'migrations');
  const entries = await readdir(root, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && MIGRATION_DIR.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new Error(`no LiteLLM migrations under ${root}`);
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(root, name, 'migration.sql'), 'utf8') })));
}

export interface ApplyOptions {
  /**
   * Also fill Prisma's `_prisma_migrations` ledger (checksum = sha256 of the file), as
   * `prisma migrate deploy` would, so a real proxy started on this DB sees nothing pending.
   */
  recordLedger?: boolean;
}

/**
 * Applies the migrations one file at a time. Each file goes as one simple query: Postgres runs a
 * multi-statement string as one implicit transaction, and a single-statement file (the
 * `CREATE INDEX CONCURRENTLY` ones) in autocommit, as Prisma does.
 */
export async function applyLiteLLMSchema(db: SqlRunner, schemaDir: string, options: ApplyOptions = {}): Promise<Migration[]> {
  const migrations = await listMigrations(schemaDir);
  if (options.recordLedger) {
    await db.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  }
  for (const m of migrations) {
    try {
      await db.query(m.sql);
    } catch (err) {
      throw new Error(`LiteLLM migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
    }
    if (options.recordLedger) {
      await db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES (gen_random_uuid()::text, $1, now(), $2, 1)`,
        [createHash('sha256').update(m.sql).digest('hex'), m.name],
      );
    }
  }
  return migrations;
}
