import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

/**
 * A key given on the command line is in every local user's `ps` (and in npm's logs under npx): commands that take
 * --key also read it from a file, stdin or MCPGW_KEY, and warn (without the key) when it is on the command line.
 * client-config shows it: it needs no stack, and prints the key it was given.
 */
const KEY = 'sk-key-input-0123456789abcdefghij';
const URL = 'http://gw.lan:4000/mcp/';
const header = `'x-litellm-api-key: Bearer ${KEY}'`;

describe('--key-file, stdin and MCPGW_KEY instead of --key', () => {
  it('reads the key from a file (trailing newline dropped), without a warning', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'key.txt'), `${KEY}\n`, { mode: 0o600 });
      const result = await runCli(['client-config', 'claude', '--url', URL, '--key-file', 'key.txt'], { cwd: dir, env: { HOME: dir } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(header);
      expect(result.stderr).not.toMatch(/command line/);
      expect(result.stderr).not.toContain(KEY);
    });
  });

  it('reads the key from stdin with --key-file -', async () => {
    await withTempDir(async (dir) => {
      const result = await runCli(['client-config', 'claude', '--url', URL, '--key-file', '-'], {
        cwd: dir,
        env: { HOME: dir },
        readStdin: async () => `${KEY}\n`,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(header);
    });
  });

  it('takes MCPGW_KEY when no key flag is given, and a flag over it', async () => {
    await withTempDir(async (dir) => {
      const fromEnv = await runCli(['client-config', 'claude', '--url', URL], { cwd: dir, env: { HOME: dir, MCPGW_KEY: KEY } });
      expect(fromEnv.code, fromEnv.stderr).toBe(0);
      expect(fromEnv.stdout).toContain(header);
      expect(fromEnv.stderr).toMatch(/using the key in MCPGW_KEY/);
      await writeFile(path.join(dir, 'other.txt'), 'sk-other-key-0123456789abcdefghij');
      const fromFile = await runCli(['client-config', 'claude', '--url', URL, '--key-file', 'other.txt'], { cwd: dir, env: { HOME: dir, MCPGW_KEY: KEY } });
      expect(fromFile.stdout).toContain('Bearer sk-other-key-0123456789abcdefghij');
    });
  });

  it('warns on stderr, without the key, when the key is on the command line', async () => {
    await withTempDir(async (dir) => {
      const result = await runCli(['client-config', 'claude', '--url', URL, '--key', KEY], { cwd: dir, env: { HOME: dir } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(header);
      expect(result.stderr).toMatch(
        /--key puts the key on the command line, where `ps` shows it to every local user: prefer --key-file PATH, --key-file - \(stdin\) or MCPGW_KEY/,
      );
      expect(result.stderr).not.toContain(KEY);
    });
  });

  it('refuses --key with --key-file, an empty or multi-word file, and a missing file (exit 2, no key echoed)', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'two.txt'), `${KEY} ${KEY}\n`);
      await writeFile(path.join(dir, 'empty.txt'), '\n');
      const both = await runCli(['client-config', 'claude', '--url', URL, '--key', KEY, '--key-file', 'two.txt'], { cwd: dir, env: { HOME: dir } });
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/--key and --key-file both given/);
      for (const file of ['two.txt', 'empty.txt']) {
        const bad = await runCli(['client-config', 'claude', '--url', URL, '--key-file', file], { cwd: dir, env: { HOME: dir } });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(new RegExp(`--key-file ${file.replace('.', '\\.')} does not hold one key`));
        expect(bad.stderr).not.toContain(KEY);
      }
      const missing = await runCli(['client-config', 'claude', '--url', URL, '--key-file', 'nope.txt'], { cwd: dir, env: { HOME: dir } });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--key-file .*nope\.txt cannot be read \(ENOENT\)/);
    });
  });

  it('is offered by probe, keys create, client-config and mcp tools', async () => {
    await withTempDir(async (dir) => {
      for (const command of [['probe'], ['keys', 'create'], ['client-config'], ['mcp', 'tools']]) {
        const help = await runCli(['help', ...command], { cwd: dir, env: {} });
        expect(help.stdout, command.join(' ')).toMatch(/--key-file <path>\s+read the key from a file, or - for stdin \(also:\s+MCPGW_KEY\)/);
      }
    });
  });
});
