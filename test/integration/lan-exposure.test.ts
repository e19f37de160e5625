import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DoctorReport } from '../../src/doctor/types.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';

/**
 * The outside attack that found the MCP ports reachable from the LAN, for real: a network namespace stands in for a LAN host that routes the stack's
 * bridge subnets via this machine (one static route each, as an attacker on the LAN would add) and tries every
 * port of the stack. Only LiteLLM's, through its published port, may answer. Runs as root (the tier does).
 */
const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const name = `mcpgwt-${run}-lan`;
const PORT = 14730;
const HIDDEN = 48730;
const SHOWN = 48731;
const COMMENT = `mcpgw:stack=${name}`;

/** The LAN host: its namespace, and this machine's address on the link to it (where LiteLLM's 0.0.0.0 port answers). */
const id = randomBytes(3).toString('hex');
const lan = { namespace: `mcpgwt-lan-${id}`, outer: `mtl${id}h`, inner: `mtl${id}n`, gateway: '', address: '' };

async function ip(...args: string[]): Promise<void> {
  await execa('ip', args);
}

/** A TCP connect from the LAN host, by bash's /dev/tcp: true when something accepted it within 3 s. */
async function answers(host: string, port: number): Promise<boolean> {
  const result = await execa('ip', ['netns', 'exec', lan.namespace, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { reject: false });
  return result.exitCode === 0;
}

async function addressOf(container: string, network: string): Promise<string> {
  const info = await docker.getContainer(container).inspect();
  const address = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!address) throw new Error(`${container} has no address on ${network}`);
  return address;
}

/** Every container port of the stack but LiteLLM's, at each container's address on each of its networks. */
async function stackPorts(): Promise<{ what: string; host: string; port: number }[]> {
  const wanted = [
    { container: `${name}-postgres`, port: 5432 },
    { container: `${name}-mcp-hidden`, port: HIDDEN },
    { container: `${name}-mcp-shown`, port: SHOWN },
    // LiteLLM publishes nothing (its front door holds the port), and the front door answers only through it.
    { container: `${name}-litellm`, port: 4000 },
    { container: `${name}-front-door`, port: 4000 },
  ];
  const found = [];
  for (const { container, port } of wanted) {
    const info = await docker.getContainer(container).inspect();
    for (const network of Object.keys(info.NetworkSettings.Networks))
      found.push({ what: `${container} on ${network}`, host: await addressOf(container, network), port });
  }
  return found;
}

async function doctor(): Promise<{ status: string; evidence: string[]; causes: { cause: string }[] }> {
  const result = await runCli(['doctor', '--only', 'security.lan-exposure', '--json'], { cwd: dir });
  const [check] = (JSON.parse(result.stdout) as DoctorReport).checks;
  if (!check) throw new Error(`doctor reported nothing: ${result.stderr}`);
  return check;
}

async function ourRules(): Promise<string[]> {
  const { stdout } = await execa('iptables', ['-S', 'DOCKER-USER']);
  return stdout.split('\n').filter((line) => line.includes(`"${COMMENT}"`));
}

let dir = '';

