import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { writeArchive } from '../../src/backup/archive.js';
import { CHECKS } from '../../src/doctor/checks/index.js';
import { DoctorContext, type DoctorDeps } from '../../src/doctor/context.js';
import { judgeAuth } from '../../src/doctor/checks/database-auth.js';
import { attributeRestTools } from '../../src/doctor/mcp-servers.js';
import { formatDoctorReport } from '../../src/doctor/report.js';
import { runChecks, selectChecks } from '../../src/doctor/runner.js';
import { fail, pass, type Check, type CheckResult, type DoctorReport } from '../../src/doctor/types.js';
import { UserError } from '../../src/errors.js';
import { renderStack } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { writeRendered } from '../../src/render/write.js';
import { forgeArchive } from '../helpers/backup.js';
import { clockAt, withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { FakeHost } from '../helpers/fake-host.js';
import { fixtureStack, fixturesDir } from '../helpers/fixtures.js';
import { loadConfig } from '../../src/config/load.js';
import { SERVICE_LABEL, STACK_LABEL } from '../../src/stack/labels.js';
import { fakeKeyDatabase } from '../helpers/key-columns.js';

/** Nothing listens here (a port of this worktree's range), so the gateway is "down" without any traffic leaving loopback. */
const DEAD_PORT = 14699;

function contextFor(dir: string, overrides: Partial<DoctorDeps> = {}): DoctorContext {
  return new DoctorContext({
    configFile: path.join(dir, 'mcpgw.yaml'),
    cwd: dir,
    env: { HOME: path.join(dir, 'home') },
    clock: clockAt('2026-11-26T12:00:00Z'),
    randomBytes,
    protect: () => undefined,
    docker: () => Promise.reject(new Error('no Docker in the unit tier')),
    database: () => Promise.reject(new Error('no database in the unit tier')),
    hostShell: async () => new FakeHost(),
    requestTimeoutMs: 1000,
    offline: true,
    uid: process.getuid?.(),
    ...overrides,
  });
}

/** The http fixture stack in `dir`, on a dead LiteLLM port, rendered with mcpgw's own renderer. */
async function stackIn(dir: string, edit: (yaml: string) => string = (yaml) => yaml): Promise<void> {
  await cp(fixtureStack('http').dir, dir, { recursive: true });
  await chmod(path.join(dir, 'secrets.env'), 0o600);
  const file = path.join(dir, 'mcpgw.yaml');
  await writeFile(file, edit((await readFile(file, 'utf8')).replace('port: 4000', `port: ${DEAD_PORT}`)));
  const ctx = contextFor(dir);
  await writeRendered(dir, renderStack(await ctx.model(), await ctx.secrets(), loadTemplates(), (await ctx.loaded()).secretsFile));
}

async function runOne(ctx: DoctorContext, id: string): Promise<CheckResult> {
  const report = await runChecks(ctx, selectChecks(CHECKS, [id]), { only: [id], timeoutMs: 10_000 });
  return report.checks[0] as CheckResult;
}

const causes = (result: CheckResult) => result.causes.map((cause) => `${cause.cause} | ${cause.fix}`).join('\n');

describe('doctor runner', () => {
  const check = (id: string, run: Check['run'], needs: Check['needs'] = []): Check => ({ id, title: id, area: 'config', needs, run });

  it('runs checks in parallel; a crash becomes a failed result, a hung check fails at its deadline, an unmet need skips with the reason', async () => {
    await withTempDir(async (dir) => {
      let running = 0;
      let overlap = 0;
      const slow = async () => {
        running++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        overlap = Math.max(overlap, running);
        running--;
        return pass('fine');
      };
      const report = await runChecks(
        contextFor(dir),
        [
          check('a.slow1', slow),
          check('a.slow2', slow),
          check('a.crash', async () => {
            throw new Error('boom');
          }),
          check('a.hang', () => new Promise(() => undefined)),
          check('a.needs-docker', async () => pass('never'), ['docker']),
          check('a.online', async () => pass('never'), ['online']),
        ],
        { only: [], timeoutMs: 200 },
      );
      expect(overlap).toBe(2);
      expect(report.checks.map((result) => [result.id, result.status, result.evidence[0]])).toEqual([
        ['a.slow1', 'pass', 'fine'],
        ['a.slow2', 'pass', 'fine'],
        ['a.crash', 'fail', 'check crashed: boom'],
        ['a.hang', 'fail', 'no answer within 200 ms'],
        ['a.needs-docker', 'skip', 'needs the Docker engine: no Docker in the unit tier'],
        ['a.online', 'skip', 'needs the upstream model: --offline'],
      ]);
      expect(report).toMatchObject({ ok: false, summary: { pass: 2, warn: 0, fail: 2, skip: 2 } });
    });
  });

  it('a cause found on several servers is listed once, in first-seen order', async () => {
    await withTempDir(async (dir) => {
      const down = { cause: 'LiteLLM could not rebuild its MCP server list', fix: 'fix the database' };
      const other = { cause: 'alpha lists no tools', fix: 'mcpgw logs litellm' };
      const report = await runChecks(contextFor(dir), [check('a.repeated', async () => fail(['alpha: 503', 'beta: 503'], [down, other, { ...down }, other]))], {
        only: [],
        timeoutMs: 1000,
      });
      expect(report.checks[0]?.causes).toEqual([down, other]);
      expect(report.checks[0]?.evidence).toEqual(['alpha: 503', 'beta: 503']);
    });
  });

  it("--offline attributes LiteLLM's REST tool list to each server; an answer it cannot attribute falls back", async () => {
    const alpha = { name: 'alpha', transport: 'http' as const };
    const beta = { name: 'beta', transport: 'sse' as const };
    const down = { cause: 'container mcp-beta is exited', fix: '`mcpgw up`' };
    // The shape LiteLLM 1.108.7 answered with one server unreachable (captured from the test stack).
    const body = {
      tools: [
        { name: 'echo', mcp_info: { server_name: 'alpha' } },
        { name: 'get-sum', mcp_info: { server_name: 'alpha' } },
      ],
      server_outcomes: { beta: { status: 'unreachable' } },
    };
    const known = await attributeRestTools(body, [alpha, beta], async (server) => (server.name === 'beta' ? [down] : []));
    expect(known?.map((server) => [server.name, server.outcome.status, server.outcome.evidence, server.outcome.causes ?? []])).toEqual([
      ['alpha', 'pass', ['GET /mcp-rest/tools/list → 2 tools from alpha'], []],
      ['beta', 'fail', ['GET /mcp-rest/tools/list → 0 tools from beta (LiteLLM: unreachable)'], [down]],
    ]);
    // Nothing known against beta itself: the cause is on LiteLLM's side, and still comes with a fix.
    const unexplained = await attributeRestTools(body, [beta], async () => []);
    expect(unexplained?.[0]?.outcome.causes).toEqual([
      {
        cause: 'LiteLLM lists no tools from beta (it reports the server unreachable), though nothing is found wrong with the server itself',
        fix: expect.stringMatching(/^`mcpgw logs litellm`/),
      },
    ]);
    expect(await attributeRestTools({ tools: [{ name: 'echo' }] }, [alpha], async () => [])).toBeUndefined();
    expect(await attributeRestTools('Internal Server Error', [alpha], async () => [])).toBeUndefined();
  });

  it('--only takes ids, areas and id prefixes; an unknown entry is a usage error listing what exists', () => {
    expect(selectChecks(CHECKS, ['database']).map((entry) => entry.id)).toEqual([
      'database.reachable',
      'database.auth',
      'database.schema',
      'database.from-litellm',
    ]);
    expect(selectChecks(CHECKS, ['secrets.file', 'mcp.gateway']).map((entry) => entry.id)).toEqual(['secrets.file', 'mcp.gateway']);
    expect(() => selectChecks(CHECKS, ['nope'])).toThrow(UserError);
    expect(() => selectChecks(CHECKS, ['nope'])).toThrow(/--only nope matches no check/);
  });

  it('every check has a unique id in its own area', () => {
    const ids = CHECKS.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of CHECKS) expect(entry.id.startsWith(`${entry.area}.`)).toBe(true);
  });

  it('formats the report grouped by area with a summary line', () => {
    const result = (
      id: string,
      area: CheckResult['area'],
      status: CheckResult['status'],
      evidence: string[],
      found: CheckResult['causes'] = [],
    ): CheckResult => ({ id, area, title: `${id} title`, status, ms: 3, evidence, causes: found });
    const text = formatDoctorReport({
      ok: false,
      summary: { pass: 1, warn: 0, fail: 1, skip: 0 },
      checks: [
        result('secrets.file', 'secrets', 'fail', ['mode 0644', 'tool answered:\nline two'], [{ cause: 'readable\nby all', fix: 'chmod 600 f' }]),
        result('config.valid', 'config', 'pass', ['first', 'second', 'third']),
      ],
    });
    expect(text).toBe(
      [
        'config',
        '  ok    config.valid  config.valid title  (3 ms)',
        '          first',
        '          +2 more (-v)',
        '',
        'secrets',
        '  FAIL  secrets.file  secrets.file title  (3 ms)',
        '          mode 0644',
        '          tool answered:',
        '          line two',
        '          cause: readable',
        '                 by all',
        '          fix:   chmod 600 f',
        '',
        'FAILED: 1 passed, 0 warnings, 1 failed, 0 skipped',
      ].join('\n'),
    );
  });
});

