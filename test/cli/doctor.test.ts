import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { StepFailed } from '../../src/errors.js';
import { FakeEngine } from '../helpers/fake-engine.js';
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

describe('mcpgw doctor with a typo in mcpgw.yaml (fake engine)', () => {
  /** LiteLLM on loopback as far as doctor asks: liveliness, readiness with its database, its version. */
  async function fakeLitellm(): Promise<{ port: number; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      const body =
        req.url === '/health/liveliness'
          ? 'I am alive!'
          : req.url === '/health/readiness'
            ? { status: 'healthy', db: 'connected', litellm_version: '1.108.7' }
            : undefined;
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { detail: 'Not Found' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('reports the file once and runs the checks of what runs, found by labels', async () => {
    const litellm = await fakeLitellm();
    try {
      await withTempDir(async (dir) => {
        await cp(fixtureStack('http').dir, dir, { recursive: true });
        await chmod(path.join(dir, 'secrets.env'), 0o600);
        const file = path.join(dir, 'mcpgw.yaml');
        await writeFile(file, (await readFile(file, 'utf8')).replace(/^litellm:\n/m, 'litellm:\n  prot: 4000\n'));
        const engine = new FakeEngine();
        const labels = (service: string) => ({ 'io.mcpgw.stack': 'gateway', 'io.mcpgw.service': service });
        const container = (service: string, state = 'running') => ({
          id: `id-${service}`,
          name: `gateway-${service}`,
          image: `image-of-${service}:1.108.7`,
          labels: labels(service),
          state,
          status: state,
        });
        engine.containers = [
          { ...container('litellm'), ports: [{ target: 4000, hostIp: '127.0.0.1', hostPort: litellm.port }] },
          container('postgres'),
          container('mcp-everything'),
          container('mcp-time', 'exited'),
        ];
        engine.details.set('gateway-postgres', {
          ...container('postgres'),
          imageId: 'sha256:pg',
          running: true,
          networks: ['gateway-pg'],
          ports: [],
          env: ['POSTGRES_DB=litellm'],
        });
        engine.members.set('gateway-pg', [{ name: 'gateway-postgres', aliases: [], address: '172.30.0.2' }]);
        const urls: string[] = [];
        const database = async (url: string) => {
          urls.push(url);
          return {
            async query<R extends object>(sql: string) {
              const rows = sql.includes('current_user') ? [{ version: '16.4', role: 'mcpgw_keys', database: 'litellm' }] : [];
              return { rows: rows as R[], rowCount: rows.length };
            },
            end: async () => undefined,
          };
        };
        const deps = { cwd: dir, docker: async () => engine, database };
        const json = await runCli(['doctor', '--offline', '--json'], deps);
        expect(json.code, json.stderr).toBe(1);
        const report = JSON.parse(json.stdout) as { checks: { id: string; status: string; evidence: string[]; causes: { cause: string }[] }[] };
        const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
        // What runs is judged: the database found from the labelled Postgres as mcpgw's keys role, LiteLLM at the port its container publishes.
        const judged = [
          'secrets.file',
          'database.reachable',
          'database.from-litellm',
          'litellm.health',
          'litellm.version',
          'litellm.auto-exec',
          'litellm.image',
          'security.mcp-test-endpoints',
          'security.backups',
        ];
        for (const id of judged) expect(byId[id]?.status, id).toBe('pass');
        expect(urls.every((url) => /^postgresql:\/\/mcpgw_keys:[^@]+@172\.30\.0\.2:5432\/litellm$/.test(url)) && urls.length > 0, urls.join()).toBe(true);
        expect(byId['litellm.health']?.evidence).toEqual(['GET /health/liveliness → 200 "I am alive!"']);
        expect(byId['litellm.image']?.evidence).toEqual(['container gateway-litellm: image-of-litellm:1.108.7']);
        expect(byId['mcp.containers']).toMatchObject({ status: 'fail', causes: [{ cause: 'gateway-mcp-time is not running' }] });
        expect(byId['mcp.containers']?.evidence.slice(1)).toEqual(['gateway-mcp-everything: running', 'gateway-mcp-time: exited']);
        // The file is told once, by config.valid; what needs it skips pointing there.
        expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual(['config.valid', 'mcp.containers']);
        for (const id of ['network.exists', 'keys.declared', 'mcp.gateway', 'clients.files'])
          expect(byId[id], id).toMatchObject({ status: 'skip', evidence: ['needs a valid mcpgw.yaml: mcpgw.yaml has problems (see config.valid)'] });
        const password = /^MCPGW_POSTGRES_KEYS_PASSWORD=(.+)$/m.exec(await readFile(path.join(dir, 'secrets.env'), 'utf8'))?.[1] ?? '';
        expect(password).not.toBe('');
        expect(json.stdout + json.stderr).not.toContain(password);
        const text = await runCli(['doctor', '--offline'], deps);
        expect(text.stdout.match(/litellm\.prot/g)).toHaveLength(1);
        expect(text.stdout.match(/\(see config\.valid\)/g)).toHaveLength(1);

        // Docker down as well: network.exists tells it, and what needs Docker points there, not at the file.
        const down = await runCli(['doctor', '--offline', '--json'], {
          ...deps,
          docker: () => Promise.reject(new StepFailed('cannot reach the Docker engine at /nonexistent.sock')),
        });
        const downById = Object.fromEntries((JSON.parse(down.stdout) as typeof report).checks.map((check) => [check.id, check]));
        expect(downById['network.exists']).toMatchObject({ status: 'fail', evidence: ['cannot reach the Docker engine at /nonexistent.sock'] });
        expect(downById['litellm.health']?.evidence).toEqual(['needs the Docker engine: the Docker engine does not answer (see network.exists)']);
        expect(downById['database.reachable']?.evidence).toEqual([
          "needs LiteLLM's database: the Docker engine does not answer, so LiteLLM's database cannot be reached (see network.exists)",
        ]);
      });
    } finally {
      await litellm.close();
    }
  });
});
