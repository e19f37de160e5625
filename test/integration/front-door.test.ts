import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { BUILTIN_HAPROXY_IMAGE } from '../../src/images/builtin.js';
import { renderHaproxyConfig } from '../../src/render/haproxy.js';
import { loadTemplates } from '../../src/render/templates.js';
import { buildStackModel, FRONT_DOOR_PORT, HAPROXY_CONFIG_PATH } from '../../src/stack/model.js';
import { buildSwarmModel } from '../../src/stack/swarm.js';
import { fixtureStack, fixturesDir } from '../helpers/fixtures.js';
import { createNetwork, dockerClient, runId, StartedContainer, startContainer, testLabels, waitForPort, waitUntil } from '../stack/stack.js';

/**
 * The front door alone, on the local engine (no swarm): the real haproxy image with the haproxy.cfg mcpgw renders,
 * in front of two stand-in replicas (test/fixtures/front-door/backend.mjs) that answer to `tasks.litellm` on a
 * bridge network, as a dnsrr service's tasks do on an overlay network.
 */
const stack = inject('mcpgwStack');
const run = runId();
const labels = testLabels(run, {}, stack.owner);
const network = `mcpgwt-${run}-front`;
const BACKENDS = ['replica-a', 'replica-b'] as const;
const WAIT = { timeoutMs: 30_000 };

interface Answer {
  status: number;
  backend: string;
  replica: string;
  session: string | null;
  body: string;
}

