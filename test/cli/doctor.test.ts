import { chmod, cp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { fixtureStack } from '../helpers/fixtures.js';

describe('mcpgw doctor (in-process)', () => {
  it('without mcpgw.yaml is a usage error (exit 2) naming the file and the fix', async () => {
    await withTempDir(async (dir) => {
      const result = await runCli(['doctor'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${path.join(dir, 'mcpgw.yaml')} not found`);
      expect(result.stdout).toBe('');
    });
  });

  it('--only with an unknown check is a usage error listing the areas', async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('http').dir, dir, { recursive: true });
      const result = await runCli(['doctor', '--only', 'bogus'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--only bogus matches no check\n.*areas: config, secrets, network, database, keys, mcp, litellm, clients, security/);
    });
  });

  it('--json prints exactly one document, with exit 1 when a check fails', async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('http').dir, dir, { recursive: true });
      await chmod(path.join(dir, 'secrets.env'), 0o644);
      const result = await runCli(['doctor', '--json', '--only', 'secrets.file', 'secrets.master-key'], { cwd: dir });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { ok: boolean; checks: { id: string; status: string }[] };
      expect(report.ok).toBe(false);
      expect(report.checks.map((check) => [check.id, check.status])).toEqual([
        ['secrets.file', 'fail'],
        ['secrets.master-key', 'pass'],
      ]);
      expect(result.stderr).toMatch(/doctor found 1 failing check\(s\): secrets\.file/);
    });
  });
});
