import { describe, expect, it } from 'vitest';
import type { SwarmNode, SwarmTask } from '../../src/docker/swarm.js';
import { StepFailed } from '../../src/errors.js';
import type { Cluster } from '../../src/swarm/cluster.js';
import { startService, stopService } from '../../src/swarm/quiesce.js';
import type { Clock } from '../../src/time/clock.js';
import { FakeEngine, FakeSwarm } from '../helpers/fake-engine.js';

const NAME = 'gw_litellm';

/**
 * A manager whose service LiteLLM runs `replicas` tasks; scaling moves the tasks after `lag` polls (a task that
 * `stuck` keeps running never stops, as one whose container ignores its stop).
 */
function fakeManager(options: { replicas: number; stuck?: boolean }) {
  const scaled: number[] = [];
  let wanted = options.replicas;
  let polls = 0;
  const task = (slot: number, state: string, desiredState: string): SwarmTask => ({
    id: `t${slot}-${state}`,
    serviceId: NAME,
    slot,
    nodeId: `n${slot}`,
    state,
    desiredState,
    message: state,
    containerId: `c${slot}`,
    image: 'mcpgw/litellm:1',
    addresses: {},
    updatedAt: '2026-12-06T10:00:00Z',
  });
  const swarm = new FakeSwarm({
    service: async () => ({ id: NAME, name: NAME, image: 'mcpgw/litellm:1', labels: {}, replicas: wanted, mode: 'replicated' }),
    scale: async (_name, replicas) => {
      scaled.push(replicas);
      wanted = replicas;
      polls = 0;
    },
    tasks: async () => {
      polls++;
      const settled = polls > 2;
      return Array.from({ length: Math.max(wanted, options.replicas) }, (_, index) => {
        const slot = index + 1;
        if (slot <= wanted) return task(slot, settled ? 'running' : 'starting', 'running');
        return task(slot, settled && !options.stuck ? 'shutdown' : 'running', 'shutdown');
      });
    },
  });
  const manager = new FakeEngine({ swarm: () => swarm });
  const node = (n: number): SwarmNode => ({
    id: `n${n}`,
    hostname: `node${n}`,
    role: n === 1 ? 'manager' : 'worker',
    state: 'ready',
    availability: 'active',
    address: `10.0.0.${n}`,
    labels: {},
  });
  const nodes = [1, 2, 3].map((n) => ({ node: node(n), url: `tcp://node${n}:2375`, engine: n === 1 ? manager : new FakeEngine() }));
  const cluster: Cluster = { managerUrl: 'tcp://node1:2375', manager, managerNode: node(1), nodes, unreachable: [] };
  return { cluster, scaled };
}

function fakeClock(): Clock {
  let now = Date.parse('2026-12-06T10:00:00Z');
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe("a service's replicas stopped and started again around a restore", () => {
  it('scales to 0, waits until no task runs, and brings back as many as it had', async () => {
    const { cluster, scaled } = fakeManager({ replicas: 2 });
    const options = { clock: fakeClock(), timeoutMs: 60_000 };
    expect(await stopService(cluster, NAME, options)).toBe(2);
    expect(scaled).toEqual([0]);
    const running = await startService(cluster, NAME, 2, options);
    expect(scaled).toEqual([0, 2]);
    expect(running.map((entry) => `${entry.task.slot}@${entry.hostname}`)).toEqual(['1@node1', '2@node2']);
  });

  it('a stop that does not finish scales the replicas back and says nothing was changed', async () => {
    const { cluster, scaled } = fakeManager({ replicas: 2, stuck: true });
    const error = await stopService(cluster, NAME, { clock: fakeClock(), timeoutMs: 5_000 }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toMatch(/gw_litellm did not stop: .*2 task\(s\) still running.*given its 2 replica\(s\) back/);
    expect(scaled).toEqual([0, 2]);
  });
});
