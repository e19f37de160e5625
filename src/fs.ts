import { fchmodSync, openSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { UserError } from './errors.js';

/** Far above any real mcpgw.yaml, secrets or client file: a bigger one is the wrong file (or /dev/zero). */
const MAX_TEXT_BYTES = 4 * 1024 * 1024;

/**
 * A log file opened for appending that only its owner reads: made 0600, and an existing one (from an older
 * mcpgw, or created by hand) tightened to 0600 too, since a daemon's log may hold what it was given.
 */
export function openPrivateLog(file: string): number {
  const fd = openSync(file, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return fd;
}

/** Whether anything exists at `file` (a file mcpgw must not overwrite, one init would replace). */
export async function pathExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * A text file's content, or undefined when it does not exist. Everything else that would make it unusable is
 * a UserError naming the file: a directory, a pipe or device (reading one would hang or never end), a file too
 * big, UTF-16 or binary content (never echoed: it may be anything, /proc/self/environ included), no permission.
 * `what` names the file the user meant to give, for the fix.
 */
export async function readIfExists(file: string, what = 'file'): Promise<string | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw explainFsError(error) ?? error;
  }
  if (info.isDirectory()) throw new UserError(`${file} is a directory`, `give the path of the ${what} itself`);
  if (!info.isFile()) throw new UserError(`${file} is not a regular file (${kindOf(info)})`, `give the path of the ${what}; mcpgw reads only regular files`);
  if (info.size > MAX_TEXT_BYTES) throw new UserError(`${file} is ${info.size} bytes: too big to be the ${what}`, `give the path of the ${what}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw explainFsError(error) ?? error;
  }
  return decodeText(bytes, file, what);
}

function kindOf(info: Awaited<ReturnType<typeof stat>>): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** UTF-8 text (a UTF-8 byte-order mark is kept for the caller); UTF-16 and binary content are refused. */
export function decodeText(bytes: Buffer, file: string, what = 'file'): string {
  if (bytes.length > MAX_TEXT_BYTES)
    throw new UserError(`${file} is more than ${MAX_TEXT_BYTES} bytes: too big to be the ${what}`, `give the path of the ${what}`);
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    (bytes.length >= 4 && (bytes[1] === 0 && bytes[3] === 0 ? bytes[0] !== 0 : bytes[0] === 0 && bytes[2] === 0 && bytes[1] !== 0));
  if (utf16) throw new UserError(`${file} is UTF-16 text`, 'save it as UTF-8 (in most editors: "Save with encoding" → UTF-8)');
  if (bytes.includes(0)) throw new UserError(`${file} is not a text file (it contains NUL bytes)`, `give the path of the ${what}`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new UserError(`${file} is not UTF-8 text`, 'save it as UTF-8');
  }
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'something else already exists there',
};

const FS_VERBS: Record<string, string> = {
  mkdir: 'create',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'replace',
  copyfile: 'copy',
  chmod: 'change the mode of',
  stat: 'read',
  scandir: 'list',
  unlink: 'remove',
};

/**
 * A file-system error the user can fix (permissions, a directory where a file belongs, a read-only disk) as a
 * UserError naming the path; undefined for anything else, which stays a bug report.
 */
export function explainFsError(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  const err = error as NodeJS.ErrnoException;
  const reason = err?.code ? FS_REASONS[err.code] : undefined;
  if (!reason || !err.path) return undefined;
  const verb = FS_VERBS[err.syscall ?? ''] ?? 'use';
  if (err.code === 'EEXIST' && err.syscall === 'mkdir')
    return new UserError(`cannot create the folder ${err.path}: a file is in the way`, 'move the file, or pick another path');
  const fix =
    err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
      ? 'run mcpgw where you may read and write (or as the owner of the files), or pass -f PATH / --out DIR'
      : 'check the path: mcpgw.yaml, the secrets file and --out must be files and folders you can use';
  return new UserError(`cannot ${verb} ${err.path}: ${reason}`, fix);
}
