import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { POSTGRES_KEYS_PASSWORD_SECRET, POSTGRES_KEYS_ROLE } from '../../src/config/postgres-roles.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { connectDatabase } from '../../src/db/connect.js';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { testLabels } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const name = `mcpgwt-${Date.now().toString(36)}-iso`;
const LITELLM_PORT = 14530;
const ALPHA_PORT = 48530;
const BETA_PORT = 48531;
const LONG_TEST_MS = 900_000;
const alpha = `${name}-mcp-alpha`;
const beta = `${name}-mcp-beta`;
/** What the earlier mcpgw named the one MCP network (writeTestStack's `network:`), and the Postgres network. */
const oldShared = `${name}-mcp`;
const pgNetwork = `${name}-pg`;
const labelArgs = (labels: Record<string, string>) => Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
/** Labels of a container or network the earlier mcpgw created for this stack, plus the test's own. */
const oldObject = (service?: string) => labelArgs({ ...testLabels(name), 'io.mcpgw.stack': name, ...(service ? { 'io.mcpgw.service': service } : {}) });

async function docker(...args: string[]): Promise<string> {
  return (await execa('docker', args)).stdout.trim();
}

async function inspect(container: string): Promise<{ user: string; capDrop: string[]; capAdd: string[]; securityOpt: string[]; networks: string[] }> {
  const [info] = JSON.parse(await docker('inspect', container)) as {
    Config: { User: string };
    HostConfig: { CapDrop: string[] | null; CapAdd: string[] | null; SecurityOpt: string[] | null };
    NetworkSettings: { Networks: Record<string, unknown> };
  }[];
  if (!info) throw new Error(`no container ${container}`);
  return {
    user: info.Config.User,
    capDrop: info.HostConfig.CapDrop ?? [],
    capAdd: info.HostConfig.CapAdd ?? [],
    securityOpt: info.HostConfig.SecurityOpt ?? [],
    networks: Object.keys(info.NetworkSettings.Networks).sort(),
  };
}

/**
 * From inside `from` (its own node), a TCP connection to each target: "open", or the error that stopped it.
 * Targets by name and by address, so neither DNS nor a missing name can pass for isolation.
 */
