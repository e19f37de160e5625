import { describe, expect, it } from 'vitest';
import { judgeConnections } from '../../src/doctor/checks/swarm-connections.js';
import { judgeImages } from '../../src/doctor/checks/swarm-images.js';
import { judgeTasks, type ServiceTasks } from '../../src/doctor/checks/swarm-tasks.js';
import type { SwarmTask } from '../../src/docker/swarm.js';

function task(overrides: Partial<SwarmTask>): SwarmTask {
  return {
    id: 'task0123456789abcdef',
    serviceId: 'svc',
    slot: 1,
    nodeId: 'n1',
    state: 'running',
    desiredState: 'running',
    message: 'started',
    image: 'mcpgw/litellm-db:1.108.7',
    addresses: {},
    updatedAt: '2026-12-06T12:00:00Z',
    ...overrides,
  };
}

function service(overrides: Partial<ServiceTasks>): ServiceTasks {
  return { service: 'litellm', swarmName: 'gw_litellm', deployed: true, job: false, wanted: 2, tasks: [], placement: 'any active node', ...overrides };
}

const nodeName = (id: string) => ({ n1: 'node1', n2: 'node2' })[id] ?? id;

describe('swarm.tasks', () => {
  it('passes when every service runs what Swarm wants and the migration completed, naming the nodes', () => {
    const outcome = judgeTasks(
      [
        service({ tasks: [task({ nodeId: 'n1' }), task({ slot: 2, nodeId: 'n2' })] }),
        service({
          service: 'litellm-migrate',
          swarmName: 'gw_litellm-migrate',
          job: true,
          wanted: 1,
          tasks: [task({ state: 'complete', desiredState: 'shutdown' })],
        }),
      ],
      nodeName,
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toEqual(['litellm: 2/2 running on node1, node2', 'litellm-migrate: complete on node1']);
  });

  it('a task Swarm cannot place says so (no node) and the fix names the placement, never a refusing command', () => {
    const outcome = judgeTasks(
      [
        service({
          service: 'mcp-alpha',
          swarmName: 'gw_mcp-alpha',
          wanted: 1,
          placement: 'the data node, labelled io.mcpgw.data.gw=true',
          tasks: [
            task({
              state: 'pending',
              desiredState: 'ready',
              nodeId: '',
              message: 'pending task scheduling',
              error: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
            }),
            task({ state: 'shutdown', desiredState: 'shutdown' }),
          ],
        }),
      ],
      nodeName,
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.causes?.[0]?.cause).toBe(
      'gw_mcp-alpha runs 0 of 1 task(s); task mcp-alpha.1 pending: no suitable node (scheduling constraints not satisfied on 3 nodes) (on no node)',
    );
    expect(outcome.causes?.[0]?.fix).toMatch(/its placement \(the data node, labelled io\.mcpgw\.data\.gw=true\).*`mcpgw up`/);
    expect(outcome.causes?.[0]?.fix).not.toMatch(/mcpgw (upgrade|backup|restore)/);
  });

  it('a replica that exited names its exit code and node; a missing image points at swarm.images', () => {
    const outcome = judgeTasks(
      [
        service({
          tasks: [task({ nodeId: 'n1' }), task({ slot: 2, nodeId: 'n2', state: 'failed', exitCode: 3, message: 'started', error: 'task: non-zero exit (3)' })],
        }),
        service({
          service: 'redis',
          swarmName: 'gw_redis',
          wanted: 1,
          tasks: [task({ state: 'rejected', nodeId: 'n2', error: 'No such image: mcpgw/redis:7.0' })],
        }),
      ],
      nodeName,
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.causes?.map((cause) => cause.cause)).toEqual([
      'gw_litellm runs 1 of 2 task(s); task litellm.2 failed (exit code 3): task: non-zero exit (3) on node2',
      'gw_redis runs 0 of 1 task(s); task redis.1 rejected: No such image: mcpgw/redis:7.0 on node2',
    ]);
    expect(outcome.causes?.[0]?.fix).toMatch(/docker service logs gw_litellm/);
    expect(outcome.causes?.[1]?.fix).toMatch(/swarm\.images.*`mcpgw up` puts every image on the nodes/);
  });

  it('a service never deployed, a failed migration and an update Swarm rolled back fail; a migration under way warns', () => {
    const failed = judgeTasks(
      [
        service({ deployed: false }),
        service({
          service: 'litellm-migrate',
          swarmName: 'gw_litellm-migrate',
          job: true,
          wanted: 1,
          tasks: [task({ state: 'failed', exitCode: 1, error: 'exit 1' })],
        }),
        service({ service: 'front-door', swarmName: 'gw_front-door', wanted: 1, tasks: [task({})], updateTrouble: 'its last update rollback completed' }),
      ],
      nodeName,
    );
    expect(failed.status).toBe('fail');
    expect(failed.causes?.map((cause) => cause.cause)).toEqual([
      'service gw_litellm is not deployed',
      'the migration job gw_litellm-migrate failed (exit code 1): exit 1 on node1',
      'gw_front-door: its last update rollback completed',
    ]);
    const running = judgeTasks(
      [
        service({
          service: 'litellm-migrate',
          swarmName: 'gw_litellm-migrate',
          job: true,
          wanted: 1,
          tasks: [task({ state: 'running', desiredState: 'complete' })],
        }),
      ],
      nodeName,
    );
    expect(running.status).toBe('warn');
  });
});

describe('swarm.images', () => {
  const hostname = (url: string) => url.replace(/^tcp:\/\/(\w+):2375$/, '$1');

  it('passes when every node has the local id, and names node and image when one lacks it or has another build', () => {
    const present = judgeImages(
      [{ image: 'lite:1', id: 'sha256:aaaaaaaaaaaaaaaa', present: ['tcp://node1:2375', 'tcp://node2:2375'], load: [] }],
      hostname,
      [],
    );
    expect(present).toMatchObject({ status: 'pass', evidence: ['lite:1 (aaaaaaaaaaaa) on node1, node2'] });
    const missing = judgeImages(
      [
        {
          image: 'lite:1',
          id: 'sha256:aaaaaaaaaaaaaaaa',
          present: ['tcp://node1:2375'],
          load: [{ node: 'tcp://node2:2375' }, { node: 'tcp://node3:2375', current: 'sha256:bbbbbbbbbbbbbbbb' }],
        },
      ],
      hostname,
      [],
    );
    expect(missing.status).toBe('fail');
    expect(missing.causes?.map((cause) => cause.cause)).toEqual([
      'node node2 lacks lite:1',
      'node node3 has another build of lite:1 (bbbbbbbbbbbb, here aaaaaaaaaaaa)',
    ]);
    expect(missing.causes?.[0]?.fix).toMatch(/^`mcpgw up` puts every image on the nodes/);
  });

  it('a node that does not answer is a warning, its images unknown', () => {
    const outcome = judgeImages([{ image: 'lite:1', id: 'sha256:aaaaaaaaaaaaaaaa', present: ['tcp://node1:2375'], load: [] }], hostname, ['tcp://node3:2375']);
    expect(outcome.status).toBe('warn');
    expect(outcome.causes?.[0]?.cause).toMatch(/tcp:\/\/node3:2375 did not answer/);
  });
});

describe('swarm.connections', () => {
  const budget = { replicas: 2, workers: 1, poolLimit: 10, poolFrom: "LiteLLM's default", maxConnections: 100, reserved: 3 };

  it('counts (replicas + 1 during a roll) × workers × pool, the migration and mcpgw against what Postgres admits', () => {
    const outcome = judgeConnections(budget);
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toEqual([
      "LiteLLM: (2 replica(s) + 1 during a roll) × 1 worker(s) × pool 10 (LiteLLM's default) = 30",
      '+ 1 migration + 3 mcpgw = 34 at most',
      'Postgres admits 97 (max_connections 100 − 3 reserved)',
    ]);
  });

  it('fails over the limit with the numbers, and a fix mcpgw.yaml supports (fewer replicas) or raising max_connections', () => {
    const outcome = judgeConnections({ ...budget, replicas: 8, workers: 2 });
    expect(outcome.status).toBe('fail');
    // (8 + 1) × 2 × 10 + 4 = 184 > 97; (97 − 4) / 20 = 4 replicas-with-roll → 3 replicas.
    expect(outcome.causes?.[0]?.cause).toMatch(/open 184 connections, Postgres admits 97/);
    expect(outcome.causes?.[0]?.fix).toMatch(/lower litellm\.replicas in mcpgw\.yaml to 3 .* at least 187/);
  });
});
