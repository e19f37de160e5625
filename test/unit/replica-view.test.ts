import { describe, expect, it } from 'vitest';
import type { ContainerState } from '../../src/docker/containers.js';
import { readReplica, type ReplicaPlace } from '../../src/swarm/replica-view.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const MASTER = 'sk-unit-master-0f3e';
const KEY = 'sk-unit-user-9a1b';
const ask = { masterKey: MASTER, keys: [{ alias: 'user', key: KEY }], timeoutMs: 1000 };

/** An engine whose one container answers the replica script with `answer` (as data/litellm-replica.py prints it). */
function engineAnswering(answer: unknown, found: ContainerState | 'absent' = { running: true, restartCount: 0, status: 'running', exitCode: 0 }) {
  const state = found === 'absent' ? undefined : found;
  const execs: { cmd: string[]; env: string[] }[] = [];
  const engine = new FakeEngine({
    containerState: async () => state,
    exec: async (_id, cmd, env = []) => {
      execs.push({ cmd, env });
      return { exitCode: 0, output: `noise\nmcpgw-replica: ${JSON.stringify(answer)}\n` };
    },
    logs: async () => 'INFO: started\ncoordination_redis: using a standalone Redis from general_settings\nINFO: ready',
  });
  const place: ReplicaPlace = { replica: 'gw_litellm.2', node: 'node2', engine, container: 'c2' };
  return { place, execs };
}

describe('a replica read from inside its container', () => {
  it('passes the master key and the keys in the exec environment only, and reads what the script saw', async () => {
    const { place, execs } = engineAnswering({
      hostname: 'c2host',
      package_version: '1.108.7',
      config: { path: '/app/config.yaml', sha256: 'a'.repeat(64) },
      readiness: { status: 200, body: { status: 'healthy', db: 'connected' } },
      details: { status: 200, body: { litellm_version: '1.108.7', show_no_redis_warning: false } },
      coordination: { source: 'coordination_redis', target: { host: 'redis', port: 6379 }, answers: true },
      tools: {
        status: 200,
        body: {
          tools: [
            { name: 'b', mcp_info: { server_name: 'alpha' } },
            { name: 'a', mcp_info: { server_name: 'alpha' } },
          ],
          server_outcomes: {},
        },
      },
      keys: [{ alias: 'user', status: 200 }],
      unknown_key: { status: 401 },
    });
    const view = await readReplica(place, ask);
    expect(execs).toHaveLength(1);
    expect(execs[0]?.cmd.join(' ')).not.toContain(MASTER);
    expect(execs[0]?.cmd.join(' ')).not.toContain(KEY);
    expect(execs[0]?.env).toEqual([`MCPGW_MASTER_KEY=${MASTER}`, `MCPGW_KEYS=${JSON.stringify([{ alias: 'user', key: KEY }])}`]);
    expect(view).toEqual({
      replica: 'gw_litellm.2',
      node: 'node2',
      container: 'c2',
      hostname: 'c2host',
      version: '1.108.7',
      versionFrom: 'proxy',
      config: { path: '/app/config.yaml', sha256: 'a'.repeat(64) },
      readiness: { status: 200, state: 'healthy', db: 'connected' },
      redis: { noRedisWarning: false, source: 'coordination_redis', target: { host: 'redis', port: 6379 }, answers: true },
      tools: { alpha: ['a', 'b'] },
      keys: [{ alias: 'user', admitted: true }],
      unknownKey: { admitted: false },
      redisLog: ['coordination_redis: using a standalone Redis from general_settings'],
    });
  });

  it('an older LiteLLM: version from the package, no coordination Redis route, no tool list; a key answered otherwise', async () => {
    const { place } = engineAnswering({
      hostname: 'old',
      package_version: '1.77.3',
      config: { path: '/app/config.yaml', sha256: 'b'.repeat(64) },
      readiness: { status: 200, body: { status: 'healthy', db: 'connected' } },
      details: { status: 404, body: { detail: 'Not Found' } },
      coordination: { error: 'GET /coordination_redis/settings: HTTP 404 {}' },
      tools: { status: 500, body: 'Internal Server Error' },
      keys: [{ alias: 'user', error: 'TimeoutError: timed out' }],
      unknown_key: { status: 401 },
    });
    const view = await readReplica(place, ask);
    expect(view).toMatchObject({
      version: '1.77.3',
      versionFrom: 'package',
      redis: { error: 'GET /coordination_redis/settings: HTTP 404 {}' },
      toolsError: 'GET /mcp-rest/tools/list → HTTP 500 "Internal Server Error"',
      keys: [{ alias: 'user', seen: 'GET /v1/models: TimeoutError: timed out' }],
    });
    expect(view.tools).toBeUndefined();
  });

  it('says why a replica cannot be read: absent, stopped, nothing answering inside', async () => {
    expect((await readReplica(engineAnswering({}, 'absent').place, ask)).unreachable).toBe('container c2 does not exist');
    const stopped = { running: false, restartCount: 3, status: 'exited', exitCode: 1 };
    expect((await readReplica(engineAnswering({}, stopped).place, ask)).unreachable).toBe('container c2 is exited (exit code 1)');
    const { place } = engineAnswering({
      hostname: 'h',
      package_version: '1.108.7',
      config: { path: '/app/config.yaml', sha256: 'c'.repeat(64) },
      readiness: { error: 'URLError: <urlopen error [Errno 111] Connection refused>' },
    });
    const view = await readReplica(place, ask);
    expect(view.readiness).toEqual({ error: 'URLError: <urlopen error [Errno 111] Connection refused>' });
    expect(view.unreachable).toBeUndefined();
  });
});