describe('the doctor report of a stack whose mcpgw.yaml is invalid', () => {
  const result = (id: string, area: CheckResult['area'], status: CheckResult['status'], evidence: string[]): CheckResult => ({
    id,
    area,
    title: `${id} title`,
    status,
    ms: 3,
    evidence,
    causes: status === 'fail' ? [{ cause: 'line 13: litellm.prot: unknown field', fix: 'did you mean "port"?' }] : [],
  });
  const report: DoctorReport = {
    ok: false,
    summary: { pass: 0, warn: 0, fail: 1, skip: 3 },
    checks: [
      result('config.valid', 'config', 'fail', ['mcpgw.yaml has 1 problem']),
      result('config.rendered', 'config', 'skip', ['needs a valid mcpgw.yaml: mcpgw.yaml has problems (see config.valid)']),
      result('keys.declared', 'keys', 'skip', ['needs a valid mcpgw.yaml: mcpgw.yaml has problems (see config.valid)']),
      result('mcp.llm', 'mcp', 'skip', ['needs the upstream model: --offline']),
    ],
  };

  it('tells the cause once, at its check, and lists the checks it kept from running once at the end', () => {
    const text = formatDoctorReport(report);
    expect(text.match(/needs a valid mcpgw\.yaml/g)).toHaveLength(1);
    expect(text).toContain(
      [
        'not run, each until the cause it names is fixed (-v shows each)',
        '  skip  2 check(s): needs a valid mcpgw.yaml: mcpgw.yaml has problems (see config.valid)',
        '          config.rendered, keys.declared',
      ].join('\n'),
    );
    // A skip with a reason of its own stays in its area; an area left with nothing is not printed.
    expect(text).toMatch(/^mcp\n {2}skip {2}mcp\.llm {2}mcp\.llm title {2}\(3 ms\)\n {10}needs the upstream model: --offline$/m);
    expect(text).not.toMatch(/^keys$/m);
  });

  it('shows every check in its area with -v', () => {
    const text = formatDoctorReport(report, true);
    expect(text.match(/needs a valid mcpgw\.yaml/g)).toHaveLength(2);
    expect(text).toMatch(/^keys\n {2}skip {2}keys\.declared/m);
    expect(text).not.toContain('not run');
  });
});

