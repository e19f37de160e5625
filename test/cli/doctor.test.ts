import { chmod, cp, mkdir } from 'node:fs/promises';
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
      expect(result.stderr).toMatch(
        /--only bogus matches no check\n.*areas: config, secrets, network, database, keys, mcp, litellm, replicas, swarm, clients, security/,
      );
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

  it('clients.files reads the files client-config --write wrote where CLAUDE_CONFIG_DIR, CODEX_HOME and XDG_CONFIG_HOME put them', async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('seed').dir, dir, { recursive: true });
      await chmod(path.join(dir, 'secrets.env'), 0o600);
      const home = path.join(dir, 'home');
      await mkdir(home);
      const env = { HOME: home, CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), XDG_CONFIG_HOME: path.join(dir, 'xdg') };
      const written: string[] = [];
      for (const argv of [['claude', '--key-alias', 'test'], ['codex'], ['vscode', '--scope', 'user']]) {
        const result = await runCli(['client-config', ...argv, '--write', '--json'], { cwd: dir, env });
        expect(result.code, result.stderr).toBe(0);
        written.push((JSON.parse(result.stdout) as { file: string }).file);
      }
      expect(written).toEqual([
        path.join(dir, 'claude', '.claude.json'),
        path.join(dir, 'codex', 'config.toml'),
        path.join(dir, 'xdg', 'Code', 'User', 'mcp.json'),
      ]);
      const doctor = await runCli(['doctor', '--json', '--only', 'clients.files'], { cwd: dir, env });
      const [check] = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[] }[] }).checks;
      expect(check?.evidence).toEqual([
        `read ${written.join(', ')}`,
        '3 entries point at this gateway: Claude Code mcpServers.litellm, Codex CLI mcp_servers.litellm, VS Code servers.litellm',
      ]);
      expect([doctor.code, check?.status], doctor.stderr).toEqual([0, 'pass']);
    });
  });
});
