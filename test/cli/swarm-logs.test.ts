import { cp } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { HostShell } from '../../src/docker/engine-setup.js';
import type { Engine } from '../../src/docker/engine.js';
import type { SwarmNode, SwarmTask } from '../../src/docker/swarm.js';
import { systemClock, type Clock } from '../../src/time/clock.js';
import { FakeEngine, FakeSwarm } from '../helpers/fake-engine.js';
import { fixtureStack } from '../helpers/fixtures.js';
import { runCli, withTempDir } from '../helpers/cli.js';

/** The fixture's secret value (test/fixtures/stacks/swarm/secrets.env) that a log line leaks. */
const LEAKED = 'sk-fixture-master-swarm';

const node = (id: string, hostname: string, state = 'ready'): SwarmNode => ({
  id,
  hostname,
  role: id === 'n1' ? 'manager' : 'worker',
  state,
  availability: 'active',
  address: `10.0.0.${id.slice(1)}`,
  labels: {},
});
const NODES = [node('n1', 'node1'), node('n2', 'node2'), node('n3', 'node3', 'down')];

const task = (id: string, nodeId: string, slot: number, containerId: string): SwarmTask => ({
  id,
  serviceId: 'svc',
  slot,
  nodeId,
  state: 'running',
  desiredState: 'running',
  message: 'started',
  containerId,
  image: 'mcpgw/litellm:1.108.7',
  addresses: {},
  updatedAt: '2026-12-06T10:00:00Z',
});

/** A swarm of three nodes: node3 is down (its engine does not answer), node2's engine never sends its log. */
function fakeSwarm(tasks: Record<string, SwarmTask[]>, logs: Record<string, string>) {
  const swarm = (nodeId: string, hostname: string) =>
    new FakeSwarm({
      membership: async () => ({ nodeId, state: 'active', manager: nodeId === 'n1', hostname, version: '20.10.24' }),
      nodes: async () => NODES,
      service: async (name) => (tasks[name] ? { id: name, name, image: 'x', labels: {}, replicas: tasks[name].length, mode: 'replicated' } : undefined),
      tasks: async (name) => tasks[name] ?? [],
    });
  const engine = (nodeId: string, hostname: string) =>
    new FakeEngine({
      swarm: () => swarm(nodeId, hostname),
      logs: async (id) => logs[id] ?? new Promise<string>(() => undefined),
    });
  const engines: Record<string, Engine> = { 'tcp://node1.lan:2375': engine('n1', 'node1'), 'tcp://node2.lan:2375': engine('n2', 'node2') };
  return async (url: string) => {
    const found = engines[url];
    if (!found) throw new Error('no answer within 10 s');
    return found;
  };
}

/** Waits take no time: a log that never comes is given up on at once. */
const instantClock: Clock = { ...systemClock, sleep: () => new Promise((resolve) => setTimeout(resolve, 0)) };

describe('logs on a swarm', () => {
  it("shows each task's log with its replica and node, redacted; a task on a node that is gone or silent is skipped, named on stderr", async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('swarm').dir, dir, { recursive: true });
      const dockerAt = fakeSwarm(
        {
          fleet_litellm: [task('aaaaaaaaaaaaaaaa', 'n1', 1, 'c1'), task('bbbbbbbbbbbbbbbb', 'n2', 2, 'c2'), task('cccccccccccccccc', 'n3', 3, 'c3')],
        },
        { c1: `INFO: ready\nmaster key ${LEAKED}\n` },
      );
      const result = await runCli(['logs', 'litellm'], {
        cwd: dir,
        clock: instantClock,
        docker: async () => new FakeEngine({ imageLaunch: async () => ({ entrypoint: ['docker-entrypoint.sh'], cmd: ['npx'], labels: {} }) }),
        dockerAt,
        hostShell: async () => ({}) as HostShell,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`litellm.1.aaaaaaaaaaaa@node1 | INFO: ready\nlitellm.1.aaaaaaaaaaaa@node1 | master key ***\n`);
      expect(result.stderr).toMatch(/skipped litellm\.2\.bbbbbbbbbbbb@node2: its node's engine sent no log within 15 s/);
      expect(result.stderr).toMatch(/skipped litellm\.3\.cccccccccccc@node3: its node's engine does not answer.*no answer within 10 s/);
      expect(result.stdout + result.stderr).not.toContain(LEAKED);
    });
  });

  it('names the services of the swarm stack when asked for another', async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('swarm').dir, dir, { recursive: true });
      const result = await runCli(['--json', 'logs', 'nosuch'], {
        cwd: dir,
        docker: async () => new FakeEngine({ imageLaunch: async () => ({ entrypoint: ['docker-entrypoint.sh'], cmd: ['npx'], labels: {} }) }),
        dockerAt: async () => {
          throw new Error('no swarm engine may be asked');
        },
      });
      expect(result.code).toBe(2);
      const error = (JSON.parse(result.stdout) as { error: { message: string; hint: string } }).error;
      expect(error.message).toBe('unknown service "nosuch"');
      expect(error.hint).toMatch(/redis, litellm-migrate, litellm, front-door/);
    });
  });
});
