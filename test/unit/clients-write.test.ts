import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKUPS_KEPT, writeConfigFile } from '../../src/clients/write.js';
import { withTempDir } from '../helpers/cli.js';

const now = new Date('2026-11-26T12:00:00.000Z');

describe('writeConfigFile', () => {
  it('re-reads and re-edits a file the client rewrote meanwhile instead of overwriting its change', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, '.claude.json');
      await writeFile(file, 'a\n');
      let calls = 0;
      const result = await writeConfigFile(
        file,
        (existing) => {
          calls += 1;
          // The first time, the "client" rewrites its file between mcpgw's read and its rename.
          if (calls === 1) writeFileSync(file, 'b\n');
          return `${existing ?? ''}ours\n`;
        },
        { now, newFileMode: 0o600 },
      );
      expect(calls).toBe(2);
      expect(await readFile(file, 'utf8')).toBe('b\nours\n');
      expect(await readFile(result.backup ?? '', 'utf8')).toBe('b\n');
      expect((await readdir(dir)).sort()).toEqual(['.claude.json', '.claude.json.mcpgw-backup-2026-11-26T12-00-00-000Z']);
    });
  });

  it('gives up with a hint when the file changes on every attempt, leaving no temp file', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      await writeFile(file, '0');
      let n = 0;
      const busy = writeConfigFile(
        file,
        (existing) => {
          writeFileSync(file, String((n += 1)));
          return `${existing}x`;
        },
        { now, newFileMode: 0o600 },
      );
      await expect(busy).rejects.toThrow(/keeps changing/);
      expect(await readdir(dir)).toEqual(['settings.json']);
    });
  });

  it('never overwrites an earlier backup made in the same instant', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'mcp.json');
      await writeFile(file, '1');
      const first = await writeConfigFile(file, () => '2', { now, newFileMode: 0o600 });
      const second = await writeConfigFile(file, () => '3', { now, newFileMode: 0o600 });
      expect(second.backup).toBe(`${first.backup}-1`);
      expect([await readFile(first.backup ?? '', 'utf8'), await readFile(second.backup ?? '', 'utf8')]).toEqual(['1', '2']);
    });
  });

  it('keeps the newest backups of a file only, each 0600 when the file holds a key', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, '.claude.json');
      await writeFile(file, 'key-0', { mode: 0o644 });
      const made: string[] = [];
      // Five updates, two in the same instant: the names order by stamp, then attempt.
      const stamps = [
        '2026-11-26T12:00:00.000Z',
        '2026-11-26T12:00:00.000Z',
        '2026-11-27T09:00:00.000Z',
        '2026-12-01T00:00:00.000Z',
        '2026-12-02T00:00:00.000Z',
      ];
      for (const [i, when] of stamps.entries()) {
        const result = await writeConfigFile(file, () => `key-${i + 1}`, { now: new Date(when), newFileMode: 0o600, holdsKey: true });
        made.push(result.backup ?? '');
      }
      const left = (await readdir(dir)).filter((name) => name.includes('.mcpgw-backup-')).sort();
      expect(left).toEqual(
        made
          .slice(-BACKUPS_KEPT)
          .map((backup) => path.basename(backup))
          .sort(),
      );
      expect(await Promise.all(made.slice(-BACKUPS_KEPT).map((backup) => readFile(backup, 'utf8')))).toEqual(['key-2', 'key-3', 'key-4']);
      for (const backup of made.slice(-BACKUPS_KEPT)) expect((await stat(backup)).mode & 0o777).toBe(0o600);
    });
  });
});
