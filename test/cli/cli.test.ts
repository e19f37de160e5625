import { chmod, cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/config/secrets.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { fixtureStack } from '../helpers/fixtures.js';

const ANSI = /\u001b\[/;

async function copyFixture(name: string, dir: string): Promise<void> {
  await cp(fixtureStack(name).dir, dir, { recursive: true });
  await chmod(path.join(dir, 'secrets.env'), 0o600);
}

describe('mcpgw CLI', () => {
  it('prints help and exits 0', async () => {
    const result = await runCli(['--help'], { cwd: '/' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: mcpgw/);
    expect(result.stdout).toMatch(/init/);
    expect(result.stdout).toMatch(/render/);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['frobnicate'], { cwd: '/' })).code).toBe(2);
    const badOption = await runCli(['render', '--bogus'], { cwd: '/' });
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('exits 2 with a hint when mcpgw.yaml is missing', async () => {
    await withTempDir(async (dir) => {
      const result = await runCli(['render'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/mcpgw\.yaml not found/);
      expect(result.stderr).toMatch(/mcpgw init/);
    });
  });

  describe('init', () => {
    it('writes a valid mcpgw.yaml and a 0600 secrets file, printing no secret', async () => {
      await withTempDir(async (dir) => {
        const result = await runCli(['init', '--host', 'linuxserver.lan'], { cwd: dir });
        expect(result.code).toBe(0);
        const yaml = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
        expect(yaml).toMatch(/^host: linuxserver\.lan/m);
        const secretsFile = path.join(dir, 'secrets', 'litellm.env');
        expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
        expect((await stat(path.dirname(secretsFile))).mode & 0o777).toBe(0o700);
        const secrets = parseSecrets(await readFile(secretsFile, 'utf8'));
        expect(secrets.get('LITELLM_MASTER_KEY')).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
        expect(secrets.get('LITELLM_SALT_KEY')).toMatch(/^sk-/);
        expect(secrets.get('POSTGRES_PASSWORD')).toMatch(/^[0-9a-f]{48}$/);
        for (const value of secrets.values()) {
          expect(result.stdout).not.toContain(value);
          expect(result.stderr).not.toContain(value);
        }
        // What init writes renders without further edits.
        expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
      });
    });

    it('--offline writes a stack whose images mcpgw builds and whose probe runs on the canary, and it renders', async () => {
      await withTempDir(async (dir) => {
        const result = await runCli(['init', '--offline', '--host', 'linuxserver.lan'], { cwd: dir });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/next: `mcpgw up` builds the images/);
        // Run through npx, as from a clone, the next step is a command that works there.
        const viaNpx = await runCli(['init', '--offline', '--force', '--host', 'linuxserver.lan'], { cwd: dir, env: { npm_command: 'exec' } });
        expect(viaNpx.stdout).toMatch(/next: `npx mcpgw up` builds the images/);
        const yaml = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
        expect(yaml).toMatch(/^probe_model: canary /m);
        expect(yaml.match(/^ {2}build: builtin /gm)).toHaveLength(2);
        expect(yaml).toMatch(/^ {4}build: \{ npm: "@modelcontextprotocol\/server-everything@2026\.8\.31" \}/m);
        // Nothing is pulled or downloaded at start: no image to pull, no npx (the commented examples aside).
        const live = yaml.split('\n').filter((line) => !line.trimStart().startsWith('#'));
        expect(live.filter((line) => /\bimage:|npx/.test(line))).toEqual([]);
        expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
        const config = await readFile(path.join(dir, 'config', 'config.yaml'), 'utf8');
        expect(config).toMatch(/model_name: mcpgw-canary/);
        expect(await readFile(path.join(dir, 'canary', 'canary-model.py'), 'utf8')).toMatch(/mcpgw's canary model/);
      });
    });

    it('generates different secrets each time', async () => {
      await withTempDir(async (a) =>
        withTempDir(async (b) => {
          await runCli(['init'], { cwd: a });
          await runCli(['init'], { cwd: b });
          const read = (dir: string) => readFile(path.join(dir, 'secrets', 'litellm.env'), 'utf8');
          expect(parseSecrets(await read(a)).get('LITELLM_MASTER_KEY')).not.toBe(parseSecrets(await read(b)).get('LITELLM_MASTER_KEY'));
        }),
      );
    });

    it('refuses to overwrite, and --force keeps backups', async () => {
      await withTempDir(async (dir) => {
        await runCli(['init'], { cwd: dir });
        const original = await readFile(path.join(dir, 'secrets', 'litellm.env'), 'utf8');
        const refused = await runCli(['init'], { cwd: dir });
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/already exist; nothing was written/);
        expect(await readFile(path.join(dir, 'secrets', 'litellm.env'), 'utf8')).toBe(original);

        const forced = await runCli(['init', '--force', '--json'], { cwd: dir });
        expect(forced.code).toBe(0);
        const report = JSON.parse(forced.stdout) as { backups: string[] };
        expect(report.backups).toHaveLength(2);
        const backup = report.backups.find((file) => file.includes('litellm.env'));
        expect(await readFile(backup ?? '', 'utf8')).toBe(original);
        expect(await readFile(path.join(dir, 'secrets', 'litellm.env'), 'utf8')).not.toBe(original);
      });
    });

    it('falls back to a placeholder host when the machine name is public', async () => {
      await withTempDir(async (dir) => {
        await runCli(['init'], { cwd: dir, hostname: () => 'box.example.com' });
        expect(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).toMatch(/^host: gateway\.lan/m);
      });
    });
  });

  describe('render', () => {
    it('writes the stack files, with env files at 0600, and is idempotent', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('seed', dir);
        const first = await runCli(['render', '--json'], { cwd: dir });
        expect(first.code).toBe(0);
        const report = JSON.parse(first.stdout) as { files: { path: string; state: string }[] };
        expect(report.files.map((file) => file.state)).toEqual(report.files.map(() => 'created'));
        expect((await stat(path.join(dir, 'env', 'litellm.env'))).mode & 0o777).toBe(0o600);
        expect((await stat(path.join(dir, 'docker-compose.yml'))).mode & 0o777).toBe(0o644);

        const before = await readFile(path.join(dir, 'docker-compose.yml'), 'utf8');
        const second = await runCli(['render', '--json'], { cwd: dir });
        expect((JSON.parse(second.stdout) as typeof report).files.every((file) => file.state === 'unchanged')).toBe(true);
        expect(await readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toBe(before);
      });
    });

    it('--check passes when up to date and exits 1 naming stale files', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('seed', dir);
        expect((await runCli(['render', '--check'], { cwd: dir })).code).toBe(1);
        await runCli(['render'], { cwd: dir });
        const fresh = await runCli(['render', '--check'], { cwd: dir });
        expect(fresh.code).toBe(0);
        expect(fresh.stdout).toMatch(/up to date/);

        const configPath = path.join(dir, 'config', 'config.yaml');
        await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('transport: sse', 'transport: http'));
        await writeFile(path.join(dir, 'env', 'litellm.env'), 'LITELLM_MASTER_KEY=sk-tampered-value\n');
        const stale = await runCli(['render', '--check'], { cwd: dir });
        expect(stale.code).toBe(1);
        expect(stale.stdout).toMatch(/stale {2}config\/config\.yaml: line \d+: expected " {4}transport: sse"/);
        expect(stale.stdout).toMatch(/stale {2}env\/litellm\.env: values differ \(hidden\)/);
        expect(stale.stdout + stale.stderr).not.toContain('sk-tampered-value');
        expect(stale.stdout + stale.stderr).not.toContain('sk-fixture-master');
      });
    });

    it('writes to --out', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('http', dir);
        expect((await runCli(['-f', 'mcpgw.yaml', 'render', '--out', 'deploy'], { cwd: dir })).code).toBe(0);
        expect((await readdir(path.join(dir, 'deploy'))).sort()).toEqual(['config', 'docker-compose.yml', 'env', 'front-door', 'postgres']);
      });
    });

    it('exits 2 listing every config problem with file:line, path and fix', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('seed', dir);
        const yamlPath = path.join(dir, 'mcpgw.yaml');
        const yaml = (await readFile(yamlPath, 'utf8')).replace('port: 48010', 'port: 8080').replace('    path: /sse', '    pth: /sse');
        await writeFile(yamlPath, yaml);
        const result = await runCli(['render'], { cwd: dir });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/has 2 problems/);
        expect(result.stderr).toMatch(/mcpgw\.yaml:\d+:\d+ {2}mcp_servers\.db_main\.port: 8080 is outside 48000–48999/);
        expect(result.stderr).toMatch(/mcp_servers\.db_main\.pth: unknown field\n +fix: did you mean "path"\?/);
        expect(result.stdout).toBe('');
        expect(await readdir(dir)).not.toContain('docker-compose.yml');
      });
    });

    it('reports config errors as JSON with --json', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('seed', dir);
        const yamlPath = path.join(dir, 'mcpgw.yaml');
        await writeFile(yamlPath, (await readFile(yamlPath, 'utf8')).replace('api_key: ANTHROPIC_API_KEY', 'api_key: ${ANTHROPIC_API_KEY}'));
        const result = await runCli(['--json', 'render'], { cwd: dir });
        expect(result.code).toBe(2);
        const report = JSON.parse(result.stdout) as { ok: boolean; error: { kind: string; issues: { path: string }[] } };
        expect(report.ok).toBe(false);
        expect(report.error.kind).toBe('config');
        expect(report.error.issues.map((issue) => issue.path)).toEqual(['litellm.models[0].api_key']);
      });
    });

    it('exits 2 naming missing secrets without printing any value', async () => {
      await withTempDir(async (dir) => {
        await copyFixture('seed', dir);
        const secretsPath = path.join(dir, 'secrets.env');
        const secrets = await readFile(secretsPath, 'utf8');
        await writeFile(
          secretsPath,
          secrets
            .split('\n')
            .filter((line) => !line.startsWith('ANTHROPIC_API_KEY='))
            .join('\n'),
        );
        const result = await runCli(['render'], { cwd: dir });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/secrets\.env has 1 problem\n.*ANTHROPIC_API_KEY: is not set\n +fix: add ANTHROPIC_API_KEY=…/);
        for (const value of parseSecrets(secrets).values()) expect(result.stderr).not.toContain(value);
      });
    });
  });

  describe('colour', () => {
    const tty = () => {
      const stream = { output: '', isTTY: true, write: (chunk: string) => (stream.output += chunk) };
      return stream;
    };

    it('uses colour on a terminal and none with NO_COLOR or --no-color', async () => {
      const coloured = tty();
      await runCli(['render'], { cwd: '/nonexistent', stderr: coloured });
      expect(coloured.output).toMatch(ANSI);

      const noColorEnv = tty();
      await runCli(['render'], { cwd: '/nonexistent', stderr: noColorEnv, env: { NO_COLOR: '1' } });
      expect(noColorEnv.output).toMatch(/error:/);
      expect(noColorEnv.output).not.toMatch(ANSI);

      const noColorFlag = tty();
      await runCli(['--no-color', 'render'], { cwd: '/nonexistent', stderr: noColorFlag });
      expect(noColorFlag.output).not.toMatch(ANSI);
    });
  });

  it('exits 130 when a run is interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runCli(['render'], { cwd: '/nonexistent', signal: controller.signal });
    expect(result.code).toBe(130);
  });
});

