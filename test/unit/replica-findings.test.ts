import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { buildStackModel } from '../../src/stack/model.js';
import {
  judgeConfig,
  judgeHeartbeats,
  judgeKeys,
  judgeReady,
  judgeRedis,
  judgeReplicas,
  judgesReplicas,
  judgeTools,
  judgeVersion,
  REPLICA_TITLES,
  replicaExpectations,
  type ReplicaExpectations,
} from '../../src/swarm/replica-findings.js';
import type { ReplicaView, WorkerHeartbeats } from '../../src/swarm/replica-view.js';

const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);

/** Three healthy replicas of one stack on three nodes, as the replica view reads them. */
function healthy(slot: number, change: Partial<ReplicaView> = {}): ReplicaView {
  return {
    replica: `gw_litellm.${slot}`,
    node: `node${slot}`,
    container: `gw_litellm.${slot}.abc${slot}`,
    hostname: `host${slot}`,
    version: '1.108.7',
    versionFrom: 'proxy',
    config: { path: '/app/config.yaml', sha256: HASH },
    readiness: { status: 200, state: 'healthy', db: 'connected' },
    redis: { noRedisWarning: false, source: 'coordination_redis', target: { host: 'os.environ/REDIS_HOST', port: 6379 }, answers: true },
    tools: { alpha: ['echo', 'add'].sort(), beta: ['time'] },
    keys: [
      { alias: 'user', admitted: true },
      { alias: 'old', admitted: false },
    ],
    unknownKey: { admitted: false },
    redisLog: [],
    ...change,
  };
}

const three = (change: Record<number, Partial<ReplicaView>> = {}) => [1, 2, 3].map((slot) => healthy(slot, change[slot]));
const EXPECT: ReplicaExpectations = { engine: 'swarm', replicas: 3, workers: 1, version: '1.108.7', configSha256: HASH, servers: ['alpha', 'beta'] };
const BEATS: WorkerHeartbeats[] = [1, 2, 3].map((slot) => ({ hostname: `host${slot}`, workers: 1, newestAgeS: 12 }));
const text = (finding: { outcome: { evidence: string[]; causes?: { cause: string; fix: string }[] } }) =>
  [...finding.outcome.evidence, ...(finding.outcome.causes ?? []).map((cause) => `${cause.cause} | ${cause.fix}`)].join('\n');

