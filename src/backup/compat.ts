import type { SqlClient } from '../db/connect.js';
import { compareVersions, parseVersion } from '../litellm/version.js';
import type { BackupManifest, SchemaLevel } from './archive.js';

/** LiteLLM's schema level as the database records it (read-only). */
export async function readSchemaLevel(db: SqlClient): Promise<SchemaLevel> {
  const tables = (
    await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND ` +
        `table_name LIKE 'LiteLLM\\_%' ORDER BY table_name COLLATE "C"`,
    )
  ).rows.map((row) => row.name);
  const ledger = (await db.query<{ present: boolean }>(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present`)).rows[0]?.present;
  if (!ledger) return { migration: null, tables };
  // Prisma names migrations <timestamp>_<name>, so the greatest applied name is the newest one.
  const row = (
    await db.query<{ name: string }>(
      `SELECT migration_name AS name FROM public._prisma_migrations WHERE finished_at IS NOT NULL ` +
        `AND rolled_back_at IS NULL ORDER BY migration_name COLLATE "C" DESC LIMIT 1`,
    )
  ).rows[0];
  return { migration: row?.name ?? null, tables };
}

export interface CurrentLevel {
  schema: SchemaLevel;
  litellmVersion: string | null;
  /** The LiteLLM image the restore starts afterwards and the newest migration it ships, when it could be read. */
  image?: { image: string; newestMigration: string };
}

export type Compatibility = { compatible: true; basis: string } | { compatible: false; reason: string };

/**
 * May this backup go into this stack? An older schema is fine: LiteLLM migrates forward at start-up (the ledger
 * comes back with the dump). A newer one is not: the running LiteLLM's Prisma client does not know its tables
 * and columns. Judged on the best evidence present: both ledgers, else the table sets, else (the current
 * database is empty, e.g. wiped) the LiteLLM versions.
 */
export function checkCompatibility(manifest: Pick<BackupManifest, 'schema' | 'litellm'>, current: CurrentLevel): Compatibility {
  const backup = manifest.schema;
  // The image decides before the database: the LiteLLM started on the restored data must know every migration in it.
  if (backup.migration && current.image && backup.migration > current.image.newestMigration) {
    return {
      compatible: false,
      reason:
        `the backup's schema is at migration ${backup.migration}, newer than the newest migration ${current.image.image} ships ` +
        `(${current.image.newestMigration}): that LiteLLM would not know its tables`,
    };
  }
  if (backup.migration && current.schema.migration) {
    if (backup.migration > current.schema.migration) {
      return { compatible: false, reason: `the backup's schema is at migration ${backup.migration}, newer than this database's ${current.schema.migration}` };
    }
    return {
      compatible: true,
      basis: `migration ${backup.migration} ≤ ${current.schema.migration}${current.image ? ` and ≤ ${current.image.newestMigration} of ${current.image.image}` : ''}`,
    };
  }
  if (current.schema.tables.length > 0) {
    const unknown = backup.tables.filter((table) => !current.schema.tables.includes(table));
    if (unknown.length > 0)
      return { compatible: false, reason: `the backup has LiteLLM tables this database lacks (${unknown.join(', ')}): it comes from a newer LiteLLM` };
    return { compatible: true, basis: `its ${backup.tables.length} LiteLLM tables all exist here` };
  }
  const from = manifest.litellm.version;
  const to = current.litellmVersion;
  const [fromParsed, toParsed] = [from && parseVersion(from), to && parseVersion(to)];
  if (fromParsed && toParsed) {
    if (compareVersions(fromParsed, toParsed) > 0)
      return { compatible: false, reason: `the backup was made with LiteLLM ${from}, newer than this stack's ${to}` };
    return { compatible: true, basis: `LiteLLM ${from} ≤ ${to} (this database is empty)` };
  }
  return { compatible: true, basis: 'nothing to compare against (empty database, unknown LiteLLM version)' };
}
