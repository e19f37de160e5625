import { randomBytes } from 'node:crypto';
import { chmod, copyFile, constants, mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
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

/** A backup next to the file that never overwrites an earlier one. */
async function backUp(file: string, now: Date): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const backup = `${file}.mcpgw-backup-${stamp(now)}${attempt ? `-${attempt}` : ''}`;
    try {
      await copyFile(file, backup, constants.COPYFILE_EXCL);
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Applies `edit` to a client's config file safely: a file the edit rejects (malformed) is left as it is; an edit
 * that changes nothing writes nothing (re-runs are idempotent); otherwise the new content goes to a temp file in
 * the same directory, the old file is copied to a backup, and the temp file is renamed over it (atomic), keeping
 * the old file's permission bits. New files get `newFileMode` (0600 when they hold a key). Clients rewrite their
 * own files while running (Claude Code does on every start), so a file that changed since it was read is read
 * and edited again rather than overwritten.
 */
export async function writeConfigFile(target: string, edit: FileEdit, options: { now: Date; newFileMode: number }): Promise<WriteResult> {
  const file = await resolveLink(target);
  for (let attempt = 1; ; attempt += 1) {
    const existing = await readIfExists(file);
    const next = edit(existing, target);
    if (existing === next) return { file, action: 'unchanged' };
    await mkdir(path.dirname(file), { recursive: true });
    const mode = existing === undefined ? options.newFileMode : (await stat(file)).mode & 0o777;
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, next, { mode, flag: 'wx' });
      await chmod(temp, mode);
      if ((await readIfExists(file)) !== existing) {
        if (attempt < 3) continue;
        throw new UserError(`${target} keeps changing while mcpgw edits it`, 'quit the client that rewrites it, then re-run');
      }
      const backup = existing === undefined ? undefined : await backUp(file, options.now);
      await rename(temp, file);
      return { file, action: existing === undefined ? 'created' : 'updated', ...(backup ? { backup } : {}) };
    } finally {
      await rm(temp, { force: true });
    }
  }
}