describe('the replica findings', () => {
  it('pass every judgment on three healthy replicas with Redis and one heartbeat each', () => {
    const findings = judgeReplicas(three(), BEATS, EXPECT);
    expect(findings.map((finding) => [finding.id, finding.outcome.status])).toEqual(Object.keys(REPLICA_TITLES).map((id) => [id, 'pass']));
    expect(findings[3]?.outcome.evidence).toEqual(['alpha: 2 tools on every replica', 'beta: 1 tools on every replica']);
    expect(findings[4]?.outcome.evidence).toEqual([
      'key user: admitted by every replica',
      'key old: refused by every replica',
      'an unknown key: refused by every replica',
    ]);
  });

  it('ready: a missing replica, a stopped one and one without its database', () => {
    const views = [
      healthy(1),
      healthy(2, { unreachable: 'container gw_litellm.2.abc2 is exited (exit code 1)' }),
      healthy(3, { readiness: { status: 503, state: 'healthy', db: 'disconnected' } }),
    ];
    const finding = judgeReady(views, { ...EXPECT, replicas: 4 });
    expect(finding.outcome.status).toBe('fail');
    expect(finding.outcome.evidence[0]).toBe('3 of 4 replicas');
    expect(text(finding)).toMatch(/replica gw_litellm\.2 on node2 cannot be read: container gw_litellm\.2\.abc2 is exited/);
    expect(text(finding)).toMatch(/replica gw_litellm\.3 on node3 has no database connection \(db=disconnected\), so it refuses every virtual key/);
    expect(text(finding)).toMatch(/3 of the 4 replicas mcpgw\.yaml asks for \(litellm\.replicas\) exist \| `mcpgw status`/);
  });

  it('version: the odd replica is named, and a uniform release other than the configured one fails too', () => {
    const odd = judgeVersion(three({ 3: { version: '1.77.3' } }), EXPECT);
    expect(odd.outcome.status).toBe('fail');
    expect(odd.outcome.evidence).toEqual(['LiteLLM 1.108.7 on gw_litellm.1 on node1, gw_litellm.2 on node2', 'LiteLLM 1.77.3 on gw_litellm.3 on node3']);
    expect(text(odd)).toMatch(/gw_litellm\.3 on node3 runs LiteLLM 1\.77\.3, the others 1\.108\.7/);
    const uniform = judgeVersion(three(), { ...EXPECT, version: '1.109.0' });
    expect(text(uniform)).toMatch(/every replica runs LiteLLM 1\.108\.7, mcpgw\.yaml's litellm\.image names 1\.109\.0/);
    expect(judgeVersion(three(), { ...EXPECT, version: undefined }).outcome.status).toBe('pass');
  });

  it('config: a replica on another config.yaml, and every replica on a config mcpgw.yaml no longer renders', () => {
    const odd = judgeConfig(three({ 2: { config: { path: '/app/config.yaml', sha256: OTHER_HASH } } }), EXPECT);
    expect(odd.outcome.status).toBe('fail');
    expect(odd.outcome.evidence).toContain('sha256 bbbbbbbbbbbb on gw_litellm.2 on node2');
    expect(text(odd)).toMatch(
      /gw_litellm\.2 on node2 runs a config\.yaml \(sha256 bbbbbbbbbbbb, \/app\/config\.yaml\) other than the one mcpgw\.yaml renders, unlike the other replicas/,
    );
    const stale = judgeConfig(three(), { ...EXPECT, configSha256: OTHER_HASH });
    expect(text(stale)).toMatch(/mcpgw\.yaml changed since the last `mcpgw up`/);
    const unreadable = judgeConfig(three({ 1: { config: { path: '/app/config.yaml', error: 'Permission denied' } } }), EXPECT);
    expect(text(unreadable)).toMatch(/unreadable \(Permission denied\) on gw_litellm\.1/);
  });

  it('tools: a replica missing a server or a tool is named with what it lacks; a listing error fails', () => {
    const finding = judgeTools(three({ 3: { tools: { alpha: ['echo'] } } }), EXPECT);
    expect(finding.outcome.status).toBe('fail');
    expect(finding.outcome.evidence).toEqual([
      'alpha: 2 tools on gw_litellm.1 on node1, gw_litellm.2 on node2; 1 tools on gw_litellm.3 on node3',
      'beta: 1 tools on gw_litellm.1 on node1, gw_litellm.2 on node2; 0 tools on gw_litellm.3 on node3',
    ]);
    expect(text(finding)).toMatch(/gw_litellm\.3 on node3 lists other tools for alpha than gw_litellm\.1 on node1, gw_litellm\.2 on node2 \(missing: add\)/);
    expect(text(finding)).toMatch(/for beta .* \(missing: time\)/);
    const broken = judgeTools(three({ 1: { tools: undefined, toolsError: 'GET /mcp-rest/tools/list → HTTP 500' } }), EXPECT);
    expect(broken.outcome.status).toBe('fail');
    expect(text(broken)).toMatch(/replica gw_litellm\.1 on node1 did not give its tool list/);
  });

  it('keys: a key admitted on one replica and refused on another, and an unknown key admitted', () => {
    const finding = judgeKeys(
      three({
        2: {
          keys: [
            { alias: 'user', admitted: true },
            { alias: 'old', admitted: true },
          ],
        },
        3: { unknownKey: { admitted: true } },
      }),
    );
    expect(finding.outcome.status).toBe('fail');
    expect(finding.outcome.evidence).toContain('key old: refused by gw_litellm.1 on node1, gw_litellm.3 on node3; admitted by gw_litellm.2 on node2');
    expect(text(finding)).toMatch(/key old is admitted by some replicas and not by others: each replica caches keys for litellm\.key_cache_ttl/);
    expect(text(finding)).toMatch(/gw_litellm\.3 on node3 did not refuse a key that exists nowhere \(admitted\)/);
  });

  it('redis: none, one from the environment, one LiteLLM cannot reach; one worker in all needs none', () => {
    const finding = judgeRedis(
      three({
        1: {
          redis: { noRedisWarning: true, source: null },
          redisLog: ['coordination_redis: REDIS_* environment variables named a Redis that is not reachable'],
        },
        2: { redis: { source: 'environment', target: {} } },
        3: { redis: { source: 'coordination_redis', target: { host: 'redis' }, answers: false, error: 'Connection refused' } },
      }),
      EXPECT,
    );
    expect(finding.outcome.status).toBe('fail');
    expect(finding.outcome.evidence[0]).toBe('3 workers in all');
    expect(finding.outcome.evidence[1]).toBe('gw_litellm.1 on node1: no coordination Redis, show_no_redis_warning=true');
    expect(text(finding)).toMatch(
      /replica gw_litellm\.1 on node1 runs without Redis among 3 workers: rpm\/tpm limits and budgets are counted per process \(limit × 3\)/,
    );
    expect(text(finding)).toMatch(/replica gw_litellm\.2 on node2 takes its Redis from REDIS_\* variables, which LiteLLM drops silently/);
    expect(text(finding)).toMatch(/replica gw_litellm\.3 on node3 has a coordination Redis it cannot reach \(Connection refused\)/);
    expect(finding.outcome.causes?.[0]?.seen).toMatch(/not reachable/);
    const single = judgeRedis([healthy(1, { redis: { noRedisWarning: false, source: null } })], { ...EXPECT, replicas: 1 });
    expect(single.outcome.status).toBe('pass');
    expect(single.outcome.evidence[0]).toBe('one LiteLLM worker in all: nothing to coordinate, no Redis needed');
    const borrowed = judgeRedis([healthy(1, { redis: { source: 'cache_backend' } })], { ...EXPECT, replicas: 2 });
    expect(text(borrowed)).toMatch(/borrows the response cache's Redis \(cache_backend\), which mcpgw neither renders nor can test/);
    // Two workers in one replica need Redis as much as two replicas do.
    expect(judgeRedis([healthy(1, { redis: { source: null } })], { ...EXPECT, replicas: 1, workers: 2 }).outcome.status).toBe('fail');
  });

  it('heartbeat: a replica without rows fails; another hostname or a restarted worker warns; unreadable warns', () => {
    const missing = judgeHeartbeats(three(), BEATS.slice(0, 2), EXPECT);
    expect(missing.outcome.status).toBe('fail');
    expect(missing.outcome.evidence[0]).toBe('2 live worker rows (of 3 expected)');
    expect(text(missing)).toMatch(/replica gw_litellm\.3 on node3 \(hostname host3\) has 0 live heartbeat row\(s\) for 1 worker\(s\)/);
    const stranger = judgeHeartbeats(three(), [...BEATS, { hostname: 'laptop', workers: 1, newestAgeS: 30 }], EXPECT);
    expect(stranger.outcome.status).toBe('warn');
    expect(text(stranger)).toMatch(/laptop beats into this database but is no replica mcpgw found: another LiteLLM shares the database/);
    const restarted = judgeHeartbeats(three(), [{ ...BEATS[0], workers: 2 } as WorkerHeartbeats, ...BEATS.slice(1)], EXPECT);
    expect(restarted.outcome.status).toBe('warn');
    expect(text(restarted)).toMatch(/hostname host1 has 2 live rows for 1 worker\(s\)/);
    expect(judgeHeartbeats(three(), new Error('relation does not exist'), EXPECT).outcome.status).toBe('warn');
  });

  it('skip the comparisons when no replica could be read, and fail readiness', () => {
    const none = three({ 1: { unreachable: 'x' }, 2: { unreachable: 'y' }, 3: { unreachable: 'z' } });
    const findings = judgeReplicas(none, BEATS, EXPECT);
    expect(findings.map((finding) => finding.outcome.status)).toEqual(['fail', 'skip', 'skip', 'skip', 'skip', 'skip', 'warn']);
  });

  it('expects from mcpgw.yaml: replicas, one worker unless the command says, the image release, the rendered hash, the servers', () => {
    const config = configSchema.parse({
      version: 1,
      name: 'gw',
      host: '192.168.1.10',
      engine: 'swarm',
      swarm: { nodes: ['tcp://node1:2375'] },
      litellm: { image: 'ghcr.io/berriai/litellm:v1.108.7', replicas: 3 },
      mcp_servers: { alpha: { transport: 'http', url: 'http://alpha:8000/mcp' } },
    });
    const expected = replicaExpectations(config, buildStackModel(config), 'model_list: []\n');
    expect(expected).toEqual({
      engine: 'swarm',
      replicas: 3,
      workers: 1,
      version: '1.108.7',
      configSha256: createHash('sha256').update('model_list: []\n').digest('hex'),
      servers: ['alpha'],
    });
    expect(judgesReplicas(config)).toBe(true);
    expect(judgesReplicas({ engine: 'compose', litellm: { ...config.litellm, replicas: 1 } })).toBe(false);
  });
});