describe('the front door (HAProxy from Debian, the rendered haproxy.cfg) in front of two replicas', () => {
  const docker = dockerClient();
  let dir = '';
  let base = '';
  const backends = new Map<string, StartedContainer>();
  let frontDoor: StartedContainer | undefined;
  const addresses = new Map<string, string>();

  async function ask(pathname: string, init: RequestInit = {}): Promise<Answer> {
    const res = await fetch(`${base}${pathname}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    return {
      status: res.status,
      backend: res.headers.get('x-backend') ?? '',
      replica: res.headers.get('x-mcpgw-replica') ?? '',
      session: res.headers.get('mcp-session-id'),
      body,
    };
  }

  async function startBackend(name: string): Promise<void> {
    const backend = await startContainer(docker, {
      name: `mcpgwt-${run}-${name}`,
      image: stack.images.node,
      labels,
      networks: [{ name: network, aliases: ['tasks.litellm'] }],
      env: { BACKEND_NAME: name, PORT: String(FRONT_DOOR_PORT) },
      cmd: ['node', '/backend.mjs'],
      binds: [`${path.join(fixturesDir, 'front-door', 'backend.mjs')}:/backend.mjs:ro`],
      user: '65534:65534',
    });
    backends.set(name, backend);
    const info = await backend.container.inspect();
    addresses.set(name, info.NetworkSettings.Networks[network]?.IPAddress ?? '');
  }

  /** Both replicas in rotation: requests without a session reach each of them. */
  async function bothServing(): Promise<void> {
    await waitUntil(
      'both replicas answering through the front door',
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await ask('/ping')).backend);
        return seen.size === 2 ? true : undefined;
      },
      WAIT,
    );
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-front-door-'));
    const config = parseConfig(fixtureStack('swarm').yaml);
    const swarm = buildSwarmModel(buildStackModel(config), config, {
      'registry.lan:5000/everything:2026.8.31': { entrypoint: [], cmd: ['node'], labels: {} },
    });
    const cfg = path.join(dir, 'haproxy.cfg');
    await writeFile(cfg, renderHaproxyConfig(swarm.stack, swarm.frontDoor, loadTemplates()), { mode: 0o644 });
    await createNetwork(docker, network, labels);
    for (const name of BACKENDS) await startBackend(name);
    // As the stack file runs it: as nobody, no capability, no privilege gained.
    const container = await docker.createContainer({
      name: `mcpgwt-${run}-front-door`,
      Image: BUILTIN_HAPROXY_IMAGE,
      Labels: labels,
      User: '65534:65534',
      ExposedPorts: { [`${FRONT_DOOR_PORT}/tcp`]: {} },
      HostConfig: {
        NetworkMode: network,
        PortBindings: { [`${FRONT_DOOR_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Binds: [`${cfg}:${HAPROXY_CONFIG_PATH}:ro`],
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
      } as Docker.HostConfig,
    });
    frontDoor = new StartedContainer(docker, container, `mcpgwt-${run}-front-door`);
    await container.start();
    const port = await frontDoor.hostPort(FRONT_DOOR_PORT);
    base = `http://127.0.0.1:${port}`;
    await waitForPort(frontDoor, '127.0.0.1', port, WAIT);
    await bothServing();
  });

  afterAll(async () => {
    for (const container of [frontDoor, ...backends.values()]) await container?.remove();
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the replica that answered by its address', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => ask('/ping')));
    for (const answer of answers) expect(answer.replica).toBe(addresses.get(answer.backend));
  });

  it("sends a session's follow-ups to the replica whose answer set its Mcp-Session-Id", async () => {
    const opened: Answer[] = [];
    for (let i = 0; i < 6; i++) opened.push(await ask('/mcp', { method: 'POST', body: '{"method":"initialize"}' }));
    // Round robin opened sessions on both replicas: stickiness, not chance, keeps each on its own.
    expect(new Set(opened.map((answer) => answer.backend)).size).toBe(2);
    for (const session of opened) {
      expect(session.session).toMatch(new RegExp(`^${session.backend}-`));
      for (let i = 0; i < 4; i++) {
        const follow = await ask('/mcp', { method: 'POST', headers: { 'mcp-session-id': session.session ?? '' }, body: '{"method":"tools/list"}' });
        expect([follow.status, follow.backend, follow.replica]).toEqual([200, session.backend, session.replica]);
      }
    }
  });

  it("delivers a legacy SSE session's messages to the replica that holds its stream", async () => {
    const stream = await fetch(`${base}/mcp/sse`, { signal: AbortSignal.timeout(20_000) });
    const holder = stream.headers.get('x-backend');
    const reader = stream.body?.getReader();
    if (!reader) throw new Error('the SSE answer has no body');
    const decoder = new TextDecoder();
    let events = '';
    const readUntil = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      for (;;) {
        const found = events.match(pattern);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${pattern}: ${events}`);
        events += decoder.decode(value, { stream: true });
      }
    };
    const endpoint = (await readUntil(/event: endpoint\ndata: (\S+)\n/))[1] ?? '';
    for (let i = 0; i < 5; i++) {
      const posted = await ask(endpoint, { method: 'POST', body: `message-${i}` });
      expect([posted.status, posted.backend]).toEqual([202, holder]);
      await readUntil(new RegExp(`"echo":"message-${i}"`));
    }
    await reader.cancel();
  });

  it('takes a replica that stops answering readiness out of rotation, and back once it answers again', async () => {
    const [first, second] = BACKENDS;
    await backends.get(first)?.container.kill({ signal: 'SIGUSR1' });
    await waitUntil(
      `${first} out of rotation`,
      async () => {
        for (let i = 0; i < 8; i++) if ((await ask('/ping')).backend !== second) return undefined;
        return true;
      },
      WAIT,
    );
    await backends.get(first)?.container.kill({ signal: 'SIGUSR1' });
    await bothServing();
  });

  it('loses no request of a bounded load when a replica stops, gracefully or killed', async () => {
    const [survivor, leaving] = BACKENDS;
    for (const stop of ['graceful', 'killed'] as const) {
      await bothServing();
      const served = new Map<string, number>();
      const failures: string[] = [];
      let sent = 0;
      let stopping: Promise<unknown> | undefined;
      const TOTAL = 240;
      const worker = async () => {
        while (sent < TOTAL) {
          sent++;
          // A quarter in, with requests under way on both replicas.
          if (sent === TOTAL / 4) {
            const container = backends.get(leaving)?.container;
            stopping = stop === 'graceful' ? container?.stop({ t: 10 }) : container?.kill({ signal: 'SIGKILL' });
          }
          try {
            const answer = await ask('/slow?ms=40', { method: 'POST', body: 'work' });
            if (answer.status === 200) served.set(answer.backend, (served.get(answer.backend) ?? 0) + 1);
            else failures.push(`HTTP ${answer.status} ${answer.body.slice(0, 80)}`);
          } catch (error) {
            failures.push(String(error));
          }
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: 8 }, worker));
      await stopping;
      expect(failures, stop).toEqual([]);
      // Both served: the stop happened with the load running, not before or after it.
      expect(served.get(leaving) ?? 0, stop).toBeGreaterThan(0);
      expect(served.get(survivor) ?? 0, stop).toBeGreaterThan(served.get(leaving) ?? 0);
      expect(Date.now() - started, stop).toBeLessThan(60_000);
      // Back to two replicas for the next round (a task Swarm starts anew).
      await backends.get(leaving)?.remove();
      await startBackend(leaving);
    }
    // Retries were needed (and logged): the load did meet the stopping replica.
    const { stdout } = await execa('docker', ['logs', frontDoor?.name ?? '']);
    expect(stdout).toMatch(/\/\+[1-9] /);
  });
});
