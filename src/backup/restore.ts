import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { StepFailed, UserError } from '../errors.js';
import type { KeyChange } from '../keys/store.js';
import type { Progress } from '../ui/progress.js';
import { readDump, verifyArchive, type Authenticity, type BackupManifest, type VerifiedArchive } from './archive.js';
import { BACKUP_KEY_SECRET } from './auth.js';
import { checkCompatibility, type Compatibility, type CurrentLevel } from './compat.js';
import { DROP_LITELLM_OBJECTS, RESTORE_FOREIGN_KEYS, WHOLE_SCHEMA_GUARD } from './litellm-objects.js';
import type { PgTools } from './pg-tools.js';
import { describeRefusals, scanDump, screenedDump } from './screen.js';

/**
 * The restore is one explicit transaction. COMMIT is sent only after the whole dump streamed and its checksum
 * matched again: a stream that breaks off leaves psql at end of input inside the open transaction, which the
 * server rolls back (psql's own --single-transaction would COMMIT at end of input). LiteLLM's objects, and only
 * those, are dropped first in the same transaction (litellm-objects.ts): tables a newer LiteLLM added cannot
 * survive next to the restored ones, and another application's tables in the same database stay as they are. A
 * lock wait (someone still connected) fails the restore instead of hanging it; NOTICEs are silenced so a
 * failure's stderr shows the error itself.
 */
const RESTORE_BEGIN = `BEGIN;\nSET LOCAL lock_timeout = '30s';\nSET LOCAL client_min_messages = warning;\n`;
const RESTORE_COMMIT = `\nCOMMIT;\n`;

/**
 * psql's restricted mode (PostgreSQL ≥ 13.22, 14.19, 15.14, 16.10, 17.6): after `\restrict KEY` psql refuses
 * every meta-command but `\unrestrict KEY`. The key is fresh per restore and never in the file, so even a dump
 * that got past the screen cannot leave it. An older psql rejects the line as an unknown command and, with
 * ON_ERROR_STOP, ends before anything else ran (see pg-tools.ts for the message).
 */
export function restrictLine(random: (size: number) => Buffer = randomBytes): string {
  return `\\restrict ${random(24).toString('hex')}\n`;
}

export interface RestoreSteps {
  tools: PgTools;
  progress: Progress;
  readCurrent(): Promise<CurrentLevel>;
  /** Asked after every check passed and before anything changes; false cancels. */
  confirm(manifest: BackupManifest, compatibility: Compatibility): Promise<boolean>;
  /** Stops LiteLLM so nothing writes during the restore; resolves whether it was running. */
  stopLiteLLM(): Promise<boolean>;
  /** Starts LiteLLM and waits until it is ready with its database; resolves a readiness summary. */
  startLiteLLM(): Promise<string>;
  syncKeys(): Promise<KeyChange[]>;
  /** The end-to-end probe (`mcpgw probe`), run last; absent with --no-probe. */
  probe?: () => Promise<{ ok: boolean; summary: string }>;
}

export interface RestoreReport {
  manifest: BackupManifest;
  authenticity: Authenticity;
  compatibility: Compatibility;
  forced: boolean;
  litellm: string;
  keys: KeyChange[];
  probe: { ok: boolean; summary: string } | null;
}

/**
 * Verifies the archive completely (gzip intact, checksum) and its schema against the current database before
 * touching anything; then stops LiteLLM, replaces LiteLLM's schema in ONE transaction (any error rolls it back
 * and leaves the current data as it was), starts LiteLLM, waits for it, re-syncs the declared keys and probes.
 * A failing probe is reported, not thrown: the data is restored either way, the caller decides the exit code.
 */
export interface RestoreOptions {
  /** Restore despite an incompatible schema. */
  force: boolean;
  /** Restore a file whose signature is missing or wrong (its SQL is screened all the same). */
  trust?: boolean;
  /** The secrets file's backup key, when it has one. */
  key?: string;
  /** A caller that verified the file before asking anything passes the result (readDump checks again). */
  verified?: VerifiedArchive;
}

/** Why a file is refused without --trust, and what to do. */
export function authenticityRefusal(file: string, authenticity: Exclude<Authenticity, { ok: true }>): UserError {
  const fixes: Record<typeof authenticity.problem, string> = {
    legacy:
      'it may be genuine, but nothing proves mcpgw wrote it: if you know where it comes from, pass --trust (its SQL is still screened); new backups are signed',
    unsigned: 'nothing proves mcpgw wrote it: if you know where it comes from, pass --trust (its SQL is still screened)',
    'no-key': `put back the ${BACKUP_KEY_SECRET} line of the secrets file the backup was made with, or pass --trust if you know where the file comes from`,
    'other-key': `restore it where the ${BACKUP_KEY_SECRET} it was made with is in the secrets file, or pass --trust if you know where the file comes from`,
    mismatch: 'do not restore it: use another backup (--trust would restore it anyway, its SQL still screened)',
  };
  return new UserError(`refusing to restore ${file}: it ${authenticity.detail}`, fixes[authenticity.problem]);
}

