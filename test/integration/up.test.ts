import { createServer, type Server } from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { parse, stringify } from 'yaml';
import { runCli, withTempDir } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { testLabels } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);

async function containersOf(name: string): Promise<Map<string, string>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`io.mcpgw.stack=${name}`] } });
  return new Map(list.map((container) => [container.Labels['io.mcpgw.service'] ?? '', container.Id]));
}

/** Runs `cmd` in the container; `env` carries what must stay out of every command line (a password). */
async function exec(container: string, cmd: string[], env: string[] = []): Promise<string> {
  const handle = await docker.getContainer(container).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await handle.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
  });
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/[\u0000-\u0008]/g, '');
}

describe('mcpgw up / status / down against the real engine', () => {
  const name = `mcpgwt-${run}-up`;
  let dir = '';

  beforeAll(async () => {
    // One directory for the whole describe: the tests below build on each other like a user's session.
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-up-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: 14100,
      mcp: { everything: { transport: 'http', port: 48120 }, legacy: { transport: 'sse', port: 48121 } },
    });
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('brings the stack up from nothing, every step gated on real readiness', async () => {
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.stderr).toMatch(/ok {4}postgres: created, healthy, roles ordinary and stored as SCRAM-SHA-256, SCRAM logins over TCP ok/);
    // Each MCP server is proven from LiteLLM's network, over the URL config.yaml gives LiteLLM.
    expect(result.stderr).toMatch(
      /ok {4}mcp-everything from LiteLLM: streamable HTTP at http:\/\/mcp-everything:48120\/mcp → initialize \(.+\), tools\/list → \d+ tools/,
    );
    expect(result.stderr).toMatch(/ok {4}mcp-legacy from LiteLLM: SSE at http:\/\/mcp-legacy:48121\/sse → initialize/);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { changed: boolean; services: { service: string; action: string; ready: string }[] };
    expect(report.changed).toBe(true);
    expect(report.services.map((service) => [service.service, service.action])).toEqual([
      ['postgres', 'create'],
      ['mcp-everything', 'create'],
      ['mcp-legacy', 'create'],
      ['litellm', 'create'],
      ['front-door', 'create'],
    ]);
    expect(report.services.find((service) => service.service === 'litellm')?.ready).toMatch(/db connected/);
    for (const value of Object.values(TEST_SECRETS)) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it('stores the LiteLLM role password as SCRAM-SHA-256', async () => {
    const output = await exec(`${name}-postgres`, [
      'psql',
      '-U',
      'mcpgw_admin',
      '-d',
      'litellm',
      '-Atc',
      "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'litellm'",
    ]);
    expect(output.trim()).toMatch(/t$/);
  });

  it('reports every service running in status', async () => {
    const result = await runCli(['status', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { services: { service: string; state: string; ports: string[] }[] };
    expect(report.services.map((service) => [service.service, service.state])).toEqual([
      ['postgres', 'running'],
      ['mcp-everything', 'running'],
      ['mcp-legacy', 'running'],
      ['litellm', 'running'],
      ['front-door', 'running'],
    ]);
    // LiteLLM publishes nothing: its front door holds the port.
    expect(report.services.find((service) => service.service === 'litellm')?.ports).toEqual([]);
    expect(report.services.find((service) => service.service === 'front-door')?.ports).toEqual(['127.0.0.1:14100->4000']);
  });

  it('changes nothing on a second up', async () => {
    const before = await containersOf(name);
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { changed: boolean; services: { action: string }[] };
    expect(report.changed).toBe(false);
    expect(report.services.every((service) => service.action === 'keep')).toBe(true);
    expect(await containersOf(name)).toEqual(before);
  });

  it('finds the role re-stored as md5, or given another password by hand, and repairs it in this run', async () => {
    const postgres = `${name}-postgres`;
    const readyOf = (stdout: string) =>
      (JSON.parse(stdout) as { services: { service: string; ready: string }[] }).services.find((service) => service.service === 'postgres')?.ready;
    // What an old setup leaves behind (the seed's failure): the same password, stored as md5.
    await exec(postgres, [
      'psql',
      '-U',
      'litellm',
      '-d',
      'litellm',
      '-c',
      "SET password_encryption = 'md5'",
      '-c',
      `ALTER ROLE litellm PASSWORD '${TEST_SECRETS.POSTGRES_PASSWORD}'`,
    ]);
    expect(
      (
        await exec(postgres, ['psql', '-U', 'mcpgw_admin', '-d', 'litellm', '-Atc', "SELECT left(rolpassword, 3) FROM pg_authid WHERE rolname = 'litellm'"])
      ).trim(),
    ).toMatch(/md5$/);
    const md5 = await runCli(['up', '--json'], { cwd: dir });
    expect(md5.code, md5.stderr).toBe(0);
    expect((JSON.parse(md5.stdout) as { notes: string[] }).notes).toContain('re-stored the litellm password as SCRAM-SHA-256 (was md5)');
    expect(readyOf(md5.stdout)).toBe('healthy, roles ordinary and stored as SCRAM-SHA-256, SCRAM logins over TCP ok');
    // A password changed by hand: the secrets file is the source of truth.
    await exec(postgres, ['psql', '-U', 'litellm', '-d', 'litellm', '-c', "ALTER ROLE litellm PASSWORD 'changed by hand'"]);
    const drifted = await runCli(['up', '--json'], { cwd: dir });
    expect(drifted.code, drifted.stderr).toBe(0);
    expect((JSON.parse(drifted.stdout) as { notes: string[] }).notes).toContain('set the litellm password to the one in the secrets file');
    const login = await exec(
      postgres,
      ['psql', '-h', '127.0.0.1', '-U', 'litellm', '-d', 'litellm', '-Atc', 'SELECT 1'],
      [`PGPASSWORD=${TEST_SECRETS.POSTGRES_PASSWORD}`],
    );
    expect(login.trim()).toMatch(/1$/);
  });

  it('recreates only the MCP server whose definition changed', async () => {
    const before = await containersOf(name);
    const file = path.join(dir, 'mcpgw.yaml');
    const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, { environment: Record<string, string> }> };
    const legacy = config.mcp_servers.legacy;
    if (!legacy) throw new Error('fixture lost its legacy server');
    legacy.environment.LOG_LEVEL = 'debug';
    await writeFile(file, stringify(config));

    const dry = await runCli(['up', '--dry-run', '--json'], { cwd: dir });
    const plan = JSON.parse(dry.stdout) as { plan: { services: { service: string; action: string }[] } };
    expect(plan.plan.services.filter((service) => service.action !== 'keep')).toEqual([
      { service: 'mcp-legacy', action: 'recreate', reason: 'configuration or image changed' },
    ]);

    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const after = await containersOf(name);
    for (const service of ['postgres', 'mcp-everything', 'litellm']) expect(after.get(service)).toBe(before.get(service));
    expect(after.get('mcp-legacy')).not.toBe(before.get('mcp-legacy'));
  });

  it('recreates an MCP server made again by hand with its labels copied and a port published, naming the port', async () => {
    // What a user debugging a server might do: `docker run` it again from its inspect output, plus `-p`. The hash
    // label is copied with the rest, so only reading the container as it runs shows the difference.
    const old = await docker.getContainer((await containersOf(name)).get('mcp-everything') ?? '').inspect();
    await docker.getContainer(old.Id).remove({ force: true });
    const [first, ...rest] = Object.entries(old.NetworkSettings.Networks);
    if (!first) throw new Error('the MCP server was on no network');
    const copy = await docker.createContainer({
      name: old.Name.replace(/^\//, ''),
      Image: old.Config.Image,
      Entrypoint: old.Config.Entrypoint,
      Cmd: old.Config.Cmd,
      Env: old.Config.Env,
      User: old.Config.User,
      Labels: old.Config.Labels,
      ExposedPorts: { '48120/tcp': {} },
      HostConfig: { ...old.HostConfig, PortBindings: { '48120/tcp': [{ HostIp: '127.0.0.1', HostPort: '14190' }] } },
      NetworkingConfig: { EndpointsConfig: { [first[0]]: { Aliases: first[1].Aliases ?? [] } } },
    });
    for (const [network, endpoint] of rest)
      await docker.getNetwork(network).connect({ Container: copy.id, EndpointConfig: { Aliases: endpoint.Aliases ?? [] } });
    await copy.start();

    const dry = await runCli(['up', '--dry-run', '--json'], { cwd: dir });
    const plan = JSON.parse(dry.stdout) as { plan: { services: { service: string; action: string; reason: string }[] } };
    expect(plan.plan.services.filter((service) => service.action !== 'keep')).toEqual([
      { service: 'mcp-everything', action: 'recreate', reason: 'publishes 127.0.0.1:14190->48120 where mcpgw.yaml says none' },
    ]);
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const made = await docker.getContainer((await containersOf(name)).get('mcp-everything') ?? '').inspect();
    expect(made.Id).not.toBe(copy.id);
    expect(made.HostConfig.PortBindings ?? {}).toEqual({});
    const again = await runCli(['up', '--json'], { cwd: dir });
    expect((JSON.parse(again.stdout) as { changed: boolean }).changed).toBe(false);
  });

  it('shows a service log, with secrets redacted', async () => {
    const result = await runCli(['logs', 'mcp-everything', '--tail', '20'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    const unknown = await runCli(['logs', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown service "nope"/);
  });
});

describe('mcpgw up failures', () => {
  it('stops at a crashing MCP server with its logs, and exits 1', async () => {
    await withTempDir(async (dir) => {
      const name = `mcpgwt-${run}-crash`;
      await writeTestStack(dir, {
        name,
        images: stack.images,
        litellmPort: 14101,
        mcp: { broken: { transport: 'http', port: 48130, command: ['node', '-e', "console.error('boom: missing DATABASE_URI'); process.exit(3)"] } },
      });
      try {
        const result = await runCli(['up'], { cwd: dir });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /FAIL {2}mcp-broken: mcp-broken: the container staying up for 1 s: container (exited with code 3|keeps exiting \(restarted \d+ time\(s\)\))/,
        );
        expect(result.stderr).toMatch(/--- last 50 log lines of mcpgwt-.*-crash-mcp-broken ---\nboom: missing DATABASE_URI/);
        expect((await containersOf(name)).has('litellm')).toBe(false);
      } finally {
        await runCli(['down', '--volumes'], { cwd: dir });
      }
    });
  });

  it('names a port that is already taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(48140, '127.0.0.1', resolve));
    try {
      await withTempDir(async (dir) => {
        const name = `mcpgwt-${run}-port`;
        await writeTestStack(dir, { name, images: stack.images, litellmPort: 14102, mcp: { everything: { transport: 'http', port: 48140 } } });
        // Only a published port can be taken: the server is published, as mcpgw.yaml must ask for.
        const file = path.join(dir, 'mcpgw.yaml');
        const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
        config.mcp_servers.everything = { ...config.mcp_servers.everything, publish: true };
        await writeFile(file, stringify(config));
        try {
          const result = await runCli(['up'], { cwd: dir });
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/mcp-everything: port 127\.0\.0\.1:48140 is already in use/);
          expect(result.stderr).toMatch(/fix: stop whatever listens there/);
        } finally {
          await runCli(['down', '--volumes'], { cwd: dir });
        }
      });
    } finally {
      blocker.close();
    }
  });

  it('down leaves foreign containers and shared networks alone', async () => {
    await withTempDir(async (dir) => {
      const name = `mcpgwt-${run}-down`;
      await writeTestStack(dir, { name, images: stack.images, litellmPort: 14103, mcp: {} });
      const shared = `${name}-pg`;
      await docker.createNetwork({ Name: shared, Labels: testLabels(run, {}, stack.owner) });
      const foreign = await docker.createContainer({
        name: `${name}-foreign`,
        Image: stack.images.postgres,
        Entrypoint: ['sleep', 'infinity'],
        Labels: testLabels(run, {}, stack.owner),
        HostConfig: { NetworkMode: shared },
      });
      await foreign.start();
      const file = path.join(dir, 'mcpgw.yaml');
      const config = parse(await readFile(file, 'utf8')) as { postgres: Record<string, unknown> };
      config.postgres.network_external = true;
      await writeFile(file, stringify(config));
      try {
        const up = await runCli(['up'], { cwd: dir });
        expect(up.code, up.stderr).toBe(0);
        const down = await runCli(['down', '--json', '--volumes'], { cwd: dir });
        expect(down.code).toBe(0);
        const report = JSON.parse(down.stdout) as { removedContainers: string[]; keptNetworks: { name: string }[]; removedNetworks: string[] };
        expect(report.removedContainers.sort()).toEqual([`${name}-front-door`, `${name}-litellm`, `${name}-postgres`]);
        expect(report.keptNetworks.map((network) => network.name)).toEqual([shared]);
        // The stack's own network (LiteLLM's) goes; the shared one it joined stays.
        expect(report.removedNetworks).toEqual([`${name}-litellm-net`]);
        expect((await foreign.inspect()).State.Running).toBe(true);
        expect((await docker.getNetwork(shared).inspect()).Name).toBe(shared);
      } finally {
        await foreign.remove({ force: true });
        await docker.getNetwork(shared).remove();
      }
    });
  });
});

describe('the rendered compose file is the same stack', () => {
  it('docker compose up --wait brings it to healthy, and mcpgw status recognises every service', async () => {
    await withTempDir(async (dir) => {
      const name = `mcpgwt-${run}-compose`;
      await writeTestStack(dir, { name, images: stack.images, litellmPort: 14104, mcp: { everything: { transport: 'http', port: 48150 } } });
      expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
      try {
        const up = await execa('docker', ['compose', 'up', '-d', '--wait', '--wait-timeout', '240'], { cwd: dir, reject: false });
        expect(up.exitCode, up.stderr).toBe(0);
        const status = await runCli(['status', '--json'], { cwd: dir });
        expect(status.code, status.stderr).toBe(0);
        const report = JSON.parse(status.stdout) as { services: { service: string; state: string; health: string }[] };
        expect(report.services.map((service) => [service.service, service.state])).toEqual([
          ['postgres', 'running'],
          ['mcp-everything', 'running'],
          ['litellm', 'running'],
          ['front-door', 'running'],
        ]);
        expect(report.services.find((service) => service.service === 'litellm')?.health).toBe('healthy');
        expect(report.services.find((service) => service.service === 'front-door')?.health).toBe('healthy');
        const readiness = (await (await fetch('http://127.0.0.1:14104/health/readiness')).json()) as { db: string };
        expect(readiness.db).toBe('connected');
      } finally {
        await execa('docker', ['compose', 'down', '-v', '-t', '2'], { cwd: dir, reject: false });
      }
    });
  });
});

describe('Ctrl-C during up', () => {
  it('exits 130 and leaves only labelled objects behind for down to remove', async () => {
    await withTempDir(async (dir) => {
      const name = `mcpgwt-${run}-sigint`;
      await writeTestStack(dir, { name, images: stack.images, litellmPort: 14105, mcp: { everything: { transport: 'http', port: 48170 } } });
      try {
        const child = execa(process.execPath, [path.resolve('bin/mcpgw.js'), 'up'], { cwd: dir, reject: false });
        // Interrupt while LiteLLM is starting: the longest wait of an up.
        // One Ctrl-C, as a user presses it.
        let stderr = '';
        let interrupted = false;
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (!interrupted && /mcp-everything: created/.test(stderr)) {
            interrupted = true;
            child.kill('SIGINT');
          }
        });
        const result = await child;
        expect(result.exitCode, result.stderr).toBe(130);
        expect(result.stderr).toMatch(/error: interrupted/);
        const left = await docker.listContainers({ all: true, filters: { name: [name] } });
        expect(left.length).toBeGreaterThan(0);
        for (const container of left) expect(container.Labels['io.mcpgw.stack']).toBe(name);
      } finally {
        const down = await runCli(['down', '--volumes'], { cwd: dir });
        expect(down.code).toBe(0);
        expect(await docker.listContainers({ all: true, filters: { name: [name] } })).toEqual([]);
      }
    });
  });
});

describe('mcpgw up with an image no registry gives', () => {
  it('fails at the images step, naming the build field of the server that uses it, and starts nothing', async () => {
    await withTempDir(async (dir) => {
      const name = `mcpgwt-${run}-nopull`;
      await writeTestStack(dir, { name, images: stack.images, litellmPort: 14106, mcp: { alpha: { transport: 'http', port: 48131 } } });
      // A registry on a closed loopback port: the pull fails at once, and no traffic leaves this machine.
      const file = path.join(dir, 'mcpgw.yaml');
      const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
      (config.mcp_servers.alpha as Record<string, unknown>).image = '127.0.0.1:1/mcpgw-absent/server:1';
      await writeFile(file, stringify(config));
      const result = await runCli(['up'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/image 127\.0\.0\.1:1\/mcpgw-absent\/server:1 is not present locally and could not be pulled/);
      expect(result.stderr).toContain('mcp_servers.alpha.build: { npm: "PACKAGE@X.Y.Z" } or { pypi: "PACKAGE==X.Y.Z" }');
      expect((await containersOf(name)).size).toBe(0);
    });
  });
});
