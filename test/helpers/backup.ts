import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSecrets } from '../../src/config/secrets.js';

/** The SQL dump inside an mcpgw backup (everything after its manifest line), to build test archives from. */
export async function archiveDump(file: string): Promise<Buffer> {
  const sql = gunzipSync(await readFile(file));
  return sql.subarray(sql.indexOf(0x0a) + 1);
}

/** The backup key `mcpgw backup` signs with, from the test stack's secrets file in `dir`. */
export async function backupKey(dir: string): Promise<string> {
  const key = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('MCPGW_BACKUP_KEY');
  if (!key) throw new Error(`no MCPGW_BACKUP_KEY in ${dir}/secrets.env`);
  return key;
}

/**
 * An archive as an attacker without the backup key writes one: any SQL, the manifest's sha256 and length
 * recomputed so the file is "intact", no signature (format 2 without auth, or format 1 as before signing).
 */
export async function forgeArchive(file: string, manifest: Record<string, unknown>, sql: string, version = 2): Promise<void> {
  const { createHash } = await import('node:crypto');
  const { writeFile } = await import('node:fs/promises');
  const { gzipSync } = await import('node:zlib');
  const { auth: _auth, ...unsigned } = manifest;
  const forged = { ...unsigned, version, dump: { sha256: createHash('sha256').update(sql).digest('hex'), bytes: Buffer.byteLength(sql) } };
  await writeFile(file, Buffer.concat([gzipSync(`-- mcpgw-backup ${JSON.stringify(forged)}\n`), gzipSync(sql)]), { mode: 0o600 });
}

/** The attacks every restore path must refuse before anything runs; `mark` names a file the attack would create. */
export function attacks(mark: string): Record<string, { sql: string; says: RegExp }> {
  return {
    'shell escape': { sql: `\\! touch ${mark}-shell\nSELECT 1;\n`, says: /line \d+: psql meta-command \\!/ },
    'COPY TO PROGRAM': {
      sql: `COPY (SELECT 1) TO PROGRAM 'touch ${mark}-program';\n`,
      says: /line \d+: COPY of a table outside public/,
    },
    'superuser role': { sql: 'CREATE ROLE evil SUPERUSER LOGIN;\n', says: /line \d+: CREATE ROLE is not a statement pg_dump writes/ },
    'meta-command mid-line': {
      sql: `SET statement_timeout = 0; \\o |touch ${mark}-pipe\nSELECT 1;\n`,
      says: /line \d+: psql meta-command \\o/,
    },
  };
}