describe('doctor checks on real files', () => {
  it('a freshly rendered stack passes the config and secrets checks', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const ctx = contextFor(dir);
      for (const id of [
        'config.valid',
        'config.rendered',
        'config.shell-vars',
        'config.environ-defined',
        'config.transport-explicit',
        'config.server-paths',
        'config.ignored-fields',
        'secrets.file',
        'secrets.master-key',
        'secrets.git',
      ]) {
        expect([id, (await runOne(ctx, id)).status]).toEqual([id, 'pass']);
      }
    });
  });

  it('config.valid lists every mcpgw.yaml problem with its line and fix', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      await writeFile(path.join(dir, 'mcpgw.yaml'), 'version: 1\nhost: linuxserver.lan\nmcp_servers:\n  db:\n    url: http://mcp-postgres:8080/sse\n');
      const result = await runOne(contextFor(dir), 'config.valid');
      expect(result.status).toBe('fail');
      expect(causes(result)).toMatch(
        // A missing field is said to be missing, at the key of the server it belongs to.
        /line 4: mcp_servers\.db\.transport: is missing; it must be one of sse, http, stdio \(LiteLLM silently takes a server without one as http/,
      );
    });
  });

  it('${VAR} in the deployed config.yaml fails config.shell-vars with the place and the os.environ/ fix', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const file = path.join(dir, 'config', 'config.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('os.environ/LITELLM_MASTER_KEY', '${LITELLM_MASTER_KEY}'));
      const ctx = contextFor(dir);
      const result = await runOne(ctx, 'config.shell-vars');
      expect(result.status).toBe('fail');
      expect(result.evidence).toEqual([
        'config/config.yaml general_settings.master_key: ${LITELLM_MASTER_KEY} is never resolved (LiteLLM only reads os.environ/NAME)',
      ]);
      expect((await runOne(ctx, 'config.rendered')).evidence[0]).toMatch(/^config\/config\.yaml: line \d+: expected/);
      // Told once: config.ignored-fields leaves a ${VAR} of the deployed file to config.shell-vars.
      expect((await runOne(ctx, 'config.ignored-fields')).status).toBe('pass');
    });
  });

  it("config.ignored-fields names what LiteLLM reads nowhere: a hand edit of config.yaml, and an adopted deployment's own", async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const file = path.join(dir, 'config', 'config.yaml');
      await writeFile(file, `${await readFile(file, 'utf8')}virtual_keys:\n  - api_key: os.environ/LITELLM_VIRTUAL_KEY_TEST\n`);
      const edited = await runOne(contextFor(dir), 'config.ignored-fields');
      expect(edited.status).toBe('fail');
      expect(edited.evidence).toEqual([expect.stringMatching(/^config\/config\.yaml virtual_keys: no version reads a top-level virtual_keys/)]);
      expect(causes(edited)).toMatch(/edit mcpgw\.yaml instead and run `mcpgw render`/);

      await stackIn(dir);
      const seed = path.join(fixturesDir, 'adopt', 'seed', 'docker-compose.yml');
      const yaml = path.join(dir, 'mcpgw.yaml');
      await writeFile(
        yaml,
        `${await readFile(yaml, 'utf8')}adopted: { compose_file: ${seed}, project: seed, litellm_container: litellm, litellm_version: 1.77.3 }\n`,
      );
      const adopted = await runOne(contextFor(dir), 'config.ignored-fields');
      expect(adopted.status).toBe('fail');
      const seedConfig = path.join(fixturesDir, 'adopt', 'seed', 'config', 'config.yaml');
      expect(adopted.evidence.map((line) => line.replace(seedConfig, 'SEED').split(':')[0])).toEqual([
        'SEED litellm_settings.master_key',
        'SEED litellm_settings.database_url',
        'SEED virtual_keys',
        'SEED mcp_servers.db_main.api_keys',
        'SEED mcp_servers.db_main.require_approval',
        'SEED mcp_servers.monitoring.transport',
        'SEED mcp_servers.monitoring.api_keys',
        'SEED mcp_servers.db_main.api_keys[0]',
        'SEED mcp_servers.monitoring.api_keys[0]',
      ]);
      // After `mcpgw upgrade` the container of that name is mcpgw's own LiteLLM: the adopted config.yaml is read by nothing.
      const { config } = await loadConfig(yaml);
      const engine = new FakeEngine();
      engine.containers.push({
        id: 'c1',
        name: 'litellm',
        image: 'mcpgw/litellm-db:1.108.7',
        labels: { [STACK_LABEL]: config.name },
        state: 'running',
        status: 'Up',
      });
      const upgraded = await runOne(contextFor(dir, { docker: async () => engine }), 'config.ignored-fields');
      expect(upgraded.evidence.join('\n')).not.toContain(seedConfig);
      // The adopted container itself, still serving: its config.yaml is judged.
      engine.containers[0] = { ...engine.containers[0]!, labels: { 'com.docker.compose.project': 'seed' } };
      const serving = await runOne(contextFor(dir, { docker: async () => engine }), 'config.ignored-fields');
      expect(serving.evidence.join('\n')).toContain(seedConfig);
    });
  });

  it("litellm.health names the front door when LiteLLM's container runs but nothing answers on its port", async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const model = await contextFor(dir).model();
      const engine = new FakeEngine();
      const ours = (service: string, state: string) => ({
        id: service,
        name: `${model.name}-${service}`,
        image: 'x',
        labels: { [STACK_LABEL]: model.name, [SERVICE_LABEL]: service },
        state,
        status: state,
      });
      engine.containers.push(ours('litellm', 'running'), ours('front-door', 'exited'));
      const stopped = await runOne(contextFor(dir, { docker: async () => engine }), 'litellm.health');
      expect(stopped.status).toBe('fail');
      expect(causes(stopped)).toBe("the front door on LiteLLM's port is exited, so nothing answers there | `mcpgw logs front-door`; then `mcpgw up`");
      engine.containers.pop();
      const missing = await runOne(contextFor(dir, { docker: async () => engine }), 'litellm.health');
      expect(causes(missing)).toBe("the front door on LiteLLM's port is missing, so nothing answers there | `mcpgw logs front-door`; then `mcpgw up`");
    });
  });

  it("the seed's config.yaml: no transport, an SSE path for an http server, a variable LiteLLM never receives", async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      await writeFile(
        path.join(dir, 'config', 'config.yaml'),
        [
          'general_settings:',
          '  master_key: os.environ/LITELLM_MASTER_KEY',
          'mcp_servers:',
          '  db_main:',
          '    url: http://mcp-postgres:8080/mcp',
          '    api_keys: [os.environ/LITELLM_VIRTUAL_KEY_TEST]',
          '  monitoring:',
          '    transport: http',
          '    url: http://mcp-monitor:8700/sse',
          '',
        ].join('\n'),
      );
      const ctx = contextFor(dir);
      const transport = await runOne(ctx, 'config.transport-explicit');
      expect([transport.status, transport.evidence]).toEqual(['fail', ['config/config.yaml mcp_servers.db_main has no transport']]);
      const paths = await runOne(ctx, 'config.server-paths');
      expect(paths.status).toBe('fail');
      // db_main has no transport, which LiteLLM takes as http: its /mcp path fits that (transport-explicit fails it).
      expect(paths.evidence).toEqual(['config/config.yaml mcp_servers.monitoring.url: /sse is an SSE path but transport is http']);
      const environ = await runOne(ctx, 'config.environ-defined');
      expect([environ.status, environ.evidence]).toEqual([
        'fail',
        ['config/config.yaml mcp_servers.db_main.api_keys[0]: os.environ/LITELLM_VIRTUAL_KEY_TEST is not set in env/litellm.env'],
      ]);
    });
  });

  it('a secrets file with mode 0644, or owned by someone else, fails secrets.file', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const file = path.join(dir, 'secrets.env');
      await chmod(file, 0o644);
      const open = await runOne(contextFor(dir), 'secrets.file');
      expect(open.status).toBe('fail');
      expect(causes(open)).toBe(`mode is 0644: other users on this machine can read the master key and passwords | chmod 600 ${file}`);
      await chmod(file, 0o600);
      const foreign = await runOne(contextFor(dir, { uid: 4242 }), 'secrets.file');
      expect(causes(foreign)).toMatch(/^owned by uid \d+, not by you \(uid 4242\) \| chown 4242 /);
    });
  });

  it('a master key without sk- fails secrets.master-key without printing it', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const file = path.join(dir, 'secrets.env');
      await writeFile(file, (await readFile(file, 'utf8')).replace('LITELLM_MASTER_KEY=sk-fixture-master-http', 'LITELLM_MASTER_KEY=plain-master-value'));
      const result = await runOne(contextFor(dir), 'secrets.master-key');
      expect(result.status).toBe('fail');
      expect(JSON.stringify(result)).not.toContain('plain-master-value');
    });
  });

  it('a secret committed to a git repository next to the stack fails secrets.git, naming the files, not the values', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: dir });
      await git('init', '-q');
      await writeFile(path.join(dir, 'notes.md'), 'master key for later: sk-fixture-master-http\n');
      await git('add', 'notes.md', 'mcpgw.yaml');
      await git('commit', '-qm', 'notes');
      const result = await runOne(contextFor(dir), 'secrets.git');
      expect(result.status).toBe('fail');
      expect(result.evidence).toEqual(['secret values found in tracked files: notes.md']);
      expect(JSON.stringify(result)).not.toContain('sk-fixture-master-http');
      expect(causes(result)).toMatch(/rotate every exposed value/);
    });
  });

  it('LAN rules: a public host and traefik labels fail network.lan-only unless lan_only is false', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      await writeFile(path.join(dir, 'docker-compose.yml'), 'services:\n  litellm:\n    labels:\n      traefik.enable: "true"\n');
      const result = await runOne(contextFor(dir), 'network.lan-only');
      expect(result.status).toBe('fail');
      expect(causes(result)).toMatch(/docker-compose\.yml carries traefik labels/);
    });
  });

  it('security.stdio-inside-litellm warns for each stdio server LiteLLM spawns, naming the secrets it can read', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      expect((await runOne(contextFor(dir), 'security.stdio-inside-litellm')).status).toBe('pass');
      await stackIn(dir, (yaml) =>
        yaml.replace('mcp_servers:\n', 'mcp_servers:\n  local:\n    transport: stdio\n    inside_litellm: true\n    command: mcp-server-time\n'),
      );
      const inside = await runOne(contextFor(dir), 'security.stdio-inside-litellm');
      expect([inside.status, inside.evidence]).toEqual(['warn', ['mcp_servers.local: inside_litellm: true']]);
      expect(causes(inside)).toMatch(
        /local runs inside LiteLLM's container and can read its environment \(\/proc\/1\/environ\): LITELLM_MASTER_KEY, LITELLM_SALT_KEY, DATABASE_URL/,
      );
      expect(causes(inside)).toMatch(/remove inside_litellm from mcp_servers\.local/);
    });
  });

  it('security.isolation: passes on the stack as up makes it; fails on a shared network, an extra network, a lost internal flag and a missing hardening', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const model = await contextFor(dir).model();
      const engine = new FakeEngine();
      for (const service of model.services) {
        engine.containers.push({
          id: `id-${service.name}`,
          name: service.containerName,
          image: service.image,
          labels: service.labels,
          state: 'running',
          status: 'running',
        });
        engine.hardening.set(`id-${service.name}`, {
          user: service.user ?? '',
          capDrop: ['ALL'],
          capAdd: service.capAdd,
          securityOpt: ['no-new-privileges:true'],
        });
      }
      for (const network of model.networks)
        engine.networks.set(network.name, { labels: network.labels, internal: network.internal, containers: [`id-${network.serves}`, 'id-litellm'] });
      const ctx = () => contextFor(dir, { docker: async () => engine });
      const clean = await runOne(ctx(), 'security.isolation');
      expect([clean.status, causes(clean)]).toEqual(['pass', '']);
      expect(clean.evidence).toContain('gateway-mcp-everything-net: 2 container(s)');
      expect(clean.evidence).toContain('postgres-net: 2 container(s), internal');

      // The layout of an earlier mcpgw, by hand: the MCP server also on Postgres's network, that network not
      // internal, and Postgres created with every default capability.
      engine.networks.get('postgres-net')?.containers.push('id-mcp-everything');
      engine.networks.set('postgres-net', {
        ...(engine.networks.get('postgres-net') as { labels: Record<string, string>; containers: string[] }),
        internal: false,
      });
      engine.hardening.set('id-postgres', { user: '', capDrop: [], capAdd: [], securityOpt: [] });
      const broken = await runOne(ctx(), 'security.isolation');
      expect(broken.status).toBe('fail');
      expect(causes(broken).split('\n')).toEqual([
        'postgres-net also holds gateway-mcp-everything: from there postgres is reached without a key | docker network disconnect postgres-net CONTAINER for each, or `mcpgw up` (it recreates the stack on its own networks, hardened)',
        'postgres-net is not internal: postgres has a route out of the host it does not need | `mcpgw up` (it recreates the stack on its own networks, hardened)',
        'gateway-mcp-everything is also on postgres-net: it reaches whatever else is there | docker network disconnect NETWORK gateway-mcp-everything, or `mcpgw up` (it recreates the stack on its own networks, hardened)',
        'gateway-postgres: capabilities not dropped (cap_drop ALL); no no-new-privileges:true | `mcpgw up` (it recreates the stack on its own networks, hardened)',
      ]);
    });
  });

  it('a floating LiteLLM tag fails litellm.image; a vulnerable tag fails litellm.version and auto-exec; CVE-2026-42208 wants disable_error_logs', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir, (yaml) => yaml.replace('registry.lan:5000/litellm:1.108.7', 'ghcr.io/berriai/litellm:main-latest'));
      const floating = await runOne(contextFor(dir), 'litellm.image');
      expect([floating.status, floating.evidence]).toEqual(['fail', ['mcpgw.yaml litellm.image: ghcr.io/berriai/litellm:main-latest']]);
      // The seed's release: vulnerable, and it hands tool calls back on chat completions.
      await stackIn(dir, (yaml) => yaml.replace('registry.lan:5000/litellm:1.108.7', 'ghcr.io/berriai/litellm:v1.77.3-stable'));
      const seed = contextFor(dir);
      const version = await runOne(seed, 'litellm.version');
      expect(version.status).toBe('fail');
      expect(version.evidence[0]).toBe('version 1.77.3 (from the configured image tag)');
      expect(causes(version)).toMatch(/affected by CVE-2026-42271, CVE-2026-30623, CVE-2026-59822 \| pin litellm\.image to 1\.84\.0 or later/);
      const auto = await runOne(seed, 'litellm.auto-exec');
      expect([auto.status, auto.evidence[1]]).toEqual(['fail', '/v1/chat/completions (Open WebUI, most SDKs): no (since 1.80.10)']);
      expect((await runOne(seed, 'security.error-logs')).status).toBe('pass');
      await stackIn(dir, (yaml) => yaml.replace('registry.lan:5000/litellm:1.108.7', 'ghcr.io/berriai/litellm:v1.82.0-stable'));
      const ctx = contextFor(dir);
      expect((await runOne(ctx, 'security.error-logs')).status).toBe('warn');
    });
  });

  it('security.backups: no backups pass; unsigned or foreign-key backups warn by name; backups without a key in the secrets file fail', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const stack = (await contextFor(dir).loaded()).config.name;
      expect((await runOne(contextFor(dir), 'security.backups')).status).toBe('pass');
      const folder = path.join(dir, 'backups');
      await mkdir(folder);
      const fields = {
        stack,
        createdAt: '2026-11-26T12:00:00.000Z',
        postgres: { mode: 'bundled' as const, database: 'litellm' },
        litellm: { image: 'x:v1.108.7', version: '1.108.7' },
        schema: { migration: null, tables: [] },
      };
      const dump = async (sink: NodeJS.WritableStream) => void sink.write('SET row_security = off;\n');
      const key = 'b'.repeat(64);
      await writeFile(path.join(dir, 'secrets.env'), `${await readFile(path.join(dir, 'secrets.env'), 'utf8')}MCPGW_BACKUP_KEY=${key}\n`, { mode: 0o600 });
      await writeArchive(path.join(folder, `${stack}-20261101T000000Z.sql.gz`), fields, key, dump);
      const signed = await runOne(contextFor(dir), 'security.backups');
      expect([signed.status, signed.evidence[0]]).toEqual(['pass', `1 backup(s) in ${folder}, each signed with this MCPGW_BACKUP_KEY`]);
      await writeArchive(path.join(folder, `${stack}-20261102T000000Z.sql.gz`), fields, 'c'.repeat(64), dump);
      await forgeArchive(path.join(folder, `${stack}-20261103T000000Z.sql.gz`), { format: 'mcpgw-backup', ...fields }, 'SET row_security = off;\n', 1);
      // Not this stack's name pattern: never judged.
      await writeFile(path.join(folder, 'notes.sql.gz'), 'mine');
      const mixed = await runOne(contextFor(dir), 'security.backups');
      expect(mixed.status).toBe('warn');
      expect(mixed.evidence[0]).toBe(`2 of 3 backup(s) in ${folder} would be refused by restore`);
      expect(causes(mixed)).toMatch(new RegExp(`${stack}-20261103T000000Z.sql.gz was written before mcpgw signed its backups`));
      expect(causes(mixed)).toMatch(new RegExp(`${stack}-20261102T000000Z.sql.gz was signed with another backup key`));
      const secrets = await readFile(path.join(dir, 'secrets.env'), 'utf8');
      await writeFile(path.join(dir, 'secrets.env'), secrets.replace(/^MCPGW_BACKUP_KEY=.*\n/m, ''), { mode: 0o600 });
      const keyless = await runOne(contextFor(dir), 'security.backups');
      expect([keyless.status, keyless.evidence[0]]).toEqual(['fail', `3 backup(s) in ${folder}, and the secrets file has no MCPGW_BACKUP_KEY`]);
      expect(causes(keyless)).toMatch(/restore refuses every one of them without --trust/);
    });
  });

  it('clients: /mcp without the slash, no header, the master key, Claude Code without type — each named with its file', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir);
      const home = path.join(dir, 'home');
      const url = `http://192.168.1.20:${DEAD_PORT}`;
      await mkdir(path.join(home, '.gemini'), { recursive: true });
      await mkdir(path.join(dir, '.vscode'), { recursive: true });
      await writeFile(
        path.join(home, '.gemini', 'settings.json'),
        JSON.stringify({ mcpServers: { litellm: { httpUrl: `${url}/mcp`, headers: { 'x-litellm-api-key': 'Bearer sk-fixture-master-http' } } } }),
      );
      await writeFile(
        path.join(home, '.claude.json'),
        JSON.stringify({
          projects: { '/repo': { mcpServers: { gw: { url: `${url}/mcp/`, headers: { 'x-litellm-api-key': 'Bearer sk-fixture-vscode-0123456789' } } } } },
        }),
      );
      // JSON with comments, as VS Code allows; a second entry takes its key from a prompt, which is fine.
      await writeFile(
        path.join(dir, '.vscode', 'mcp.json'),
        `// workspace servers\n${JSON.stringify({ servers: { litellm: { type: 'http', url: `${url}/mcp/` }, prompted: { type: 'http', url: `${url}/mcp/`, headers: { 'x-litellm-api-key': '${input:litellm-key}' } } } })}`,
      );
      await mkdir(path.join(home, '.codex'), { recursive: true });
      await writeFile(
        path.join(home, '.codex', 'config.toml'),
        `[mcp_servers.litellm]\nurl = "${url}/mcp"\nenv_http_headers = { "x-litellm-api-key" = "MCPGW_LITELLM_AUTH" }\n`,
      );
      const result = await runOne(contextFor(dir), 'clients.files');
      expect(result.status).toBe('fail');
      expect(result.causes.map((cause) => cause.cause)).toEqual([
        `${path.join(home, '.claude.json')} projects./repo.mcpServers.gw: Claude Code silently skips an entry without "type": "http"`,
        `${path.join(home, '.gemini', 'settings.json')} mcpServers.litellm: ${url}/mcp lacks the trailing slash (older LiteLLM answers /mcp with a 307 some clients do not follow)`,
        `${path.join(home, '.gemini', 'settings.json')} mcpServers.litellm: holds the master key — full admin power in a client file`,
        `${path.join(home, '.codex', 'config.toml')} mcp_servers.litellm: ${url}/mcp lacks the trailing slash (older LiteLLM answers /mcp with a 307 some clients do not follow)`,
        `${path.join(dir, '.vscode', 'mcp.json')} servers.litellm: no x-litellm-api-key header: the gateway answers 401`,
      ]);
      expect(result.evidence[1]).toBe(
        '5 entries point at this gateway: Claude Code projects./repo.mcpServers.gw, Gemini CLI ' +
          'mcpServers.litellm, Codex CLI mcp_servers.litellm, VS Code servers.litellm, VS Code servers.prompted',
      );
      expect(JSON.stringify(result)).not.toContain('sk-fixture-master-http');
    });
  });

  it(
    'with Docker, the database and LiteLLM all unreachable, Docker is the root cause: told once ' +
      'by network.exists, the checks that need it skip pointing there',
    async () => {
      await withTempDir(async (dir) => {
        await stackIn(dir);
        const report = await runChecks(contextFor(dir, { offline: false }), CHECKS, { only: [], timeoutMs: 10_000 });
        const status = Object.fromEntries(report.checks.map((result) => [result.id, result.status]));
        expect(status).toMatchObject({
          'network.exists': 'fail',
          'database.reachable': 'skip',
          'database.auth': 'skip',
          'keys.declared': 'skip',
          'mcp.gateway': 'skip',
          'litellm.health': 'skip',
        });
        expect(report.checks.filter((result) => result.status === 'fail').map((result) => result.id)).toEqual(['network.exists']);
        expect(report.checks.find((result) => result.id === 'network.exists')?.evidence).toEqual(['no Docker in the unit tier']);
        expect(report.checks.find((result) => result.id === 'keys.declared')?.evidence).toEqual([
          "needs LiteLLM's database: the Docker engine does not answer, so LiteLLM's database cannot be reached (see network.exists)",
        ]);
        expect(report.checks.find((result) => result.id === 'litellm.health')?.evidence).toEqual([
          'needs the Docker engine: the Docker engine does not answer (see network.exists)',
        ]);
        expect(JSON.stringify(report).split('no Docker in the unit tier')).toHaveLength(2);
      });
    },
  );

  it('with nothing rendered, config.rendered tells it once and the checks of the deployed config.yaml skip pointing there', async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('http').dir, dir, { recursive: true });
      await chmod(path.join(dir, 'secrets.env'), 0o600);
      const ctx = contextFor(dir);
      const report = await runChecks(ctx, selectChecks(CHECKS, ['config', 'security.error-logs']), {
        only: ['config', 'security.error-logs'],
        timeoutMs: 10_000,
      });
      const byId = Object.fromEntries(report.checks.map((result) => [result.id, result]));
      expect(byId['config.rendered']).toMatchObject({
        status: 'fail',
        causes: [
          { cause: 'config/config.yaml is not rendered next to mcpgw.yaml: LiteLLM has no config file to read', fix: expect.stringMatching(/mcpgw render/) },
        ],
      });
      const readers = ['config.shell-vars', 'config.environ-defined', 'config.transport-explicit', 'config.server-paths', 'security.error-logs'];
      for (const id of readers)
        expect(byId[id], id).toMatchObject({ status: 'skip', evidence: ['needs the rendered config.yaml: nothing is rendered yet (see config.rendered)'] });
      expect(report.checks.filter((result) => result.status === 'fail').map((result) => result.id)).toEqual(['config.rendered']);
    });
  });

  it("an unreachable external database is database.reachable's finding; the others point there and database.auth no longer crashes", async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('http').dir, dir, { recursive: true });
      await chmod(path.join(dir, 'secrets.env'), 0o600);
      const file = path.join(dir, 'mcpgw.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('postgres:\n', 'postgres:\n  mode: external\n'));
      await writeFile(
        path.join(dir, 'secrets.env'),
        `${await readFile(path.join(dir, 'secrets.env'), 'utf8')}\nDATABASE_URL=postgresql://litellm:pw@127.0.0.1:1/litellm\n`,
      );
      const unreachable = Object.assign(new Error('Postgres at litellm@127.0.0.1:1/litellm is unreachable (ECONNREFUSED)'), { hint: 'start it' });
      const ctx = contextFor(dir, { docker: async () => ({}) as never, database: () => Promise.reject(unreachable) });
      const report = await runChecks(ctx, selectChecks(CHECKS, ['database', 'keys']), { only: ['database', 'keys'], timeoutMs: 10_000 });
      const byId = Object.fromEntries(report.checks.map((result) => [result.id, result]));
      expect(byId['database.reachable']).toMatchObject({ status: 'fail', evidence: [unreachable.message] });
      expect(byId['database.auth']).toMatchObject({ status: 'skip', evidence: ["LiteLLM's database is unreachable (see database.reachable)"] });
      expect(byId['keys.declared']?.evidence).toEqual(["needs LiteLLM's database: LiteLLM's database is unreachable (see database.reachable)"]);
    });
  });
});

