import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeArchive, type BackupManifest, type ManifestFields } from './archive.js';
import type { PgTools } from './pg-tools.js';

/** Folder, next to mcpgw.yaml, that `backup` writes to and `--keep` rotates. */
export const BACKUP_DIR = 'backups';

/** litellm-20261126T134502Z.sql.gz: UTC, sortable by name, no characters a shell or Windows share dislikes. */
export function backupFileName(stack: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stack}-${stamp}.sql.gz`;
}

function isBackupOf(stack: string, name: string): boolean {
  return name.startsWith(`${stack}-`) && /^\d{8}T\d{6}Z\.sql\.gz$/.test(name.slice(stack.length + 1));
}

/** Dumps through `tools` into a new archive at `file`, signed with the stack's backup key. */
export async function createBackup(file: string, fields: ManifestFields, key: string, tools: PgTools): Promise<BackupManifest> {
  // 0700: the folder holds key hashes and LiteLLM's encrypted credentials; a folder made here also keeps
  // them out of git, as the rendered env/ folder does.
  const created = await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  if (created) await writeFile(path.join(path.dirname(file), '.gitignore'), '*\n', { mode: 0o600 });
  return writeArchive(file, { ...fields, scope: 'litellm' }, key, (sink) => tools.dump(sink));
}

/** This stack's backups in `dir` (files named like `backupFileName`), newest first; none when `dir` is absent. */
export async function stackBackups(dir: string, stack: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return names
    .filter((name) => isBackupOf(stack, name))
    .sort()
    .reverse();
}

/**
 * Keeps the newest `keep` backups of this stack in `dir` and deletes older ones. Only files named like
 * `backupFileName` for this stack are considered, so a user's own files in the folder are never touched.
 */
export async function rotateBackups(dir: string, stack: string, keep: number): Promise<string[]> {
  const doomed = (await stackBackups(dir, stack)).slice(keep);
  for (const name of doomed) await rm(path.join(dir, name));
  return doomed;
}
