import { systemClock } from '../../../src/time/clock.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, type ProbePlan } from '../../../src/probe/probe.js';
import { fail, pass } from '../../../src/probe/types.js';
import type { ReplicaFinding } from '../../../src/swarm/replica-findings.js';
import type { ReplicaView } from '../../../src/swarm/replica-view.js';

const VIEW: ReplicaView = { replica: 'gw_litellm.1', node: 'node1', container: 'gw_litellm.1.x', keys: [], redisLog: [] };
const FINDINGS: ReplicaFinding[] = [
  { id: 'replicas.ready', title: 'ready', outcome: pass('1 of 1') },
  { id: 'replicas.config', title: 'config', outcome: fail('sha256 bbbb on gw_litellm.1', [{ cause: 'another config.yaml', fix: '`mcpgw up`' }]) },
];

describe('the replicas level of the probe', () => {
  let server: Server;
  let baseUrl = '';
  const deps = { clock: systemClock, nonce: () => 'nonce-1', diagnose: async () => [] };
  const plan = (change: Partial<ProbePlan>): ProbePlan => ({
    baseUrl,
    key: 'sk-unit',
    keyGrantsAll: true,
    servers: [],
    declaredKeys: [],
    timeoutMs: 2000,
    ...change,
  });

  beforeAll(async () => {
    // A gateway that is live and ready with its database, and says its version.
    server = createServer((request, response) => {
      request.resume();
      const bodies: Record<string, unknown> = {
        '/health/liveliness': 'I am alive!',
        '/health/readiness': { status: 'healthy', db: 'connected' },
        '/public/model_hub/info': { litellm_version: '1.108.7' },
      };
      const body = bodies[request.url ?? ''];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('runs right after the gateway level, one step per finding, and carries the views', async () => {
    const report = await runProbe(plan({ replicas: async () => ({ views: [VIEW], findings: FINDINGS }) }), deps);
    expect(report.steps.map((step) => [step.level, step.id, step.status])).toEqual([
      ['gateway', 'gateway.liveliness', 'pass'],
      ['gateway', 'gateway.readiness', 'pass'],
      ['gateway', 'gateway.version', 'pass'],
      ['replicas', 'replicas.ready', 'pass'],
      ['replicas', 'replicas.config', 'fail'],
      ['mcp', 'mcp.aggregate', 'skip'],
    ]);
    expect(report.ok).toBe(false);
    expect(report.replicas).toEqual([VIEW]);
    expect(report.steps[4]?.causes).toEqual([{ cause: 'another config.yaml', fix: '`mcpgw up`' }]);
  });

  it('still judges the replicas when the gateway does not answer, and names a read that failed', async () => {
    const dead = `http://127.0.0.1:1`;
    const report = await runProbe(plan({ baseUrl: dead, replicas: async () => ({ views: [], findings: FINDINGS.slice(0, 1) }) }), deps);
    expect(report.steps.map((step) => [step.id, step.status])).toEqual([
      ['gateway.liveliness', 'fail'],
      ['replicas.ready', 'pass'],
    ]);
    const broken = await runProbe(
      plan({
        replicas: async () => {
          throw new Error("this mcpgw cannot list a swarm's LiteLLM tasks yet");
        },
      }),
      deps,
    );
    const read = broken.steps.find((step) => step.level === 'replicas');
    expect(read).toMatchObject({ id: 'replicas.view', status: 'fail', evidence: ["check crashed: this mcpgw cannot list a swarm's LiteLLM tasks yet"] });
    expect(broken.replicas).toBeUndefined();
  });

  it('is absent without a replicas reader', async () => {
    const report = await runProbe(plan({}), deps);
    expect(report.steps.some((step) => step.level === 'replicas')).toBe(false);
    expect(report).not.toHaveProperty('replicas');
  });
});
