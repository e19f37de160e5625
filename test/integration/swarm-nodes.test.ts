import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedSwarm, type TestSwarm } from '../helpers/swarm.js';

const stack = inject('mcpgwStack');
let swarm: TestSwarm;

beforeAll(async () => {
  swarm = await sharedSwarm({ image: stack.images.swarmNode, owner: stack.owner });
  process.stderr.write(`[swarm-nodes] swarm ready in ${(swarm.startMs / 1000).toFixed(1)} s\n`);
});

afterAll(async () => {});

describe('a real 3-node swarm', () => {
  it('has three Ready nodes, one manager', async () => {
    const listed = (await swarm.engine(swarm.nodes[0]!).listNodes()) as {
      Description: { Hostname: string };
      Status: { State: string };
      Spec: { Role: string };
    }[];
    expect(listed.map((n) => [n.Description.Hostname, n.Status.State, n.Spec.Role]).sort()).toEqual([
      ['node1', 'ready', 'manager'],
      ['node2', 'ready', 'worker'],
      ['node3', 'ready', 'worker'],
    ]);
  });
});
