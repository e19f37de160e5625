import { closeSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPrivateLog } from '../../src/fs.js';
import { withTempDir } from '../helpers/cli.js';

describe('openPrivateLog (the dockerd log mcpgw starts)', () => {
  it('creates the log 0600, whatever the umask lets through', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'dockerd.log');
      const previous = process.umask(0o022);
      try {
        closeSync(openPrivateLog(file));
      } finally {
        process.umask(previous);
      }
      expect(statSync(file).mode & 0o777).toBe(0o600);
    });
  });

  it('tightens an existing world-readable log to 0600 and appends to it', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'dockerd.log');
      writeFileSync(file, 'earlier\n', { mode: 0o644 });
      const fd = openPrivateLog(file);
      writeFileSync(fd, 'later\n');
      closeSync(fd);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))).toBe('earlier\nlater\n');
    });
  });
});
