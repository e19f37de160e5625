import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readDump, verifyArchive, writeArchive, type ManifestFields } from '../../src/backup/archive.js';
import { backupFileName, createBackup, rotateBackups } from '../../src/backup/backup.js';
import { checkCompatibility, type CurrentLevel } from '../../src/backup/compat.js';
import { imageVersion } from '../../src/litellm/version.js';
import { containerPgTools } from '../../src/backup/pg-tools.js';
import { restoreBackup, type RestoreSteps } from '../../src/backup/restore.js';
import { StepFailed, UserError } from '../../src/errors.js';
import { withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const FIELDS: ManifestFields = {
  stack: 'litellm',
  createdAt: '2026-11-26T13:00:00.000Z',
  postgres: { mode: 'bundled', database: 'litellm' },
  litellm: { image: 'ghcr.io/berriai/litellm-database:v1.108.7', version: '1.108.7' },
  schema: { migration: '20260109000000_x', tables: ['LiteLLM_VerificationToken'] },
};
/** Enough varied SQL (COPY data, as pg_dump writes rows) to span several gzip blocks, so truncation and bit flips land inside the dump. */
const SQL = `COPY public.t (id, name) FROM stdin;\n${Array.from({ length: 4000 }, (_, i) => `${i}\trow ${i * 7919}\n`).join('')}\\.\n`;
const KEY = 'a'.repeat(64);

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('backup archive', () => {
  it('round-trips: a 0600 gzip whose first line is the manifest as a SQL comment, checksum over the dump', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'a.sql.gz');
      const manifest = await writeArchive(file, FIELDS, KEY, async (sink) => {
        sink.write(SQL.slice(0, 1000));
        sink.write(SQL.slice(1000));
      });
      expect(manifest.dump.bytes).toBe(Buffer.byteLength(SQL));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual(['a.sql.gz']);
      const text = gunzipSync(await readFile(file)).toString('utf8');
      expect(text.startsWith('-- mcpgw-backup {')).toBe(true);
      expect(text.slice(text.indexOf('\n') + 1)).toBe(SQL);
      expect(await verifyArchive(file, KEY)).toEqual({ manifest, authenticity: { ok: true, key: manifest.auth?.key } });
      expect(await collect(readDump(file, manifest))).toBe(SQL);
    });
  });

  it('leaves nothing behind when the dump fails', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'a.sql.gz');
      await expect(
        writeArchive(file, FIELDS, KEY, async (sink) => {
          sink.write('partial');
          throw new Error('pg_dump exited 1');
        }),
      ).rejects.toThrow('pg_dump exited 1');
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('rejects truncated, bit-flipped, foreign and missing files with errors that name the problem', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'a.sql.gz');
      await writeArchive(file, FIELDS, KEY, async (sink) => {
        sink.write(SQL);
      });
      const bytes = await readFile(file);
      const variant = async (name: string, content: Buffer) => {
        const target = path.join(dir, name);
        await writeFile(target, content);
        return verifyArchive(target).then(
          () => 'accepted',
          (error: Error) => `${error instanceof UserError ? 'UserError' : 'other'}: ${error.message}`,
        );
      };
      expect(await variant('cut.sql.gz', bytes.subarray(0, bytes.length - 20))).toMatch(/^UserError: .*cut\.sql\.gz is truncated/);
      expect(await variant('empty.sql.gz', Buffer.alloc(0))).toMatch(/^UserError: .*empty\.sql\.gz (is truncated|is not an mcpgw backup)/);
      const flipped = Buffer.from(bytes);
      flipped[bytes.length - 100]! ^= 0x01;
      expect(await variant('flip.sql.gz', flipped)).toMatch(/^UserError: .*flip\.sql\.gz is corrupted/);
      const { gzipSync } = await import('node:zlib');
      expect(await variant('plain.sql.gz', gzipSync('SELECT 1;\n'))).toMatch(
        /^UserError: .*is not an mcpgw backup \(its first line is not an mcpgw manifest\)/,
      );
      // A manifest whose checksum no longer matches its dump (someone edited the SQL).
      const text = gunzipSync(bytes).toString('utf8').replace('row 7919', 'row 7918');
      expect(await variant('edited.sql.gz', gzipSync(text))).toMatch(/^UserError: .*edited\.sql\.gz is corrupted: its dump has/);
      expect(await verifyArchive(path.join(dir, 'nope.sql.gz')).catch((error: Error) => error.message)).toMatch(/does not exist/);
    });
  });
});

