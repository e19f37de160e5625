import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { mcpInitialize } from '../../src/gateway/http.js';
import type { CheckResult, DoctorReport } from '../../src/doctor/types.js';
import { gatewayHeaders } from '../../src/gateway/session.js';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { startUpstream, useUpstreamModel } from '../helpers/upstream.js';
import { StartedContainer, waitUntil } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const name = `mcpgwt-${run}-doctor`;
const PORT = 14610;
const USER_KEY = 'sk-itest-doctor-user-3e9a1c7b5d2f4680';
const UPSTREAM_KEY = 'sk-itest-doctor-upstream-8c2e4a6f0b1d3579';
/** The upstream model's network, which LiteLLM joins (litellm.networks); each MCP server has its own with LiteLLM. */
const MCP_NET = `${name}-mcp`;
const ALPHA_NET = `${name}-mcp-alpha-net`;

/** Runs a command in a container and waits for it; fails the test when it exits non-zero. */
/** As `user` when given: root in a container without capabilities cannot write into another user's files. */
async function exec(container: string, cmd: string[], user?: string): Promise<string> {
  const handle = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
  const stream = await handle.start({});
  const chunks: Buffer[] = [];
  await new Promise((resolve) => stream.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', resolve));
  const info = await handle.inspect();
  const output = Buffer.concat(chunks).toString('utf8');
  expect(info.ExitCode, output).toBe(0);
  return output;
}

/** LiteLLM's container, for its log tail next to a failing gateway check. */
const litellm = () => new StartedContainer(docker, docker.getContainer(`${name}-litellm`), `${name}-litellm`);

/** As mcpgw's admin role over the container's socket: LiteLLM's own role may not reload pg_hba or read pg_authid. */
const psql = (sql: string) => exec(`${name}-postgres`, ['psql', '-U', 'mcpgw_admin', '-d', 'litellm', '-v', 'ON_ERROR_STOP=1', '-c', sql]);

function byId(report: DoctorReport, id: string): CheckResult {
  const found = report.checks.find((check) => check.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

function explained(result: CheckResult): string {
  return result.causes.map((cause) => `${cause.cause} | ${cause.fix}`).join('\n');
}

describe('mcpgw doctor against a real stack (Postgres, LiteLLM in DB mode, MCP servers over HTTP and SSE, the upstream fixture)', () => {
  let dir = '';
  let home = '';
  let llm: StartedContainer | undefined;
  const doctor = async (...args: string[]) => {
    const result = await runCli(['doctor', '--json', ...args], { cwd: dir, env: { HOME: home } });
    const report = JSON.parse(result.stdout) as DoctorReport;
    for (const secret of [USER_KEY, UPSTREAM_KEY, TEST_SECRETS.LITELLM_MASTER_KEY, TEST_SECRETS.POSTGRES_PASSWORD])
      expect(result.stdout + result.stderr).not.toContain(secret);
    const failing = report.checks.filter((check) => check.status === 'fail');
    // Each failing check's evidence and causes travel with the list, and LiteLLM's own last lines with a
    // failing gateway check, so an unexpected failure explains itself (CI keeps no container logs).
    const gatewayTail = failing.some((check) => check.id.startsWith('mcp.')) ? `\n--- last 40 lines of ${name}-litellm ---\n${await litellm().logs(40)}` : '';
    const failed = Object.assign(failing.map((check) => check.id).sort(), { detail: JSON.stringify(failing, null, 1) + gatewayTail });
    return { ...result, report, failed };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-doctor-'));
    home = path.join(dir, 'home');
    llm = await startUpstream(docker, stack, run, name, UPSTREAM_KEY);
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48610 }, beta: { transport: 'sse', port: 48611 } },
      secrets: { MCPGW_KEY_USER: USER_KEY, UPSTREAM_KEY },
      // keys_max_age makes keys.age a real check of the rows (fresh keys pass).
      extra: { keys_max_age: '90d', keys: [{ alias: 'user', mcp_servers: ['alpha'] }] },
    });
    await useUpstreamModel(dir);
    // A Claude Code user config written the way clients.md says, pointing at this gateway with the user key.
    await mkdir(home, { recursive: true });
    await writeFile(
      path.join(home, '.claude.json'),
      JSON.stringify({
        mcpServers: { litellm: { type: 'http', url: `http://localhost:${PORT}/mcp/`, headers: { 'x-litellm-api-key': `Bearer ${USER_KEY}` } } },
      }),
    );
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await llm?.remove();
    await docker
      .getNetwork(MCP_NET)
      .remove()
      .catch(() => undefined);
    await docker
      .getImage(`${stack.images.litellmDb.split(':')[0]}:main-latest`)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every check on a healthy stack, the tool call through the model included', async () => {
    const { code, report } = await doctor();
    // The replicas.* checks judge LiteLLM replica by replica: on one engine with one LiteLLM they skip, saying how to
    // run them anyway (test/integration/replicas.test.ts runs them on one engine, the swarm test on three nodes).
    // The swarm.* checks skip on one engine, naming it, and litellm.metrics without observability.prometheus.
    const notApplicable = (check: { id: string; status: string }) => /^(replicas\.|swarm\.|litellm\.metrics$)/.test(check.id) && check.status === 'skip';
    expect(
      report.checks.filter((check) => check.status !== 'pass' && !notApplicable(check)).map((check) => [check.id, check.status, check.evidence, check.causes]),
    ).toEqual([]);
    expect(report.checks.filter((check) => notApplicable(check) && check.id.startsWith('replicas.')).map((check) => check.evidence[0])).toEqual(
      Array(7).fill(expect.stringMatching(/^one LiteLLM on one engine .*`mcpgw doctor --replicas` judges it anyway$/)),
    );
    expect(report.checks.filter((check) => notApplicable(check) && check.id.startsWith('swarm.')).map((check) => check.evidence[0])).toEqual(
      Array(3).fill(expect.stringMatching(/^engine: compose: /)),
    );
    expect(byId(report, 'litellm.metrics')).toMatchObject({ status: 'skip', evidence: ['observability.prometheus is not enabled'] });
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(byId(report, 'mcp.llm').evidence).toContain('executed by LiteLLM: 1');
    expect(byId(report, 'security.mcp-test-endpoints').evidence).toEqual([`LiteLLM ${stack.versions.litellm} is not affected by CVE-2026-42271`]);
    expect(byId(report, 'clients.files').evidence[1]).toBe('1 entry points at this gateway: Claude Code mcpServers.litellm');
    // The ledger against the migrations the running image ships, read from inside it.
    expect(byId(report, 'database.schema').evidence).toEqual([
      expect.stringMatching(/^image: \S+ \(container \S+-litellm\)$/),
      expect.stringMatching(/^litellm-proxy-extras \d+\.\d+\.\d+: [1-9]\d* migrations$/),
      expect.stringMatching(/^all [1-9]\d* migrations of \S+ applied \(newest \d{8,14}_\w+\)$/),
    ]);
    // The doctor's temporary key is gone again.
    const { keys } = JSON.parse((await runCli(['keys', 'list', '--json'], { cwd: dir })).stdout) as { keys: { alias: string }[] };
    expect(keys.map((key) => key.alias)).toEqual(['user']);
  });

  it("--offline lists each server's tools through LiteLLM's REST tool list and initializes /mcp/, calling no tool", async () => {
    const { failed, report } = await doctor('--offline');
    expect([...failed], failed.detail).toEqual([]);
    const gateway = byId(report, 'mcp.gateway');
    expect(gateway.status).toBe('pass');
    expect(gateway.evidence[0]).toMatch(/^\/mcp\/: POST \/mcp\/ initialize → \S+/);
    expect(gateway.evidence.slice(1)).toEqual([
      expect.stringMatching(/^alpha: GET \/mcp-rest\/tools\/list → [1-9]\d* tools from alpha$/),
      expect.stringMatching(/^beta: GET \/mcp-rest\/tools\/list → [1-9]\d* tools from beta$/),
    ]);
    expect(byId(report, 'mcp.llm').status).toBe('skip');
  });

  it('prints a readable report grouped by area, and --only runs just that area', async () => {
    const result = await runCli(['doctor', '--offline', '--only', 'database', 'secrets.file'], { cwd: dir, env: { HOME: home } });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^secrets\n {2}ok {4}secrets\.file .*\n[\s\S]*\ndatabase\n {2}ok {4}database\.reachable/m);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('ok: 5 passed, 0 warnings, 0 failed, 0 skipped');
  });

  it('a secrets file readable by others fails secrets.file with chmod 600', async () => {
    const file = path.join(dir, 'secrets.env');
    await chmod(file, 0o644);
    try {
      const { code, failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['secrets.file']);
      expect(code).toBe(1);
      expect(explained(byId(report, 'secrets.file'))).toBe(
        `mode is 0644: other users on this machine can read the master key and passwords | chmod 600 ${file}`,
      );
    } finally {
      await chmod(file, 0o600);
    }
  });

  it('${VAR} edited into the deployed config.yaml fails config.shell-vars (and config.rendered: the file no longer matches)', async () => {
    const file = path.join(dir, 'config', 'config.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('os.environ/LITELLM_MASTER_KEY', '${LITELLM_MASTER_KEY}'));
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['config.rendered', 'config.shell-vars']);
      expect(byId(report, 'config.shell-vars').evidence).toEqual([
        'config/config.yaml general_settings.master_key: ${LITELLM_MASTER_KEY} is never resolved (LiteLLM only reads os.environ/NAME)',
      ]);
      expect(explained(byId(report, 'config.shell-vars'))).toMatch(/write os\.environ\/NAME instead/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('a stopped MCP container fails mcp.containers only, with its state and the fix', async () => {
    await docker.getContainer(`${name}-mcp-beta`).stop({ t: 1 });
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['mcp.containers']);
      expect(explained(byId(report, 'mcp.containers'))).toMatch(
        new RegExp(`container ${name}-mcp-beta is exited .*\\| \`mcpgw logs mcp-beta\` shows why; \`mcpgw up\` starts it again`),
      );
      // Noted, not failed again; LiteLLM 1.108.7 sometimes also refuses all of /mcp/ then (warned too).
      const gateway = byId(report, 'mcp.gateway');
      expect(gateway.status).toBe('warn');
      expect(explained(gateway)).toMatch(/^beta is down or cut off \| see the failing mcp\.containers/);
    } finally {
      // up starts it again and waits until its transport answers, so the next test finds it ready.
      expect((await runCli(['up', '--no-probe'], { cwd: dir })).code).toBe(0);
    }
  });

  it('an SSE server declared as http by url fails mcp.transport, naming the transport that works', async () => {
    const info = await docker.getContainer(`${name}-mcp-beta`).inspect();
    const ip = info.NetworkSettings.Networks[`${name}-mcp-beta-net`]?.IPAddress;
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    const config = parse(original) as { mcp_servers: Record<string, unknown> };
    config.mcp_servers.wrong = { transport: 'http', url: `http://${ip}:48611/mcp` };
    await writeFile(file, stringify(config));
    expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['mcp.transport']);
      expect(explained(byId(report, 'mcp.transport'))).toMatch(
        /wrong is configured as http \(streamable HTTP at \/mcp\) but speaks SSE at \/sse \| set mcp_servers\.wrong\.transport: sse/,
      );
    } finally {
      await writeFile(file, original);
      expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    }
  });

  it('a container disconnected from its network fails network.attached with the docker network connect fix, and up puts it back', async () => {
    const alpha = `${name}-mcp-alpha`;
    await docker.getNetwork(ALPHA_NET).disconnect({ Container: alpha });
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['network.attached']);
      expect(explained(byId(report, 'network.attached'))).toBe(
        `${alpha} is not attached to ${ALPHA_NET}: LiteLLM cannot reach mcp-alpha | docker ` +
          `network connect --alias mcp-alpha ${ALPHA_NET} ${alpha} (or \`mcpgw up\`, which ` +
          `recreates it attached)`,
      );
      // The fix doctor names works: up compares the attachments as they are (its hash is unchanged) and recreates it.
      const dry = await runCli(['up', '--dry-run', '--json'], { cwd: dir });
      const planned = (JSON.parse(dry.stdout) as { plan: { services: { service: string; action: string; reason: string }[] } }).plan.services;
      expect(planned.filter((entry) => entry.action !== 'keep')).toEqual([
        { service: 'mcp-alpha', action: 'recreate', reason: `not on ${ALPHA_NET}: its networks were changed after it was created` },
      ]);
      const up = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      expect(Object.keys(((await docker.getContainer(alpha).inspect()) as { NetworkSettings: { Networks: object } }).NetworkSettings.Networks)).toEqual([
        ALPHA_NET,
      ]);
      expect([...(await doctor('--offline')).failed]).toEqual([]);
    } finally {
      const on = Object.keys(((await docker.getContainer(alpha).inspect()) as { NetworkSettings: { Networks: object } }).NetworkSettings.Networks);
      if (!on.includes(ALPHA_NET)) await docker.getNetwork(ALPHA_NET).connect({ Container: alpha, EndpointConfig: { Aliases: ['mcp-alpha'] } });
    }
  });

  it('a missing network fails network.exists', async () => {
    const network = docker.getNetwork(ALPHA_NET);
    const info = (await network.inspect()) as { Labels: Record<string, string>; Containers: Record<string, { Name: string }> };
    const members = Object.values(info.Containers).map((container) => container.Name);
    for (const member of members) await network.disconnect({ Container: member, Force: true });
    await network.remove();
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['network.exists']);
      expect(byId(report, 'network.exists').evidence).toContain(`${ALPHA_NET}: missing`);
      expect(explained(byId(report, 'network.exists'))).toMatch(/is gone: the containers on it cannot reach each other by name \| `mcpgw up` creates it/);
    } finally {
      await docker.createNetwork({ Name: ALPHA_NET, Driver: 'bridge', Labels: info.Labels });
      for (const member of members) {
        // Each container's alias on the network is its name without the stack prefix (litellm, mcp-alpha).
        await docker.getNetwork(ALPHA_NET).connect({ Container: member, EndpointConfig: { Aliases: [member.slice(name.length + 1)] } });
      }
    }
  });

  it("a role with an md5 password under a scram-sha-256 pg_hba fails database.auth (LiteLLM's logins; mcpgw's own role still gets in)", async () => {
    await psql(`SET password_encryption = 'md5'; ALTER ROLE litellm PASSWORD '${TEST_SECRETS.POSTGRES_PASSWORD}'`);
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['database.auth']);
      expect(byId(report, 'database.auth').evidence).toEqual([
        'role litellm: password stored as md5',
        // reject: mcpgw's line refusing LiteLLM's role from this machine.
        'pg_hba host methods for it: reject, scram-sha-256',
        'password_encryption = scram-sha-256',
      ]);
      expect(explained(byId(report, 'database.auth'))).toMatch(
        /md5 hash but pg_hba\.conf demands scram-sha-256: every login fails .*\| ALTER ROLE litellm PASSWORD/,
      );
      expect(byId(report, 'database.reachable').evidence[0]).toMatch(/^connected as mcpgw_keys to litellm/);
    } finally {
      await psql(`SET password_encryption = 'scram-sha-256'; ALTER ROLE litellm PASSWORD '${TEST_SECRETS.POSTGRES_PASSWORD}'`);
    }
    // LiteLLM logs in with the same role: if it needed a new connection meanwhile, its MCP requests failed with
    // 503 until it reconnects. It must heal by itself once the password works again, as it does in production.
    await waitUntil('LiteLLM serving MCP again after the password repair', () => mcpInitialize(`http://127.0.0.1:${PORT}/mcp/`, gatewayHeaders(USER_KEY)), {
      timeoutMs: 90_000,
    });
  });

  it('the reverse, a SCRAM role under an md5 pg_hba rule: logins work, database.auth warns to switch the rule', async () => {
    const container = `${name}-postgres`;
    // As postgres, who owns the data directory (the container drops root's DAC_OVERRIDE with every other capability).
    await exec(container, ['sh', '-c', 'sed -i "s/^host\\(.*\\)scram-sha-256/host\\1md5/" "$PGDATA/pg_hba.conf"'], 'postgres');
    await psql('SELECT pg_reload_conf()');
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual([]);
      const auth = byId(report, 'database.auth');
      expect(auth.status).toBe('warn');
      expect(auth.evidence).toContain('pg_hba host methods for it: md5, reject');
      expect(explained(auth)).toMatch(/still allows md5.*\| change those host lines to scram-sha-256/);
    } finally {
      await exec(container, ['sh', '-c', 'sed -i "s/^host\\(.*\\)md5/host\\1scram-sha-256/" "$PGDATA/pg_hba.conf"'], 'postgres');
      await psql('SELECT pg_reload_conf()');
    }
  });

  it('a key row without an object permission fails keys.mcp-grant as having no MCP access, with keys sync (a grant) as the fix', async () => {
    await psql(`UPDATE "LiteLLM_VerificationToken" SET object_permission_id = NULL WHERE key_alias = 'user'`);
    const { failed, report } = await doctor('--offline');
    expect([...failed], failed.detail).toEqual(['keys.mcp-grant']);
    expect(explained(byId(report, 'keys.mcp-grant'))).toMatch(
      /key user has no MCP access: LiteLLM 1\.108\.7 gives a key without an MCP grant no MCP server \(no LiteLLM_ObjectPermissionTable row.*\| `mcpgw keys sync` writes the grant/,
    );
    expect((await runCli(['keys', 'sync'], { cwd: dir })).code).toBe(0);
    const repaired = (await doctor('--offline', '--only', 'keys')).failed;
    expect([...repaired], repaired.detail).toEqual([]);
  });

  it('an image tag main-latest fails litellm.image', async () => {
    const repo = stack.images.litellmDb.split(':')[0] ?? '';
    await docker.getImage(stack.images.litellmDb).tag({ repo, tag: 'main-latest' });
    const file = path.join(dir, 'mcpgw.yaml');
    const original = await readFile(file, 'utf8');
    const config = parse(original) as { litellm: Record<string, unknown> };
    config.litellm.image = `${repo}:main-latest`;
    await writeFile(file, stringify(config));
    expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    try {
      const { failed, report } = await doctor('--offline');
      expect([...failed], failed.detail).toEqual(['litellm.image']);
      expect(explained(byId(report, 'litellm.image'))).toMatch(/main-latest is a floating tag.*\| set litellm\.image to a release tag/);
    } finally {
      await writeFile(file, original);
      expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    }
  });

  it('is healthy again after every repair', async () => {
    const { failed, report } = await doctor('--offline');
    expect([...failed], failed.detail).toEqual([]);
    expect(report.checks.filter((check) => check.status === 'warn').map((check) => check.id)).toEqual([]);
  });
});