export async function restoreBackup(file: string, options: RestoreOptions, steps: RestoreSteps): Promise<RestoreReport> {
  const { progress } = steps;
  const verify = progress.start('verify');
  let manifest: BackupManifest;
  let authenticity: Authenticity;
  try {
    ({ manifest, authenticity } = options.verified ?? (await verifyArchive(file, options.key)));
    if (!authenticity.ok && !options.trust) throw authenticityRefusal(file, authenticity);
    // Every statement judged before anything runs, so a refusal names all of them and nothing was touched.
    const refusals = await scanDump(readDump(file, manifest));
    if (refusals.length > 0)
      throw new UserError(
        `refusing to restore ${file}: it holds what a pg_dump of LiteLLM's schema never does (${refusals.length} finding(s)): ${describeRefusals(refusals)}`,
        'this is not a plain backup of LiteLLM: do not restore it (--trust does not lift this)',
      );
  } catch (error) {
    verify.fail((error as Error).message);
    throw error;
  }
  const compatibility = checkCompatibility(manifest, await steps.readCurrent());
  if (!compatibility.compatible && !options.force) {
    verify.fail(compatibility.reason);
    throw new UserError(
      `refusing to restore ${file}: ${compatibility.reason}`,
      `set litellm.image to the LiteLLM the backup came from (${manifest.litellm.image}) or a newer one (\`mcpgw upgrade\`), then restore; or pass --force to restore anyway`,
    );
  }
  const origin = authenticity.ok ? `signature ok (key ${authenticity.key})` : `UNSIGNED, trusted: it ${authenticity.detail}`;
  const schema = compatibility.compatible ? `schema compatible (${compatibility.basis})` : `INCOMPATIBLE, forced: ${compatibility.reason}`;
  verify.succeed(
    `${origin}, checksum ok, SQL screened, ${manifest.dump.bytes} bytes of SQL from stack "${manifest.stack}" at ${manifest.createdAt}; ${schema}`,
  );
  if (!(await steps.confirm(manifest, compatibility))) throw new UserError('restore cancelled; nothing was changed');

  const stop = progress.start('stop litellm');
  const wasRunning = await steps.stopLiteLLM();
  stop.succeed(wasRunning ? 'stopped' : 'was not running');

  const restore = progress.start('restore');
  try {
    await steps.tools.restore(restorationSql(file, manifest));
    restore.succeed(`LiteLLM's schema replaced in one transaction (${steps.tools.where})`);
  } catch (error) {
    restore.fail('failed; the transaction was rolled back and the database is unchanged');
    // The old data is intact, so bring the gateway back as it was before reporting the failure.
    const back = wasRunning
      ? await steps.startLiteLLM().then(
          () => '',
          (startError: Error) => `; LiteLLM did not come back: ${startError.message}`,
        )
      : '';
    throw new StepFailed(
      `restore of ${file} failed and was rolled back, the database is as it was: ${(error as Error).message}${back}`,
      back ? 'fix the cause shown above, then `mcpgw up` brings LiteLLM back; run the restore again' : 'fix the cause shown above and run the restore again',
    );
  }

  const start = progress.start('start litellm');
  let litellm: string;
  try {
    litellm = await steps.startLiteLLM();
  } catch (error) {
    start.fail((error as Error).message.split('\n')[0] ?? '');
    throw new StepFailed(
      `the backup of ${file} is restored (the database holds its data), but LiteLLM did not come back: ${(error as Error).message}`,
      'fix the cause shown above and run `mcpgw up`: it starts LiteLLM on the restored data (no need to restore again)',
    );
  }
  start.succeed(litellm);

  const keysStep = progress.start('keys');
  const keys = await steps.syncKeys();
  const changed = keys.filter((change) => change.action !== 'keep');
  keysStep.succeed(
    keys.length === 0
      ? 'no keys declared'
      : changed.length === 0
        ? `${keys.length} declared key(s) in place`
        : changed.map((change) => `${change.action}d ${change.alias}`).join(', '),
  );

  const probeStep = progress.start('probe');
  let probe: RestoreReport['probe'] = null;
  if (steps.probe) {
    probe = await steps.probe();
    if (probe.ok) probeStep.succeed(probe.summary);
    else probeStep.fail(probe.summary);
  } else {
    probeStep.skip('--no-probe');
  }
  return { manifest, authenticity, compatibility, forced: !compatibility.compatible, litellm, keys, probe };
}

/** A verified archive's dump as psql receives it: screened, restricted, in one transaction. */
export function restorationSql(file: string, manifest: BackupManifest): Readable {
  const scoped = manifest.scope === 'litellm';
  return Readable.from(
    inOneTransaction(screenedDump(readDump(file, manifest)), scoped ? DROP_LITELLM_OBJECTS : WHOLE_SCHEMA_GUARD, scoped ? RESTORE_FOREIGN_KEYS : ''),
  );
}

async function* inOneTransaction(sql: AsyncGenerator<Buffer>, clear: string, finish: string): AsyncGenerator<Buffer> {
  yield Buffer.from(restrictLine() + RESTORE_BEGIN + clear);
  yield* sql;
  yield Buffer.from(`\n${finish}${RESTORE_COMMIT}`);
}