describe('backup names and rotation', () => {
  it('a backups folder it creates is 0700 and ignored by git; an existing folder is left as it is', async () => {
    await withTempDir(async (dir) => {
      const tools = { where: 'test', dump: async (sink: NodeJS.WritableStream) => void sink.end('SELECT 1;\n'), restore: async () => undefined };
      await createBackup(path.join(dir, 'backups', 'a.sql.gz'), FIELDS, KEY, tools);
      expect((await stat(path.join(dir, 'backups'))).mode & 0o777).toBe(0o700);
      expect(await readFile(path.join(dir, 'backups', '.gitignore'), 'utf8')).toBe('*\n');
      await createBackup(path.join(dir, 'b.sql.gz'), FIELDS, KEY, tools);
      expect((await readdir(dir)).sort()).toEqual(['b.sql.gz', 'backups']);
    });
  });

  it('names backups by stack and UTC time, sortable', () => {
    expect(backupFileName('litellm', new Date('2026-11-26T13:04:05.678Z'))).toBe('litellm-20261126T130405Z.sql.gz');
  });

  it("keeps the newest N of this stack's backups and never touches other files", async () => {
    await withTempDir(async (dir) => {
      const names = [
        'litellm-20260101T000000Z.sql.gz',
        'litellm-20260103T000000Z.sql.gz',
        'litellm-20260102T000000Z.sql.gz',
        'litellm-x-20200101T000000Z.sql.gz',
        'litellm-notes.txt',
        'other-20200101T000000Z.sql.gz',
      ];
      for (const name of names) await writeFile(path.join(dir, name), '');
      expect(await rotateBackups(dir, 'litellm', 1)).toEqual(['litellm-20260102T000000Z.sql.gz', 'litellm-20260101T000000Z.sql.gz']);
      expect((await readdir(dir)).sort()).toEqual([
        'litellm-20260103T000000Z.sql.gz',
        'litellm-notes.txt',
        'litellm-x-20200101T000000Z.sql.gz',
        'other-20200101T000000Z.sql.gz',
      ]);
    });
  });
});

