// LiteLLM's real DB schema for tests: the migration.sql files of the litellm-proxy-extras version
// that the pinned litellm installs (extracted by prepare.sh), applied in Prisma's order.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * The schema (schema.prisma + migrations) of the litellm-proxy-extras installed in a LiteLLM image, as prepare.sh
 * extracts the current one: under `root`/litellm-proxy-extras-<version>, once (a `.complete` marker; a directory
 * filled by a run that died is made again). For an older release's real schema, e.g. the seed's 1.77.3 (0.2.19).
 */
export async function imageSchema(image: string, root: string, labels: Record<string, string>): Promise<{ version: string; dir: string }> {
  const labelArgs = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  const inImage = (script: string) =>
    spawn('docker', ['run', '--rm', '--network', 'none', ...labelArgs, '--entrypoint', 'sh', image, '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const finished = (child: ChildProcess, what: string, collect = false) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      if (collect) child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed (exit ${code}): ${err.trim()}`))));
    });
  const python = `/opt/venv/bin/python -c`;
  const version = (
    await finished(
      inImage(`${python} 'import importlib.metadata as m; print(m.version("litellm-proxy-extras"))'`),
      `reading ${image}'s litellm-proxy-extras`,
      true,
    )
  ).trim();
  const dir = join(root, `litellm-proxy-extras-${version}`);
  if (existsSync(join(dir, '.complete'))) return { version, dir };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const tar = spawn('tar', ['-C', dir, '-x'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const pack = inImage(
    `cd "$(${python} 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))')" && tar -c schema.prisma migrations`,
  );
  pack.stdout?.pipe(tar.stdin as NodeJS.WritableStream);
  await Promise.all([finished(pack, `packing ${image}'s migrations`), finished(tar, 'unpacking them')]);
  if ((await listMigrations(dir)).length === 0) throw new Error(`no migrations in ${image}'s litellm-proxy-extras ${version}`);
  await writeFile(join(dir, '.complete'), '');
  return { version, dir };
}
