import { randomBytes } from 'node:crypto';
import { chmod, cp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Engine } from '../../src/docker/engine.js';
import { guardBridges, readDockerUser, ruleLine, stackRules, unguardBridges } from '../../src/docker/firewall.js';
import { networkPorts } from '../../src/doctor/checks/network-ports.js';
import { securityLanExposure } from '../../src/doctor/checks/security-lan-exposure.js';
import { DoctorContext } from '../../src/doctor/context.js';
import type { CheckOutcome } from '../../src/doctor/types.js';
import { extraPublished } from '../../src/stack/firewall.js';
import { buildStackModel } from '../../src/stack/model.js';
import { clockAt, withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { FakeHost } from '../helpers/fake-host.js';
import { fixtureStack } from '../helpers/fixtures.js';

const chainOf = (host: FakeHost) => host.chain ?? [];

describe('published ports', () => {
  it("publish nothing but the front door's (LiteLLM's port) unless mcpgw.yaml asks (publish: true, postgres.host_port), each container port still known", () => {
    const http = buildStackModel(parseConfig(fixtureStack('http').yaml));
    expect(http.services.map((service) => [service.name, service.ports.length, service.listens])).toEqual([
      ['postgres', 0, 5432],
      ['mcp-everything', 0, 48020],
      ['litellm', 0, 4000],
      ['front-door', 1, 4000],
    ]);
    expect(extraPublished(http)).toEqual([]);
    const seed = buildStackModel(parseConfig(fixtureStack('seed').yaml));
    expect(extraPublished(seed).map(({ service, port }) => `${service.name} ${port.hostIp}:${port.published}->${port.target}`)).toEqual([
      'postgres 127.0.0.1:5432->5432',
      'mcp-db-main 127.0.0.1:48010->8000',
    ]);
  });
});

describe("the stack's DOCKER-USER rules", () => {
  it('let forwarded traffic into each bridge only when established, DNAT-ed by a published port, or from the bridge itself', () => {
    expect(stackRules('gw', ['br-b', 'br-a', 'br-b']).map(ruleLine)).toEqual([
      '-A DOCKER-USER -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -o br-a -m conntrack --ctstate DNAT -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -i br-a -o br-a -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -o br-a -m comment --comment "mcpgw:stack=gw" -j DROP',
      '-A DOCKER-USER -o br-b -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -o br-b -m conntrack --ctstate DNAT -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -i br-b -o br-b -m comment --comment "mcpgw:stack=gw" -j RETURN',
      '-A DOCKER-USER -o br-b -m comment --comment "mcpgw:stack=gw" -j DROP',
    ]);
  });

  it('are installed once, before the chain’s RETURN, kept when in place, replaced when the bridges change, and removed alone', async () => {
    const host = new FakeHost();
    const other = '-A DOCKER-USER -o br-x -m comment --comment "mcpgw:stack=gw-two" -j DROP';
    const operator = '-A DOCKER-USER -s 10.0.0.0/8 -j ACCEPT';
    host.chain = [other, operator, '-A DOCKER-USER -j RETURN'];
    const read = async () => {
      const chain = await readDockerUser(host);
      if (!chain.readable) throw new Error(chain.reason);
      return chain.lines;
    };
    expect(await guardBridges(host, await read(), 'gw', stackRules('gw', ['br-a']))).toEqual({ action: 'installed', rules: 4 });
    expect(chainOf(host)).toEqual([...stackRules('gw', ['br-a']).map(ruleLine), other, operator, '-A DOCKER-USER -j RETURN']);

    host.calls.length = 0;
    expect(await guardBridges(host, await read(), 'gw', stackRules('gw', ['br-a']))).toEqual({ action: 'unchanged', rules: 4 });
    expect(host.calls).toEqual(['iptables -S DOCKER-USER']);

    expect(await guardBridges(host, await read(), 'gw', stackRules('gw', ['br-a', 'br-c']))).toEqual({ action: 'installed', rules: 8 });
    expect(chainOf(host)).toEqual([...stackRules('gw', ['br-a', 'br-c']).map(ruleLine), other, operator, '-A DOCKER-USER -j RETURN']);

    // A stack whose name begins like another's removes only its own.
    expect(await unguardBridges(host, await read(), 'gw')).toBe(8);
    expect(chainOf(host)).toEqual([other, operator, '-A DOCKER-USER -j RETURN']);
  });

  it("keep each stack's order when two stacks install theirs at once (two `up`s on one machine)", async () => {
    const host = new FakeHost();
    host.chain = ['-A DOCKER-USER -j RETURN'];
    const before = [...host.chain];
    // Both read the chain before either writes, and their iptables calls interleave one by one.
    await Promise.all([
      guardBridges(host, before, 'gw', stackRules('gw', ['br-a'])),
      guardBridges(host, before, 'other', stackRules('other', ['br-b', 'br-c'])),
    ]);
    const chain = chainOf(host);
    const gw = chain.filter((line) => line.includes('mcpgw:stack=gw"'));
    const other = chain.filter((line) => line.includes('mcpgw:stack=other"'));
    expect(gw).toEqual(stackRules('gw', ['br-a']).map(ruleLine));
    expect(other).toEqual(stackRules('other', ['br-b', 'br-c']).map(ruleLine));
    // They did interleave: the check above is not of two installs one after the other.
    const at = chain.flatMap((line, index) => (line.includes('mcpgw:stack=gw"') ? [index] : []));
    expect((at.at(-1) ?? 0) - (at[0] ?? 0)).toBeGreaterThan(at.length - 1);
    expect(chain.at(-1)).toBe('-A DOCKER-USER -j RETURN');
  });

  it('cannot be read or changed without root, iptables or Docker’s chain, and say so with the fix', async () => {
    const notRoot = Object.assign(new FakeHost(), { isRoot: false });
    const noIptables = Object.assign(new FakeHost(), { commands: new Set(['ip']) });
    const noChain = Object.assign(new FakeHost(), { chain: undefined });
    const reasons = await Promise.all([notRoot, noIptables, noChain].map(readDockerUser));
    expect(reasons).toEqual([
      { readable: false, reason: 'mcpgw does not run as root, so it cannot read or change iptables', fix: 'run `mcpgw up` as root' },
      {
        readable: false,
        reason: 'iptables is not installed on this machine',
        fix: 'install iptables (apt-get install iptables) and run `mcpgw up` again',
      },
      expect.objectContaining({ readable: false, reason: expect.stringMatching(/^iptables has no DOCKER-USER chain \(iptables: No chain/) }),
    ]);
    expect(notRoot.calls).toEqual([]);
  });
});

/** The stack's containers on a fake engine: one address per container and network, and a bridge per network. */
function engineFor(addresses: Record<string, string>): Engine {
  return new FakeEngine({
    containerAddress: async (name, network) => addresses[`${name} ${network}`],
    networkByName: async (name) => ({ id: name, labels: {}, internal: false, containers: [], bridge: `br-${name}` }),
  });
}

/** A doctor over a copy of a fixture stack, with a fake engine and host. */
async function checkIn(fixture: string, engine: Engine, host: FakeHost, check: typeof securityLanExposure): Promise<CheckOutcome> {
  return withTempDir(async (dir) => {
    await cp(fixtureStack(fixture).dir, dir, { recursive: true });
    await chmod(path.join(dir, 'secrets.env'), 0o600);
    const ctx = new DoctorContext({
      configFile: path.join(dir, 'mcpgw.yaml'),
      cwd: dir,
      env: {},
      clock: clockAt('2026-12-06T05:00:00Z'),
      randomBytes,
      protect: () => undefined,
      docker: async () => engine,
      database: () => Promise.reject(new Error('no database in the unit tier')),
      hostShell: async () => host,
      requestTimeoutMs: 1000,
      offline: true,
      uid: 0,
    });
    return check.run(ctx);
  });
}

const lanCheck = (fixture: string, host: FakeHost, engine: Engine) => checkIn(fixture, engine, host, securityLanExposure);

/** The http fixture (stack "gateway", LiteLLM on 0.0.0.0:4000) with its containers at these addresses. */
const httpStack = engineFor({
  'gateway-postgres postgres-net': '172.30.1.2',
  'gateway-mcp-everything gateway-mcp-everything-net': '172.30.0.2',
});

describe('doctor security.lan-exposure with a fake host', () => {
  it("passes when only the front door on LiteLLM's port answers the LAN host, and removes its namespace", async () => {
    const host = new FakeHost();
    host.reach = (_address, port) => (port === 4000 ? 'answers' : 'timed out');
    const outcome = await lanCheck('http', host, httpStack);
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence.slice(1)).toEqual([
      expect.stringMatching(/^ {2}front-door published 198\.1[89]\.\d+\.\d+:4000: answers$/),
      '  mcp-everything container 172.30.0.2:48020: timed out',
      '  postgres container 172.30.1.2:5432: timed out',
    ]);
    expect(host.calls.filter((call) => call.startsWith('ip netns add'))).toHaveLength(1);
    expect(host.namespaces.size).toBe(0);
  });

  it('fails naming each container port that answers, with the fix for a port nothing publishes', async () => {
    const host = new FakeHost();
    host.reach = (address) => (address === '172.30.0.2' || !address.startsWith('172.') ? 'answers' : 'refused');
    const outcome = await lanCheck('http', host, httpStack);
    expect(outcome.status).toBe('fail');
    expect(outcome.causes).toEqual([
      {
        cause: 'mcp-everything answers a LAN host at 172.30.0.2:48020 with no key (its container address)',
        fix: expect.stringMatching(/^run `mcpgw up` as root: it installs DOCKER-USER rules .* is the FORWARD policy ACCEPT\?\)$/),
      },
    ]);
    expect(host.namespaces.size).toBe(0);
  });

  it('warns when LiteLLM, published on every address, does not answer either (nothing was reachable)', async () => {
    const outcome = await lanCheck('http', new FakeHost(), httpStack);
    expect(outcome.status).toBe('warn');
    expect(outcome.causes?.[0]?.cause).toMatch(/LiteLLM's published port did not answer the LAN host either/);
  });

  it('removes the namespace when the connects fail', async () => {
    const host = new FakeHost();
    host.reach = () => {
      throw new Error('node could not run');
    };
    await expect(lanCheck('http', host, httpStack)).rejects.toThrow('node could not run');
    expect(host.namespaces.size).toBe(0);
  });

  it('without root: skips when only LiteLLM is published, and judges a published server by the DOCKER-USER rules it cannot read', async () => {
    const notRoot = Object.assign(new FakeHost(), { isRoot: false });
    const http = await lanCheck('http', notRoot, httpStack);
    expect(http).toEqual({
      status: 'skip',
      evidence: [
        'not judged from a LAN host: mcpgw does not run as root, so it cannot make a network namespace (run mcpgw doctor as root with iproute2 for that)',
        "only LiteLLM's port is published",
      ],
    });
    const seed = await lanCheck('seed', notRoot, engineFor({}));
    expect(seed.status).toBe('warn');
    expect(seed.evidence).toContain('published besides LiteLLM: postgres on 127.0.0.1:5432, mcp-db-main on 127.0.0.1:48010');
    expect(seed.causes?.[0]?.fix).toMatch(/^remove `publish: true` \(or postgres.host_port\)/);
    expect(notRoot.calls).toEqual([]);
  });

  it('as root without `ip`: passes a published server only when the stack’s DOCKER-USER rules are all in place', async () => {
    const host = Object.assign(new FakeHost(), { commands: new Set(['iptables']) });
    const engine = engineFor({});
    // Every network of the seed's stack (LiteLLM's own, one per server, Postgres's) has its bridge guarded.
    const bridges = buildStackModel(parseConfig(fixtureStack('seed').yaml)).networks.map((network) => `br-${network.name}`);
    const wanted = bridges.length * 4;
    expect((await lanCheck('seed', host, engine)).evidence).toContain(`DOCKER-USER holds 0 of the stack's ${wanted} rules`);
    host.chain = [...stackRules('litellm', bridges).map(ruleLine), '-A DOCKER-USER -j RETURN'];
    const guarded = await lanCheck('seed', host, engine);
    expect(guarded.status).toBe('pass');
    expect(guarded.evidence).toContain(`DOCKER-USER holds the stack's ${wanted} rules for ${bridges.join(', ')}`);
  });
});

describe('doctor network.ports', () => {
  it('warns about every port published besides LiteLLM’s, even where it is published as configured', async () => {
    const seed = buildStackModel(parseConfig(fixtureStack('seed').yaml));
    const engine = new FakeEngine({
      containerNetworks: async (name) => seed.services.find((service) => service.containerName === name)?.networks,
      containerState: async () => ({ running: true, restartCount: 0, status: 'running', exitCode: 0 }),
      publishedPorts: async (name) =>
        (seed.services.find((service) => service.containerName === name)?.ports ?? []).map((port) => ({
          target: port.target,
          hostIp: port.hostIp,
          hostPort: port.published,
        })),
    });
    const outcome = await checkIn('seed', engine, new FakeHost(), networkPorts);
    expect(outcome.status).toBe('warn');
    expect(outcome.causes?.map((cause) => cause.cause)).toEqual([
      'published besides LiteLLM: postgres on 127.0.0.1:5432, mcp-db-main on 127.0.0.1:48010; anyone who reaches them needs no key',
    ]);
  });
});
