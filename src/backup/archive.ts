import { createHash, type Hmac } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import { UserError } from '../errors.js';
import { BACKUP_KEY_SECRET, backupKeyId, finishSignature, sameSignature, startSignature } from './auth.js';

/**
 * An mcpgw backup is one gzip file holding a plain-SQL pg_dump whose first line is a SQL comment carrying the
 * manifest as JSON. Being a comment, the file still restores by hand (`zcat FILE | psql`), and the manifest
 * cannot get separated from the dump it describes. The checksum covers every byte after that first line; the
 * manifest's `auth` signs the dump and the rest of the manifest (see auth.ts).
 *
 * The file is two concatenated gzip members (header, then dump): the dump is compressed while it streams out of
 * pg_dump and its checksum is only known at the end, so the header member is written last but placed first.
 * gzip and zlib read concatenated members as one stream.
 */
export const MANIFEST_PREFIX = '-- mcpgw-backup ';
/** 2: signed (`auth`). Format 1 files, written before, are still read; restore refuses them without --trust. */
export const FORMAT_VERSION = 2;

export interface BackupManifest {
  format: 'mcpgw-backup';
  version: number;
  stack: string;
  createdAt: string;
  postgres: { mode: 'bundled' | 'external'; database: string };
  litellm: { image: string; version: string | null };
  schema: SchemaLevel;
  /**
   * What the dump holds: `litellm`, LiteLLM's objects only (litellm-objects.ts), restored by replacing just those;
   * absent in backups made before: the whole `public` schema, restored by replacing the schema.
   */
  scope?: 'litellm';
  dump: { sha256: string; bytes: number };
  auth?: BackupAuth;
}

export interface BackupAuth {
  alg: 'HMAC-SHA256';
  /** backupKeyId of the key that signed. */
  key: string;
  hmac: string;
}

/** LiteLLM's schema level: Prisma's newest applied migration when the ledger exists, and its table set. */
export interface SchemaLevel {
  migration: string | null;
  tables: string[];
}

export type ManifestFields = Omit<BackupManifest, 'format' | 'version' | 'dump'>;

/** Counts and hashes (and signs, given a started signature) what passes through, unchanged. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(readonly signature?: Hmac) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void) {
    this.hash.update(chunk);
    this.signature?.update(chunk);
    this.bytes += chunk.length;
    done(undefined, chunk);
  }
}

/**
 * Writes an archive signed with `key` to `file` (mode 0600, never visible half-written): `dump` receives a
 * stream to write the plain SQL into and resolves when the dump finished. Any failure removes the partial files.
 */
export async function writeArchive(file: string, fields: ManifestFields, key: string, dump: (sink: Writable) => Promise<void>): Promise<BackupManifest> {
  const bodyFile = `${file}.partial-body`;
  const partial = `${file}.partial`;
  try {
    // Created 0600 before the first byte: the dump holds key hashes and LiteLLM's encrypted credentials.
    await (await open(bodyFile, 'wx', 0o600)).close();
    const digest = new Digest(startSignature(key));
    const source = new PassThrough();
    const written = pipeline(source, digest, createGzip(), createWriteStream(bodyFile, { flags: 'w' }));
    try {
      await dump(source);
      source.end();
    } catch (error) {
      source.destroy();
      await written.catch(() => undefined);
      throw error;
    }
    await written;
    const { stack, createdAt, postgres, litellm, schema, scope } = fields;
    const unsigned: BackupManifest = {
      format: 'mcpgw-backup',
      version: FORMAT_VERSION,
      stack,
      createdAt,
      postgres,
      litellm,
      schema,
      ...(scope ? { scope } : {}),
      dump: { sha256: digest.hash.digest('hex'), bytes: digest.bytes },
    };
    const hmac = finishSignature(digest.signature as Hmac, JSON.stringify(unsigned));
    const manifest: BackupManifest = { ...unsigned, auth: { alg: 'HMAC-SHA256', key: backupKeyId(key), hmac } };
    await (await open(partial, 'wx', 0o600)).close();
    const out = createWriteStream(partial, { flags: 'w' });
    out.write(gzipSync(`${MANIFEST_PREFIX}${JSON.stringify(manifest)}\n`));
    await pipeline(createReadStream(bodyFile), out);
    await chmod(partial, 0o600);
    await rename(partial, file);
    return manifest;
  } finally {
    await rm(bodyFile, { force: true });
    await rm(partial, { force: true });
  }
}

/** Splits the decompressed archive into its manifest line and the dump behind it. */
class HeaderSplitter extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  manifestLine: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void) {
    if (this.manifestLine !== undefined) return done(null, chunk);
    const newline = chunk.indexOf(0x0a);
    if (newline < 0) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      // A manifest is a few hundred bytes: a long first line means this is not an mcpgw backup.
      if (this.headBytes > 1 << 20) return done(new NotABackup());
      return done();
    }
    this.head.push(chunk.subarray(0, newline));
    this.manifestLine = Buffer.concat(this.head).toString('utf8');
    this.head = [];
    done(null, chunk.subarray(newline + 1));
  }
}

class NotABackup extends Error {}

function notABackup(file: string, detail: string): UserError {
  return new UserError(`${file} is not an mcpgw backup (${detail})`, 'pass a file written by `mcpgw backup` (NAME-YYYYMMDDTHHMMSSZ.sql.gz)');
}