describe('a LAN host reaches LiteLLM and no other port of the stack', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-lan-'));
    const file = await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { hidden: { transport: 'http', port: HIDDEN }, shown: { transport: 'http', port: SHOWN } },
      // LiteLLM on every address, as on a real LAN; "shown" published (on mcp_bind, 127.0.0.1), "hidden" not.
      extra: { bind: '0.0.0.0' },
    });
    const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
    (config.mcp_servers.shown as Record<string, unknown>).publish = true;
    await writeFile(file, stringify(config));
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(
      /ok {4}lan guard: DOCKER-USER lets forwarded traffic into br-\w+(, br-\w+)+ only through published ports \(\d+ rules, installed\)/,
    );

    // The LAN host: a veth pair, a /30 of 198.18.0.0/15 at random, and a route to each of the stack's subnets via this machine.
    const block = (randomBytes(2).readUInt16BE(0) & 0x3fff) << 2;
    const at = (offset: number) => `198.19.${(block + offset) >> 8}.${(block + offset) & 0xff}`;
    lan.gateway = at(1);
    lan.address = at(2);
    await ip('netns', 'add', lan.namespace);
    await ip('link', 'add', lan.outer, 'type', 'veth', 'peer', 'name', lan.inner, 'netns', lan.namespace);
    await ip('addr', 'add', `${lan.gateway}/30`, 'dev', lan.outer);
    await ip('link', 'set', lan.outer, 'up');
    await ip('-n', lan.namespace, 'addr', 'add', `${lan.address}/30`, 'dev', lan.inner);
    await ip('-n', lan.namespace, 'link', 'set', lan.inner, 'up');
    // Every network of the stack, found by its label (however many the stack has).
    const networks = await docker.listNetworks({ filters: { label: [`io.mcpgw.stack=${name}`] } });
    expect(networks.length).toBeGreaterThanOrEqual(2);
    for (const network of networks) {
      const subnet = network.IPAM?.Config?.[0]?.Subnet;
      if (!subnet) throw new Error(`${network.Name} has no subnet`);
      await ip('-n', lan.namespace, 'route', 'add', subnet, 'via', lan.gateway);
    }
  }, 300_000);

  afterAll(async () => {
    await execa('ip', ['netns', 'del', lan.namespace], { reject: false });
    await execa('ip', ['link', 'del', lan.outer], { reject: false });
    if (dir) {
      const down = await runCli(['down', '--volumes'], { cwd: dir });
      expect(down.stdout).toMatch(/removed \d+ DOCKER-USER rule\(s\)/);
      expect(await ourRules()).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("reaches LiteLLM's published port, and no MCP server or Postgres at their container addresses", async () => {
    expect(await answers(lan.gateway, PORT)).toBe(true);
    const ports = await stackPorts();
    expect(ports.length).toBeGreaterThanOrEqual(3);
    const reached = await Promise.all(ports.map(async (target) => ((await answers(target.host, target.port)) ? target.what : undefined)));
    expect(reached.filter(Boolean)).toEqual([]);
  }, 60_000);

  it('doctor security.lan-exposure judges the same from a LAN host of its own, and passes', async () => {
    const check = await doctor();
    expect(check.status, check.evidence.join('\n')).toBe('pass');
    expect(check.evidence.join('\n')).toMatch(new RegExp(`front-door published 198\\.\\d+\\.\\d+\\.\\d+:${PORT}: answers`));
    expect(check.evidence.join('\n')).toMatch(new RegExp(`mcp-shown container [\\d.]+:${SHOWN}: timed out`));
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/mcpgw-lan-/);
  }, 60_000);

  it('without the DROP rule the published server answers the LAN host with no key, and doctor fails naming it; up puts the rule back', async () => {
    const shown = (await stackPorts()).find((target) => target.port === SHOWN);
    if (!shown) throw new Error('mcp-shown has no address');
    // The DROP rule of each bridge the published server is on.
    const attached = Object.values((await docker.getContainer(`${name}-mcp-shown`).inspect()).NetworkSettings.Networks);
    const bridges = attached.map((network) => `br-${network.NetworkID.slice(0, 12)}`);
    const drops = (await ourRules()).filter((line) => line.endsWith('-j DROP') && bridges.some((bridge) => line.includes(`-o ${bridge} `)));
    expect(drops).toHaveLength(bridges.length);
    for (const drop of drops) await execa('iptables', ['-D', ...drop.replace(/"/g, '').split(' ').slice(1)]);
    try {
      expect(await answers(shown.host, SHOWN)).toBe(true);
      const hidden = (await stackPorts()).find((target) => target.port === HIDDEN);
      // Unpublished, it stays out of reach even so: Docker accepts forwarded traffic only for published ports.
      expect(hidden && (await answers(hidden.host, HIDDEN))).toBe(false);
      const check = await doctor();
      expect(check.status).toBe('fail');
      expect(check.causes.map((cause) => cause.cause)).toEqual([`mcp-shown answers a LAN host at ${shown.host}:${SHOWN} with no key (its container address)`]);
    } finally {
      const up = await runCli(['up', '--no-probe'], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toMatch(/lan guard: .*\(\d+ rules, installed\)/);
    }
    expect(await answers(shown.host, SHOWN)).toBe(false);
    expect((await doctor()).status).toBe('pass');
    const again = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(again.stderr).toMatch(/lan guard: .*\(\d+ rules, unchanged\)/);
  }, 300_000);
});