describe('database.auth verdicts (md5 vs SCRAM)', () => {
  const facts = (stored: 'scram' | 'md5' | 'none', hbaMethods: string[], passwordEncryption = 'scram-sha-256') =>
    judgeAuth({ stored, hbaMethods, passwordEncryption }, 'litellm');

  it('fails an md5 hash under a scram-sha-256 rule, a role without password, and md5 hashing under scram rules', () => {
    expect(facts('md5', ['scram-sha-256']).status).toBe('fail');
    expect(facts('none', ['scram-sha-256']).status).toBe('fail');
    expect(facts('scram', ['scram-sha-256'], 'md5').causes?.[0]?.cause).toMatch(/next password change stores a hash no login can use/);
  });

  it('warns on md5 rules and md5 hashes that still work, passes SCRAM throughout', () => {
    expect(facts('scram', ['md5']).status).toBe('warn');
    expect(facts('md5', ['md5']).status).toBe('warn');
    expect(facts('scram', ['scram-sha-256'])).toEqual(
      pass('role litellm: password stored as scram', 'pg_hba host methods for it: scram-sha-256', 'password_encryption = scram-sha-256'),
    );
  });
});

describe('keys.age (keys_max_age)', () => {
  const database = (rows: Record<string, unknown>[]) => fakeKeyDatabase(rows, 'current');
  const row = (alias: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
    token: alias,
    key_name: 'sk-...abcd',
    key_alias: alias,
    models: [],
    mcp_servers: [],
    mcp_access_groups: [],
    expires: null,
    created_at: new Date(createdAt),
    spend: 0,
    blocked: false,
    created_by: 'mcpgw',
    ...extra,
  });

  it('warns on live keys older than keys_max_age with the rotate command; skips when unset', async () => {
    await withTempDir(async (dir) => {
      await stackIn(dir, (yaml) =>
        yaml
          .replace('  image: registry.lan:5000/postgres:16', '  image: registry.lan:5000/postgres:16\n  host_port: 15432')
          .replace(/^keys:/m, 'keys_max_age: 90d\nkeys:'),
      );
      const rows = [
        row('old', '2026-01-01T00:00:00Z'),
        row('fresh', '2026-11-01T00:00:00Z'),
        row('old-blocked', '2026-01-01T00:00:00Z', { blocked: true }),
        row('mcpgw-probe-0a1b2c3d', '2026-01-01T00:00:00Z'),
      ];
      const result = await runOne(contextFor(dir, { database: database(rows) }), 'keys.age');
      expect(result.status).toBe('warn');
      expect(result.evidence).toEqual(['3 key(s), 1 older than 90d', 'old: created 2026-01-01T00:00:00.000Z (329 days)']);
      expect(causes(result)).toMatch(/`mcpgw keys rotate <alias>`/);
    });
    await withTempDir(async (dir) => {
      await stackIn(dir, (yaml) => yaml.replace('  image: registry.lan:5000/postgres:16', '  image: registry.lan:5000/postgres:16\n  host_port: 15432'));
      const result = await runOne(contextFor(dir, { database: database([]) }), 'keys.age');
      expect(result).toMatchObject({ status: 'skip', evidence: ['keys_max_age is not set in mcpgw.yaml'] });
    });
  });
});

