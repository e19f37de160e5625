import { randomBytes } from 'node:crypto';
import { chmod, copyFile, constants, mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { readIfExists } from '../fs.js';
import type { FileEdit } from './types.js';

export interface WriteResult {
  /** The file written; a symlinked config (dotfile managers) is followed to its real file. */
  file: string;
  action: 'created' | 'updated' | 'unchanged';
  /** Copy of the previous content, made before anything was replaced. */
  backup?: string;
  /** The permission bits the file had when they were tightened to 0600 because it holds a key. */
  tightenedFrom?: number;
}

async function resolveLink(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw error;
  }
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/** How many of its backups a client file keeps: each may hold a key, one that rotation retired included. */
export const BACKUPS_KEPT = 3;

/**
 * A backup next to the file that never overwrites an earlier one; one of a file that holds a key is 0600 whatever
 * the file was. The oldest backups beyond BACKUPS_KEPT go (their names sort by time).
 */
async function backUp(file: string, now: Date, holdsKey: boolean): Promise<string> {
  const prefix = `${path.basename(file)}.mcpgw-backup-`;
  for (let attempt = 0; ; attempt += 1) {
    const backup = `${file}.mcpgw-backup-${stamp(now)}${attempt ? `-${attempt}` : ''}`;
    try {
      await copyFile(file, backup, constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    }
    if (holdsKey) await chmod(backup, 0o600);
    const backups = (await readdir(path.dirname(file))).filter((name) => name.startsWith(prefix)).sort(byTime);
    for (const old of backups.slice(0, -BACKUPS_KEPT)) await rm(path.join(path.dirname(file), old), { force: true });
    return backup;
  }
}

/** Backup names in the order they were made: the stamp, then the attempt (`-1`, `-2`) of the same stamp. */
function byTime(a: string, b: string): number {
  const parts = (name: string) => /^(.*?Z)(?:-(\d+))?$/.exec(name.slice(name.indexOf('.mcpgw-backup-') + 14)) ?? [];
  const [, stampA = '', attemptA = '0'] = parts(a);
  const [, stampB = '', attemptB = '0'] = parts(b);
  return stampA === stampB ? Number(attemptA) - Number(attemptB) : stampA < stampB ? -1 : 1;
}

/**
 * Applies `edit` to a client's config file safely: a file the edit rejects (malformed) is left as it is; an edit
 * that changes nothing writes nothing (re-runs are idempotent); otherwise the new content goes to a temp file in
 * the same directory, the old file is copied to a backup, and the temp file is renamed over it (atomic), keeping
 * the old file's permission bits. New files get `newFileMode`; a file that holds a key (`holdsKey`) is made 0600
 * whatever it was, new or not, since the key must not be readable by others. Clients rewrite their
 * own files while running (Claude Code does on every start), so a file that changed since it was read is read
 * and edited again rather than overwritten.
 */
export async function writeConfigFile(target: string, edit: FileEdit, options: { now: Date; newFileMode: number; holdsKey?: boolean }): Promise<WriteResult> {
  const file = await resolveLink(target);
  for (let attempt = 1; ; attempt += 1) {
    const existing = await readIfExists(file, 'client config file');
    const next = edit(existing, target);
    const before = existing === undefined ? undefined : (await stat(file)).mode & 0o777;
    const tightened = options.holdsKey && before !== undefined && (before & 0o077) !== 0 ? { tightenedFrom: before } : {};
    if (existing === next) {
      if (tightened.tightenedFrom !== undefined) await chmod(file, 0o600);
      return { file, action: 'unchanged', ...tightened };
    }
    await mkdir(path.dirname(file), { recursive: true });
    const mode = before === undefined ? options.newFileMode : tightened.tightenedFrom !== undefined ? 0o600 : before;
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, next, { mode, flag: 'wx' });
      await chmod(temp, mode);
      if ((await readIfExists(file)) !== existing) {
        if (attempt < 3) continue;
        throw new UserError(`${target} keeps changing while mcpgw edits it`, 'quit the client that rewrites it, then re-run');
      }
      const backup = existing === undefined ? undefined : await backUp(file, options.now, options.holdsKey === true);
      await rename(temp, file);
      return { file, action: existing === undefined ? 'created' : 'updated', ...(backup ? { backup } : {}), ...tightened };
    } finally {
      await rm(temp, { force: true });
    }
  }
}
