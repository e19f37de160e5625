import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from '../../src/docker/swarm.js';
import { serviceVerdict, updateFailed } from '../../src/swarm/converge.js';

const service = (update: Partial<SwarmService>): SwarmService => ({
  id: 's1',
  name: 'gw_litellm',
  image: 'mcpgw/litellm-db:1.108.7',
  labels: {},
  replicas: 2,
  mode: 'replicated',
  ...update,
});

describe('a rolling update Swarm gave up on', () => {
  it('is this deploy’s failure when it started after the update seen before the deploy', () => {
    const rolledBack = service({ updateState: 'rollback_completed', updateStartedAt: '2026-12-06T15:30:02.5Z', updateMessage: 'update rolled back' });
    expect(updateFailed(rolledBack, '2026-12-06T15:00:00Z')).toBe(
      'its rolling update failed and Swarm rolled it back to the previous spec, whose replicas go on serving (update rolled back)',
    );
    expect(updateFailed(rolledBack, undefined)).toMatch(/rolled it back/);
    expect(updateFailed(service({ updateState: 'rollback_started', updateStartedAt: 't2' }), 't1')).toMatch(/Swarm is rolling it back/);
    expect(updateFailed(service({ updateState: 'paused', updateStartedAt: 't2' }), 't1')).toMatch(/^its rolling update paused/);
    expect(updateFailed(service({ updateState: 'rollback_paused', updateStartedAt: 't2' }), 't1')).toMatch(/so did Swarm's rollback/);
  });

  it('is an earlier run’s story when it is the update seen before this deploy (a deploy of the spec Swarm went back to)', () => {
    expect(updateFailed(service({ updateState: 'rollback_completed', updateStartedAt: 't1' }), 't1')).toBeUndefined();
  });

  it('is no failure while updating or once completed', () => {
    expect(updateFailed(service({ updateState: 'updating', updateStartedAt: 't2' }), 't1')).toBeUndefined();
    expect(updateFailed(service({ updateState: 'completed', updateStartedAt: 't2' }), 't1')).toBeUndefined();
    expect(updateFailed(service({}), undefined)).toBeUndefined();
  });
});

describe('when waiting for a service is over', () => {
  const failed = (n: number): SwarmTask => ({
    id: `t${n}`,
    serviceId: 's1',
    nodeId: 'n1',
    state: 'failed',
    desiredState: 'shutdown',
    message: 'started',
    error: 'task: non-zero exit (3)',
    exitCode: 3,
    image: 'mcpgw/litellm-db:next',
    addresses: {},
    updatedAt: `2026-12-07T03:00:0${n}Z`,
  });
  const crashes = [failed(3), failed(2), failed(1)];

  it('leaves failures during a rolling update to Swarm, then reports its rollback rather than the failures', () => {
    expect(serviceVerdict(service({ updateState: 'updating', updateStartedAt: 't2' }), crashes, 3, 't1')).toBeUndefined();
    expect(serviceVerdict(service({ updateState: 'rollback_started', updateStartedAt: 't2' }), crashes, 3, 't1')).toMatch(/Swarm is rolling it back/);
  });

  it("ends on tasks that keep failing outside a rolling update, in Swarm's words, and not before the allowed count", () => {
    expect(serviceVerdict(service({}), crashes, 3, undefined)).toBe('3 task(s) ended, the newest failed (exit 3): task: non-zero exit (3)');
    expect(serviceVerdict(service({ updateState: 'completed', updateStartedAt: 't2' }), crashes.slice(0, 2), 3, 't1')).toBeUndefined();
  });
});