function parseManifest(file: string, line: string | undefined): BackupManifest {
  if (line === undefined || !line.startsWith(MANIFEST_PREFIX)) throw notABackup(file, 'its first line is not an mcpgw manifest');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(line.slice(MANIFEST_PREFIX.length)) as BackupManifest;
  } catch {
    throw notABackup(file, 'its manifest is not valid JSON');
  }
  if (manifest.format !== 'mcpgw-backup' || typeof manifest.dump?.sha256 !== 'string' || typeof manifest.stack !== 'string' || !manifest.schema) {
    throw notABackup(file, 'its manifest lacks format, stack, schema or checksum');
  }
  if (manifest.version > FORMAT_VERSION) {
    throw new UserError(`${file} uses backup format ${manifest.version}; this mcpgw reads format ${FORMAT_VERSION}`, 'restore it with a newer mcpgw');
  }
  return manifest;
}

/** Whether the file provably comes from an mcpgw holding the backup key; when not, why, as a sentence. */
export type Authenticity = { ok: true; key: string } | { ok: false; problem: 'legacy' | 'unsigned' | 'no-key' | 'other-key' | 'mismatch'; detail: string };

export interface VerifiedArchive {
  manifest: BackupManifest;
  authenticity: Authenticity;
}

function authenticate(manifest: BackupManifest, signature: Hmac | undefined, key: string | undefined): Authenticity {
  if (manifest.version < 2) return { ok: false, problem: 'legacy', detail: 'was written before mcpgw signed its backups (format 1, no HMAC)' };
  const { auth, ...unsigned } = manifest;
  if (!auth || typeof auth.hmac !== 'string' || typeof auth.key !== 'string') return { ok: false, problem: 'unsigned', detail: 'carries no HMAC' };
  if (key === undefined || !signature)
    return { ok: false, problem: 'no-key', detail: `is signed, but the secrets file has no ${BACKUP_KEY_SECRET} to check its HMAC with` };
  const ours = backupKeyId(key);
  if (auth.key !== ours)
    return {
      ok: false,
      problem: 'other-key',
      detail: `was signed with another backup key (key id ${auth.key}; this secrets file's ${BACKUP_KEY_SECRET} has key id ${ours})`,
    };
  if (!sameSignature(finishSignature(signature, JSON.stringify(unsigned)), auth.hmac))
    return { ok: false, problem: 'mismatch', detail: 'has an HMAC that does not match its content: it was written or changed without the backup key' };
  return { ok: true, key: ours };
}

/**
 * Reads the whole archive once, without touching any database: the gzip stream must be complete (its trailer
 * and CRC check out) and the dump must match the manifest's length and sha256 (else it throws). Then whether
 * its signature checks out with `key` (the secrets file's backup key, when it has one): returned, not thrown,
 * as only restore refuses on it (doctor reports it).
 */
export async function verifyArchive(file: string, key?: string): Promise<VerifiedArchive> {
  // A pipe or device would be read forever; a folder is a wrong path.
  const info = await stat(file).catch(() => undefined);
  if (info && !info.isFile()) throw notABackup(file, info.isDirectory() ? 'it is a folder' : 'it is not a regular file');
  const splitter = new HeaderSplitter();
  const digest = new Digest(key === undefined ? undefined : startSignature(key));
  const sink = new PassThrough();
  sink.resume();
  try {
    await pipeline(createReadStream(file), createGunzip(), splitter, digest, sink);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new UserError(`backup file ${file} does not exist`, 'check the path (`ls backups/`)');
    if (error instanceof NotABackup) throw notABackup(file, 'no manifest line');
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
      throw new UserError(
        `${file} is truncated: the gzip stream ends early (${digest.bytes} bytes of dump readable)`,
        'the copy is incomplete; use another backup or copy it again',
      );
    }
    if (err.code === 'Z_DATA_ERROR' && digest.bytes === 0) throw notABackup(file, 'it is not gzip-compressed');
    if (err.code?.startsWith('Z_')) throw new UserError(`${file} is corrupted: ${err.message}`, 'the file was damaged; use another backup');
    throw error;
  }
  const manifest = parseManifest(file, splitter.manifestLine);
  const sha256 = digest.hash.digest('hex');
  if (digest.bytes !== manifest.dump.bytes || sha256 !== manifest.dump.sha256) {
    throw new UserError(
      `${file} is corrupted: its dump has ${digest.bytes} bytes with sha256 ` +
        `${sha256.slice(0, 12)}…, the manifest says ${manifest.dump.bytes} bytes with ${manifest.dump.sha256.slice(0, 12)}…`,
      'the file was changed after `mcpgw backup` wrote it; use another backup',
    );
  }
  return { manifest, authenticity: authenticate(manifest, digest.signature, key) };
}

/**
 * The archive's dump (without the manifest line, which psql never needs), for feeding psql after verifyArchive
 * passed. It checks the checksum again while streaming and throws at the end on a mismatch, before the caller
 * would commit: the file could have changed since it was verified.
 */
export async function* readDump(file: string, manifest: BackupManifest): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const source = createReadStream(file);
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  const hash = createHash('sha256');
  let inHeader = true;
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    let body = chunk;
    if (inHeader) {
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) continue;
      inHeader = false;
      body = chunk.subarray(newline + 1);
    }
    hash.update(body);
    yield body;
  }
  if (hash.digest('hex') !== manifest.dump.sha256)
    throw new UserError(`${file} changed while it was being restored`, 'restore from a copy nobody is writing to');
}
