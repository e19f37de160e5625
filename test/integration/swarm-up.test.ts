// `mcpgw up` on a real 3-node swarm (test/helpers/swarm.ts): the stack file mcpgw renders, deployed in stages,
// LiteLLM as two replicas behind the front door, the probe green through it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sharedSwarm, type TestSwarm } from '../helpers/swarm.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { runId } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const name = `mcpgwt-${runId()}-swarm`;
const userKey = 'sk-itest-swarm-user-0123456789';
let swarm: TestSwarm;
let dir = '';

beforeAll(async () => {
  swarm = await sharedSwarm({ image: stack.images.swarmNode, owner: stack.owner });
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-swarm-'));
  const manager = swarm.nodes[0];
  if (!manager) throw new Error('the swarm has no node');
  await writeTestStack(dir, {
    name,
    images: stack.images,
    litellmPort: 4000,
    mcp: { alpha: { transport: 'http', port: 48480 } },
    secrets: { MCPGW_KEY_USER: userKey },
    extra: {
      host: manager.ip,
      engine: 'swarm',
      swarm: { manager: swarm.managerUrl, nodes: swarm.nodes.map((node) => node.url) },
      litellm: { image: stack.images.litellmDb, port: 4000, replicas: 2 },
      probe_model: 'canary',
      keys: [{ alias: 'user', mcp_servers: ['alpha'] }],
    },
  });
}, 300_000);

afterAll(async () => {
  if (dir) await runCli(['down', '--volumes'], { cwd: dir });
  await rm(dir, { recursive: true, force: true });
}, 300_000);

describe('mcpgw up on a real swarm', () => {
  it('deploys in stages and ends with the probe green through the front door', async () => {
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    const report = JSON.parse(result.stdout) as { probe: { ok: boolean }; services: { service: string; tasks: { node: string }[] }[] };
    expect(report.probe.ok).toBe(true);
    const litellm = report.services.find((entry) => entry.service === 'litellm');
    expect(litellm?.tasks).toHaveLength(2);
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(result.stdout + result.stderr).not.toContain(value);
  }, 900_000);
});