describe('stack commands without a Docker engine', () => {
  it.each([['up'], ['down'], ['status'], ['logs']])(
    '%s exits 1 (an unreachable dependency, not a usage error) naming the engine and the fix',
    async (command) => {
      await withTempDir(async (dir) => {
        await copyFixture('http', dir);
        const result = await runCli([command], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/);
        expect(result.stderr).toMatch(/fix: start Docker/);
      });
    },
  );
});

describe('probe input errors (exit 2 before anything is contacted)', () => {
  const probe = async (args: string[], setup?: (dir: string) => Promise<void>) =>
    withTempDir(async (dir) => {
      await copyFixture('http', dir);
      await setup?.(dir);
      return runCli(['probe', ...args], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    });

  it('names the servers when --server is unknown', async () => {
    const result = await probe(['--server', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown MCP server "nope"/);
    expect(result.stderr).toMatch(/fix: servers in mcpgw\.yaml: /);
  });

  it('refuses a malformed --timeout', async () => {
    const result = await probe(['--timeout', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/soon is not a duration/);
  });

  it('explains a --replay file that is missing, not JSON, or not a request', async () => {
    const missing = await probe(['--replay', 'nothing.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nothing\.json: ENOENT/);
    const broken = await probe(['--replay', 'request.json'], (dir) => writeFile(path.join(dir, 'request.json'), '{"model": '));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/request\.json is not valid JSON/);
    const list = await probe(['--replay', 'request.json'], (dir) => writeFile(path.join(dir, 'request.json'), '[1]'));
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/request\.json is not a JSON object/);
  });
});