describe('schema compatibility', () => {
  const backup = { schema: { migration: '20260108000000_b', tables: ['LiteLLM_A', 'LiteLLM_B'] }, litellm: { image: 'x', version: '1.108.7' } };

  it('compares migration ledgers when both exist: older or equal restores, newer is refused', () => {
    expect(checkCompatibility(backup, { schema: { migration: '20260109000000_c', tables: [] }, litellmVersion: '1.108.7' })).toMatchObject({
      compatible: true,
    });
    expect(checkCompatibility(backup, { schema: { migration: '20260108000000_b', tables: [] }, litellmVersion: null })).toMatchObject({ compatible: true });
    expect(checkCompatibility(backup, { schema: { migration: '20260101000000_a', tables: [] }, litellmVersion: '9.0.0' })).toEqual({
      compatible: false,
      reason: "the backup's schema is at migration 20260108000000_b, newer than this database's 20260101000000_a",
    });
  });

  it('refuses a backup newer than the migrations of the image the restore starts, even over a database at its level', () => {
    const image = (newestMigration: string) => ({ image: 'mcpgw/litellm-db:1.77.3', newestMigration });
    const current = { schema: { migration: '20260109000000_c', tables: [] }, litellmVersion: '1.77.3' };
    expect(checkCompatibility(backup, { ...current, image: image('20250918083359_drop_spec_version_column_from_mcp_table') })).toEqual({
      compatible: false,
      reason:
        "the backup's schema is at migration 20260108000000_b, newer than the newest migration mcpgw/litellm-db:1.77.3 ships " +
        '(20250918083359_drop_spec_version_column_from_mcp_table): that LiteLLM would not know its tables',
    });
    expect(checkCompatibility(backup, { ...current, image: image('20260108000000_b') })).toEqual({
      compatible: true,
      basis: 'migration 20260108000000_b ≤ 20260109000000_c and ≤ 20260108000000_b of mcpgw/litellm-db:1.77.3',
    });
  });

  it('falls back to the table sets, then to the LiteLLM versions for an empty database', () => {
    const noLedger = { ...backup, schema: { migration: null, tables: ['LiteLLM_A', 'LiteLLM_B'] } };
    expect(checkCompatibility(noLedger, { schema: { migration: null, tables: ['LiteLLM_A', 'LiteLLM_B', 'LiteLLM_C'] }, litellmVersion: null })).toMatchObject({
      compatible: true,
    });
    expect(checkCompatibility(noLedger, { schema: { migration: null, tables: ['LiteLLM_A'] }, litellmVersion: null })).toMatchObject({
      compatible: false,
      reason: expect.stringContaining('LiteLLM_B'),
    });
    const empty = { migration: null, tables: [] };
    expect(checkCompatibility(backup, { schema: empty, litellmVersion: '1.108.10' })).toMatchObject({ compatible: true });
    expect(checkCompatibility(backup, { schema: empty, litellmVersion: '1.99.0' })).toMatchObject({
      compatible: false,
      reason: expect.stringMatching(/LiteLLM 1\.108\.7, newer than this stack's 1\.99\.0/),
    });
    expect(checkCompatibility({ ...backup, litellm: { image: 'x', version: null } }, { schema: empty, litellmVersion: '1.99.0' })).toMatchObject({
      compatible: true,
    });
  });

  it('reads the LiteLLM version from image tags', () => {
    expect(imageVersion('ghcr.io/berriai/litellm-database:v1.108.7')).toBe('1.108.7');
    expect(imageVersion('mcpgw-test/litellm-db:1.108.7')).toBe('1.108.7');
    expect(imageVersion('localhost:5000/litellm:main-v1.80.0-stable')).toBe('1.80.0');
    expect(imageVersion('ghcr.io/berriai/litellm:main-latest')).toBeUndefined();
    expect(imageVersion('ghcr.io/berriai/litellm:v1.81.0-stable@sha256:abc')).toBe('1.81.0');
    expect(imageVersion('litellm')).toBeUndefined();
  });
});

describe('restoreBackup order of steps', () => {
  /** Steps that record what ran; the database side is the real archive stream read to its end. */
  function recordingSteps(options: { failRestore?: boolean; confirm?: boolean; current?: CurrentLevel }) {
    const log: string[] = [];
    const steps: RestoreSteps = {
      progress: {
        start: (title) => ({
          update: () => undefined,
          succeed: () => log.push(`ok ${title}`),
          skip: () => log.push(`skip ${title}`),
          fail: () => log.push(`fail ${title}`),
        }),
      },
      tools: {
        where: 'test',
        dump: async () => undefined,
        restore: async (sql) => {
          const text = await collect(sql as AsyncIterable<Buffer>);
          const wrapped = /^\\restrict [0-9a-f]{48}\nBEGIN;/.test(text) && text.endsWith('COMMIT;\n');
          log.push(`restore ${wrapped ? 'wrapped' : 'UNWRAPPED'}`);
          if (options.failRestore) throw new Error('psql exit 3: ERROR: boom');
        },
      },
      readCurrent: async () => options.current ?? { schema: { migration: '20260109000000_x', tables: [] }, litellmVersion: '1.108.7' },
      confirm: async () => {
        log.push('confirm');
        return options.confirm ?? true;
      },
      stopLiteLLM: async () => (log.push('stop'), true),
      startLiteLLM: async () => (log.push('start'), 'ready'),
      syncKeys: async () => (log.push('sync'), []),
    };
    return { log, steps };
  }

  async function archive(dir: string, fields: ManifestFields = FIELDS): Promise<string> {
    const file = path.join(dir, 'a.sql.gz');
    await writeArchive(file, fields, KEY, async (sink) => {
      sink.write(SQL);
    });
    return file;
  }

  it('verifies, confirms, stops, restores in one wrapped transaction, starts, syncs; without a probe says so', async () => {
    await withTempDir(async (dir) => {
      const { log, steps } = recordingSteps({});
      const report = await restoreBackup(await archive(dir), { force: false, key: KEY }, steps);
      expect(log).toEqual([
        'ok verify',
        'confirm',
        'stop',
        'ok stop litellm',
        'restore wrapped',
        'ok restore',
        'start',
        'ok start litellm',
        'sync',
        'ok keys',
        'skip probe',
      ]);
      expect(report).toMatchObject({ forced: false, probe: null, litellm: 'ready' });
    });
  });

  it('runs the probe last and reports a failing one without throwing (the data is restored either way)', async () => {
    await withTempDir(async (dir) => {
      const file = await archive(dir);
      const passing = recordingSteps({});
      const report = await restoreBackup(
        file,
        { force: false, key: KEY },
        { ...passing.steps, probe: async () => (passing.log.push('probe'), { ok: true, summary: '9 checks passed' }) },
      );
      expect(passing.log.slice(-2)).toEqual(['probe', 'ok probe']);
      expect(report.probe).toEqual({ ok: true, summary: '9 checks passed' });
      const failing = recordingSteps({});
      const failed = await restoreBackup(file, { force: false, key: KEY }, { ...failing.steps, probe: async () => ({ ok: false, summary: 'mcp.alpha' }) });
      expect(failing.log.slice(-1)).toEqual(['fail probe']);
      expect(failed.probe).toEqual({ ok: false, summary: 'mcp.alpha' });
    });
  });

  it('on a failed restore starts LiteLLM again on the untouched data and exits 1', async () => {
    await withTempDir(async (dir) => {
      const { log, steps } = recordingSteps({ failRestore: true });
      const error = await restoreBackup(await archive(dir), { force: false, key: KEY }, steps).catch((caught: Error) => caught);
      expect(error).toBeInstanceOf(StepFailed);
      expect((error as Error).message).toMatch(/failed and was rolled back, the database is as it was: psql exit 3: ERROR: boom/);
      expect(log).toEqual(['ok verify', 'confirm', 'stop', 'ok stop litellm', 'restore wrapped', 'fail restore', 'start']);
    });
  });

  it('says what state the data is in when LiteLLM does not come back: restored, or untouched', async () => {
    await withTempDir(async (dir) => {
      const file = await archive(dir);
      const stuck = async () => {
        throw new Error('service gw_litellm did not converge: 0 of 2 task(s) running');
      };
      const restored = recordingSteps({});
      const afterRestore = await restoreBackup(file, { force: false, key: KEY }, { ...restored.steps, startLiteLLM: stuck }).catch((caught: Error) => caught);
      expect(afterRestore).toBeInstanceOf(StepFailed);
      expect((afterRestore as Error).message).toMatch(
        /is restored \(the database holds its data\), but LiteLLM did not come back: service gw_litellm did not converge/,
      );
      expect((afterRestore as StepFailed).hint).toMatch(/run `mcpgw up`.*no need to restore again/);
      expect(restored.log).toEqual(['ok verify', 'confirm', 'stop', 'ok stop litellm', 'restore wrapped', 'ok restore', 'fail start litellm']);

      const failed = recordingSteps({ failRestore: true });
      const untouched = await restoreBackup(file, { force: false, key: KEY }, { ...failed.steps, startLiteLLM: stuck }).catch((caught: Error) => caught);
      expect((untouched as Error).message).toMatch(
        /rolled back, the database is as it was: psql exit 3: ERROR: boom; LiteLLM did not come back: service gw_litellm did not converge/,
      );
      expect((untouched as StepFailed).hint).toMatch(/`mcpgw up` brings LiteLLM back/);
    });
  });

  it('changes nothing when the schema is newer (unless forced) or the user declines', async () => {
    await withTempDir(async (dir) => {
      const file = await archive(dir);
      const older = { schema: { migration: '20250101000000_old', tables: [] }, litellmVersion: '1.80.0' };
      const refused = recordingSteps({ current: older });
      await expect(restoreBackup(file, { force: false, key: KEY }, refused.steps)).rejects.toThrow(
        /refusing to restore .*newer than this database's 20250101000000_old/,
      );
      expect(refused.log).toEqual(['fail verify']);
      const forced = recordingSteps({ current: older });
      expect((await restoreBackup(file, { force: true, key: KEY }, forced.steps)).forced).toBe(true);
      expect(forced.log).toContain('restore wrapped');
      const declined = recordingSteps({ confirm: false });
      await expect(restoreBackup(file, { force: false, key: KEY }, declined.steps)).rejects.toThrow(UserError);
      expect(declined.log).toEqual(['ok verify', 'confirm']);
    });
  });
});

describe('database tools in containers', () => {
  /** An engine whose exec answers like a container would; records what was asked of it. */
  function engineAnswering(answer: { exitCode: number; stderr: string }) {
    const asked: { cmd: string[]; env?: string[]; user?: string }[] = [];
    const engine = new FakeEngine({
      execStreaming: async (_id, cmd, io) => {
        asked.push({ cmd, ...(io.env ? { env: io.env } : {}), ...(io.user ? { user: io.user } : {}) });
        if (io.stdin) for await (const _ of io.stdin);
        return answer;
      },
    });
    return { engine, asked };
  }

  it("runs psql as LiteLLM's role over TCP, the password only in the process environment, never as root", async () => {
    const { engine, asked } = engineAnswering({ exitCode: 0, stderr: '' });
    await containerPgTools(engine, 'pg', { user: 'litellm', password: 's3cret pw', database: 'litellm' }).restore(Readable.from(['SELECT 1;\n']));
    expect(asked).toEqual([
      {
        cmd: ['psql', '-h', '127.0.0.1', '-p', '5432', '-U', 'litellm', '-d', 'litellm', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'],
        env: ['PGPASSWORD=s3cret pw', 'PGOPTIONS=-c standard_conforming_strings=on'],
        user: 'postgres',
      },
    ]);
  });

  it('says so when the psql predates \\restrict (it stopped at that first line, before anything ran)', async () => {
    const { engine } = engineAnswering({ exitCode: 3, stderr: 'psql:<stdin>:1: error: invalid command \\restrict\n' });
    const error = await containerPgTools(engine, 'pg', { user: 'litellm', password: 'x', database: 'litellm' })
      .restore(Readable.from(['\\restrict abc\n']))
      .catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as StepFailed).message).toMatch(/psql in container pg \(as litellm\) predates \\restrict .*stopped before running anything/);
    expect((error as StepFailed).hint).toMatch(/use a current image of your PostgreSQL major version/);
  });
});