async function connectFrom(from: string, targets: { host: string; port: number }[]): Promise<Record<string, string>> {
  const script = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
Promise.all(targets.map(({ host, port }) => new Promise((resolve) => {
  const socket = net.connect({ host, port, timeout: 3000 });
  socket.on('connect', () => { socket.destroy(); resolve([host + ':' + port, 'open']); });
  socket.on('timeout', () => { socket.destroy(); resolve([host + ':' + port, 'timeout']); });
  socket.on('error', (error) => resolve([host + ':' + port, error.code || error.message]));
}))).then((results) => console.log(JSON.stringify(Object.fromEntries(results))));`;
  return JSON.parse(await docker('exec', from, 'node', '-e', script, JSON.stringify(targets))) as Record<string, string>;
}

async function address(container: string, network: string): Promise<string> {
  return docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

describe('isolation inside the stack: each MCP server shares a network with LiteLLM alone, every container hardened', () => {
  let dir = '';
  let up = { code: -1, stdout: '', stderr: '' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-iso-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: LITELLM_PORT,
      mcp: {},
      extra: {
        probe_model: 'canary',
        mcp_servers: {
          alpha: {
            transport: 'http',
            image: stack.images.mcp,
            command: ['mcp-server-everything', 'streamableHttp'],
            environment: { PORT: String(ALPHA_PORT) },
            port: ALPHA_PORT,
          },
          // A stdio server with an image and no bridge field: bridged into its own container by default.
          beta: {
            transport: 'stdio',
            image: stack.images.mcp,
            command: ['mcp-server-memory'],
            environment: { MEMORY_FILE_PATH: '/tmp/memory.jsonl' },
            port: BETA_PORT,
          },
        },
      },
    });
    // The layout an earlier mcpgw left: one MCP network shared by the servers and LiteLLM, Postgres's network not
    // internal, containers as root with every default capability.
    await docker('network', 'create', ...oldObject(), oldShared);
    await docker('network', 'create', ...oldObject(), pgNetwork);
    await docker(
      'run',
      '-d',
      '--name',
      alpha,
      ...oldObject('mcp-alpha'),
      '--network',
      oldShared,
      '-e',
      `PORT=${ALPHA_PORT}`,
      stack.images.mcp,
      'mcp-server-everything',
      'streamableHttp',
    );
    await docker('run', '-d', '--name', `${name}-litellm`, ...oldObject('litellm'), '--network', oldShared, stack.images.mcp, 'sleep', '600');
    await docker('network', 'connect', pgNetwork, `${name}-litellm`);
    up = await runCli(['up'], { cwd: dir });
  }, LONG_TEST_MS);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    for (const network of [oldShared, pgNetwork]) await execa('docker', ['network', 'rm', network], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it('up converges the old shared layout: new networks, containers recreated on them, the old network removed; the probe is green', async () => {
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stderr).toMatch(new RegExp(`${pgNetwork} \\(made again\\)`));
    expect(up.stdout + up.stderr).toMatch(new RegExp(`removed the former shared MCP network ${oldShared}`));
    expect((await execa('docker', ['network', 'inspect', oldShared], { reject: false })).exitCode).not.toBe(0);
    expect(up.stderr).toMatch(/mcp-alpha from LiteLLM.*tools/);
    expect(up.stderr).toMatch(/mcp-beta from LiteLLM.*9 tools/);

    const alphaNet = `${name}-mcp-alpha-net`;
    const betaNet = `${name}-mcp-beta-net`;
    const canaryNet = `${name}-mcpgw-canary-net`;
    expect((await inspect(alpha)).networks).toEqual([alphaNet]);
    expect((await inspect(beta)).networks).toEqual([betaNet]);
    expect((await inspect(`${name}-mcpgw-canary`)).networks).toEqual([canaryNet]);
    expect((await inspect(`${name}-postgres`)).networks).toEqual([pgNetwork]);
    // LiteLLM's own network (its way out) holds LiteLLM and the front door on its port, which is on no other network.
    expect((await inspect(`${name}-litellm`)).networks).toEqual([`${name}-litellm-net`, alphaNet, betaNet, canaryNet, pgNetwork].sort());
    expect((await inspect(`${name}-front-door`)).networks).toEqual([`${name}-litellm-net`]);
    const [net] = JSON.parse(await docker('network', 'inspect', alphaNet)) as { Labels: Record<string, string>; Internal: boolean; Containers: object }[];
    expect(net?.Labels).toMatchObject({ 'io.mcpgw.stack': name, 'io.mcpgw.service': 'mcp-alpha' });
    expect(Object.keys(net?.Containers ?? {})).toHaveLength(2);
    expect(JSON.parse(await docker('network', 'inspect', '-f', '{{json .Internal}}', pgNetwork))).toBe(true);
    expect(JSON.parse(await docker('network', 'inspect', '-f', '{{json .Internal}}', canaryNet))).toBe(true);
  });

  it('from inside one MCP container, the other MCP server, the canary and Postgres are out of reach, by name and by address; LiteLLM is not', async () => {
    const targets = [
      { host: 'mcp-beta', port: BETA_PORT },
      { host: await address(beta, `${name}-mcp-beta-net`), port: BETA_PORT },
      { host: 'mcpgw-canary', port: 8080 },
      { host: await address(`${name}-mcpgw-canary`, `${name}-mcpgw-canary-net`), port: 8080 },
      { host: 'postgres', port: 5432 },
      { host: await address(`${name}-postgres`, pgNetwork), port: 5432 },
      // The control: the one service alpha shares its network with answers, so "refused" above is not the method.
      { host: 'litellm', port: 4000 },
    ];
    const seen = await connectFrom(alpha, targets);
    const blocked = targets.slice(0, -1).map(({ host, port }) => seen[`${host}:${port}`]);
    expect(
      blocked.every((result) => result !== undefined && result !== 'open'),
      JSON.stringify(seen),
    ).toBe(true);
    expect(seen['litellm:4000']).toBe('open');
    // And from the bridged stdio server's container to alpha.
    const fromBeta = await connectFrom(beta, [
      { host: 'mcp-alpha', port: ALPHA_PORT },
      { host: await address(alpha, `${name}-mcp-alpha-net`), port: ALPHA_PORT },
    ]);
    expect(
      Object.values(fromBeta).every((result) => result !== 'open'),
      JSON.stringify(fromBeta),
    ).toBe(true);
  });

  it('every container drops all capabilities and gains none; the canary, LiteLLM and the front door run as nobody; Postgres gets back only what its entrypoint needs', async () => {
    for (const service of ['mcp-alpha', 'mcp-beta', 'mcpgw-canary', 'litellm', 'front-door', 'postgres']) {
      const found = await inspect(`${name}-${service}`);
      expect(found.capDrop, service).toEqual(['ALL']);
      expect(found.securityOpt, service).toEqual(['no-new-privileges:true']);
    }
    expect((await inspect(`${name}-postgres`)).capAdd.sort()).toEqual(['CHOWN', 'DAC_READ_SEARCH', 'FOWNER', 'SETGID', 'SETUID']);
    expect((await inspect(`${name}-mcp-alpha`)).capAdd).toEqual([]);
    for (const service of ['mcpgw-canary', 'litellm', 'front-door']) {
      expect((await inspect(`${name}-${service}`)).user, service).toBe('65534:65534');
      expect(await docker('exec', `${name}-${service}`, 'id', '-u'), service).toBe('65534');
    }
    // No capability left: even root in an MCP container cannot open a raw socket (NET_RAW, ARP spoofing).
    const raw = await execa('docker', ['exec', alpha, 'sh', '-c', 'grep CapEff /proc/1/status'], { reject: false });
    expect(raw.stdout).toMatch(/CapEff:\s+0000000000000000/);
  });

  it("a bridged stdio server cannot read LiteLLM's environment: no process of LiteLLM is in its container, no secret in any environ", async () => {
    const environs = await docker('exec', beta, 'sh', '-c', 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"');
    expect(environs).toContain('MEMORY_FILE_PATH=/tmp/memory.jsonl');
    for (const secret of [TEST_SECRETS.LITELLM_MASTER_KEY, TEST_SECRETS.LITELLM_SALT_KEY, 'DATABASE_URL']) expect(environs).not.toContain(secret);
    const processes = await docker('top', beta, '-eo', 'pid,args');
    expect(processes).toMatch(/mcp-server-memory/);
    expect(processes).not.toMatch(/litellm/);
  });

  it("mcpgw's own key work still reaches Postgres on its internal network, at the container's address", async () => {
    const keys = await runCli(['keys', 'list'], { cwd: dir });
    expect(keys.code, keys.stderr).toBe(0);
    // As mcpgw's keys role: LiteLLM's own is refused from this machine (README "Database roles").
    const host = await address(`${name}-postgres`, pgNetwork);
    const password = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get(POSTGRES_KEYS_PASSWORD_SECRET) ?? '';
    const client = await connectDatabase(`postgresql://${POSTGRES_KEYS_ROLE}:${encodeURIComponent(password)}@${host}:5432/litellm`);
    try {
      expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('doctor security.isolation passes, and fails when an MCP container joins another server’s network', async () => {
    const clean = await runCli(['doctor', '--only', 'security.isolation', 'security.stdio-inside-litellm', '--json'], { cwd: dir });
    expect(clean.code, clean.stdout).toBe(0);
    await docker('network', 'connect', `${name}-mcp-alpha-net`, beta);
    try {
      const broken = await runCli(['doctor', '--only', 'security.isolation'], { cwd: dir });
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(new RegExp(`${name}-mcp-alpha-net also holds ${beta}`));
      expect(broken.stdout).toMatch(new RegExp(`${beta} is also on ${name}-mcp-alpha-net`));
    } finally {
      await docker('network', 'disconnect', `${name}-mcp-alpha-net`, beta);
    }
  });
});