describe('keys.mcp-grant: a key without an MCP grant, judged by the LiteLLM version', () => {
  const database = (rows: Record<string, unknown>[]) => fakeKeyDatabase(rows, '1.77');
  const row = (alias: string, grant: { servers?: string[]; permission?: boolean } = {}) => ({
    token: `t-${alias}`,
    key_name: 'sk-...abcd',
    key_alias: alias,
    models: [],
    object_permission_id: grant.permission === false ? null : `p-${alias}`,
    grant_id: grant.permission === false ? null : `p-${alias}`,
    mcp_servers: grant.servers ?? [],
    mcp_access_groups: [],
    expires: null,
    created_at: new Date('2026-11-01T00:00:00Z'),
    spend: 0,
    blocked: false,
    created_by: null,
  });
  const rows = [
    row('codex', { permission: false }), // declared with a grant, its row has none
    row('hand-made', { permission: false }), // inserted by hand as the seed did: no object-permission row
    row('llm-only'), // an empty grant, declared nowhere
    row('granted', { servers: ['everything-id'] }),
    row('mcpgw-metrics'), // the scrape key: no grant, and no MCP route to call with one
  ];
  const judged = async (image: string) =>
    withTempDir(async (dir) => {
      await stackIn(dir, (yaml) =>
        yaml
          .replace('registry.lan:5000/litellm:1.108.7', image)
          .replace('  image: registry.lan:5000/postgres:16', '  image: registry.lan:5000/postgres:16\n  host_port: 15432'),
      );
      return runOne(contextFor(dir, { database: database(rows) }), 'keys.mcp-grant');
    });

  it('on LiteLLM >= 1.80 names each as having no MCP access, with a grant as the fix, never a revoke', async () => {
    const result = await judged('registry.lan:5000/litellm:1.108.7');
    expect(result.status).toBe('fail');
    expect(result.evidence).toEqual(['5 active key(s), 3 without an MCP grant', 'LiteLLM 1.108.7: a key without one reaches no MCP server']);
    const text = causes(result);
    expect(text).toMatch(/key codex has no MCP access: .*no LiteLLM_ObjectPermissionTable row.* \| `mcpgw keys sync` writes the grant mcpgw.yaml declares/);
    expect(text).toMatch(
      /key hand-made has no MCP access: .* \| declare the key in mcpgw.yaml with `mcp_servers: \[<server>, …\]` — by its hash \(`token_sha256:`/,
    );
    expect(text).toMatch(/key llm-only has no MCP access: .*; fine for a key meant for LLM calls only \| declare the key/);
    expect(text).not.toMatch(/revoke|mcpgw-metrics/);
  });

  it('on LiteLLM 1.77.3 warns that they reach every server now and none after an upgrade', async () => {
    const result = await judged('ghcr.io/berriai/litellm-database:v1.77.3-stable');
    expect(result.status).toBe('warn');
    expect(result.evidence[1]).toBe('LiteLLM 1.77.3: a key without one reaches every MCP server');
    expect(causes(result)).toMatch(
      /key hand-made has no MCP grant: LiteLLM 1.77.3 gives it every MCP server, LiteLLM 1.80.0 and later none \(no MCP access after an upgrade\)/,
    );
  });
});

describe('security.admin-ui', () => {
  /** A stand-in for LiteLLM on loopback: liveliness, and the UI discovery answer with `admin_ui_disabled`. */
  async function fakeLitellm(disabled: boolean): Promise<{ port: number; close(): Promise<void> }> {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      const body =
        req.url === '/.well-known/litellm-ui-config' ? { admin_ui_disabled: disabled } : req.url === '/health/liveliness' ? 'I am alive!' : undefined;
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { detail: 'Not Found' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it.each([
    [true, '', 'pass'],
    [false, '', 'fail'],
    [false, '  admin_ui: true\n', 'pass'],
  ] as const)('admin_ui_disabled %s with %j in mcpgw.yaml → %s', async (disabled, setting, status) => {
    const litellm = await fakeLitellm(disabled);
    try {
      await withTempDir(async (dir) => {
        await stackIn(dir, (yaml) => yaml.replace(`port: ${DEAD_PORT}`, `port: ${litellm.port}\n${setting}`).replace(/\n\n/g, '\n'));
        const result = await runOne(contextFor(dir), 'security.admin-ui');
        expect(result.status, JSON.stringify(result)).toBe(status);
        expect(result.evidence[0]).toBe(`GET /.well-known/litellm-ui-config → HTTP 200, admin_ui_disabled: ${disabled}`);
        if (status === 'fail')
          expect(causes(result)).toMatch(/admin UI answers on port \d+, .* though mcpgw.yaml does not ask for it \| `mcpgw up` renders DISABLE_ADMIN_UI=True/);
      });
    } finally {
      await litellm.close();
    }
  });
});

describe('doctor on either engine', () => {
  const run = (ctx: DoctorContext, only: string[]) => runChecks(ctx, selectChecks(CHECKS, only), { only, timeoutMs: 10_000 });

  it("on a swarm one engine's checks skip with a reason naming the swarm, never a pass", async () => {
    const report = await run(contextFor(fixtureStack('swarm').dir), ['network.exists', 'mcp.containers', 'security.isolation', 'database.auth']);
    for (const check of report.checks) {
      expect(check.status, check.id).toBe('skip');
      expect(check.evidence[0], check.id).toMatch(/^engine: swarm: /);
    }
  });

  it('on one engine the swarm checks skip naming the engine', async () => {
    const report = await run(contextFor(fixtureStack('http').dir), ['swarm']);
    expect(report.checks.map((check) => check.id)).toEqual(['swarm.tasks', 'swarm.images', 'swarm.connections']);
    for (const check of report.checks) {
      expect(check.status).toBe('skip');
      expect(check.evidence[0]).toMatch(/^engine: compose: /);
    }
  });
});
