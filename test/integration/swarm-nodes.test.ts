// The 3-node swarm the swarm tests run on, and mcpgw putting the stack's images on every node: real dockerd nodes
// (test/helpers/swarm.ts), real `docker save` streamed into each node's `docker load`, and a service of the loaded
// image answering from every node over an overlay network (dnsrr: no IPVS here) — what `docker stack deploy
// --resolve-image never` needs from the nodes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectEngine } from '../../src/docker/engine.js';
import { StepFailed } from '../../src/errors.js';
import { ensureImagesOnNodes, type ImageOnNodes } from '../../src/swarm/images.js';
import { systemClock } from '../../src/time/clock.js';
import { waitUntil } from '../../src/time/wait.js';
import type { Progress } from '../../src/ui/progress.js';
import { demuxLogs, runId, testLabels } from '../stack/stack.js';
import { sharedSwarm, type SwarmNode, type TestSwarm } from '../helpers/swarm.js';

const stack = inject('mcpgwStack');
const run = runId();
const labels = testLabels(run, {}, stack.owner);
const stackName = `mcpgwt-${run}`;
let swarm: TestSwarm;
let manager: SwarmNode;
let dir: string;

/** Progress lines on stderr, kept for the assertions: the numbers measured are in the test log. */
const lines: string[] = [];
const progress: Progress = {
  start: (title) => {
    const line = (kind: string) => (detail: string) => {
      lines.push(`${kind} ${title}: ${detail}`);
      process.stderr.write(`[swarm-nodes] ${kind} ${title}: ${detail}\n`);
    };
    return { update: () => undefined, succeed: line('ok'), skip: line('skip'), fail: line('FAIL') };
  },
};

async function distribute(images: string[]): Promise<ImageOnNodes[]> {
  return ensureImagesOnNodes(
    images,
    swarm.nodes.map((node) => node.url),
    { local: await connectEngine({}), dockerAt: (url) => connectEngine({ DOCKER_HOST: url }), progress, clock: systemClock },
  );
}

async function docker(args: string[]): Promise<string> {
  return (await execa('docker', ['-H', manager.url, ...args], { cwd: dir, timeout: 120_000 })).stdout;
}

beforeAll(async () => {
  swarm = await sharedSwarm({ image: stack.images.swarmNode, owner: stack.owner });
  manager = swarm.nodes[0] as SwarmNode;
  process.stderr.write(`[swarm-nodes] swarm: ${swarm.startMs > 0 ? `started in ${(swarm.startMs / 1000).toFixed(1)} s` : "this run's, reused"}\n`);
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-swarm-nodes-'));
});

afterAll(async () => {
  // The swarm is shared by the run's swarm test files: leave it without this file's stack.
  if (manager && process.env.MCPGW_TEST_KEEP !== '1') {
    await docker(['stack', 'rm', stackName]).catch(() => undefined);
    await waitUntil(
      `stack ${stackName} removed`,
      async () =>
        (await swarm.engine(manager).listServices({ filters: { label: [`com.docker.stack.namespace=${stackName}`] } })).length === 0 ? true : undefined,
      { timeoutMs: 60_000 },
    ).catch(() => undefined);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the test swarm', () => {
  it('has three Ready nodes: node1 the manager, node2 and node3 workers', async () => {
    const listed = (await swarm.engine(manager).listNodes()) as {
      Description: { Hostname: string };
      Status: { State: string; Addr: string };
      Spec: { Role: string };
    }[];
    expect(listed.map((node) => [node.Description.Hostname, node.Status.State, node.Spec.Role, node.Status.Addr]).sort()).toEqual(
      swarm.nodes.map((node, index) => [node.name, 'ready', index === 0 ? 'manager' : 'worker', node.ip]),
    );
  });
});

describe('every image on every node', () => {
  const images = [stack.images.node, stack.images.litellmDb];

  it('loads the images a node lacks or holds another build of, with the id they have here; a second run loads nothing', async () => {
    const local = await connectEngine({});
    const [node, litellm] = images as [string, string];
    const [nodeId, litellmId] = [await local.imageId(node), await local.imageId(litellm)];
    // The big one first: loaded now, or already there when another swarm file of this run loaded it.
    await distribute([litellm]);
    // node2 holds another build under the node image's name, node3 none: both must get this machine's.
    const [, node2, node3] = swarm.nodes as [SwarmNode, SwarmNode, SwarmNode];
    const absent = (error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    };
    await swarm.engine(node2).getImage(node).remove({ force: true }).catch(absent);
    await swarm
      .engine(node2)
      .getImage(litellm)
      .tag({ repo: node.slice(0, node.lastIndexOf(':')), tag: node.slice(node.lastIndexOf(':') + 1) });
    await swarm.engine(node3).getImage(node).remove({ force: true }).catch(absent);

    const outcomes = await distribute(images);
    const onNode = (image: string, url: string) => outcomes.find((outcome) => outcome.image === image)?.nodes.find((entry) => entry.node === url);
    expect(onNode(node, node2.url)).toEqual({ node: node2.url, state: 'loaded', bytes: expect.any(Number), seconds: expect.any(Number), replaced: litellmId });
    expect(onNode(node, node3.url)).toEqual({ node: node3.url, state: 'loaded', bytes: expect.any(Number), seconds: expect.any(Number) });
    expect((onNode(node, node3.url) as { bytes: number }).bytes).toBeGreaterThan(100e6);
    expect(swarm.nodes.map((entry) => onNode(litellm, entry.url)?.state)).toEqual(['present', 'present', 'present']);
    for (const entry of swarm.nodes) {
      const engine = await connectEngine({ DOCKER_HOST: entry.url });
      expect([await engine.imageId(node), await engine.imageId(litellm)], entry.name).toEqual([nodeId, litellmId]);
    }

    const started = Date.now();
    const second = await distribute(images);
    expect(second.flatMap((outcome) => outcome.nodes.map((entry) => `${outcome.image} ${entry.node} ${entry.state}`))).toEqual(
      images.flatMap((image) => swarm.nodes.map((entry) => `${image} ${entry.url} present`)),
    );
    process.stderr.write(`[swarm-nodes] second run: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 900_000);

  it('runs a service of the loaded image on each node, answering over an overlay network', async () => {
    // One replica per node, each answering with the node it runs on (a Swarm template), on an attachable overlay.
    const server = "require('http').createServer((q, s) => s.end(JSON.stringify({ node: process.env.NODE_NAME }))).listen(8080)";
    const file = {
      version: '3.9',
      services: {
        web: {
          image: stack.images.node,
          command: ['node', '-e', server],
          environment: { NODE_NAME: '{{.Node.Hostname}}' },
          networks: ['net'],
          deploy: { replicas: 3, endpoint_mode: 'dnsrr', placement: { max_replicas_per_node: 1 }, labels },
        },
      },
      networks: { net: { driver: 'overlay', attachable: true, labels } },
    };
    await writeFile(path.join(dir, 'stack.yml'), stringify(file));
    await docker(['stack', 'deploy', '--resolve-image', 'never', '-c', 'stack.yml', stackName]);

    const engine = swarm.engine(manager);
    const nodeNames = new Map(
      ((await engine.listNodes()) as { ID: string; Description: { Hostname: string } }[]).map((node) => [node.ID, node.Description.Hostname]),
    );
    const placed = await waitUntil(
      'three web tasks running',
      async () => {
        const tasks = (await engine.listTasks({ filters: { service: [`${stackName}_web`], 'desired-state': ['running'] } })) as {
          NodeID: string;
          Status: { State: string; Err?: string };
        }[];
        const running = tasks.filter((task) => task.Status.State === 'running');
        if (running.length === 3) return running.map((task) => nodeNames.get(task.NodeID)).sort();
        throw new Error(tasks.map((task) => `${nodeNames.get(task.NodeID)}: ${task.Status.State} ${task.Status.Err ?? ''}`).join('; ') || 'no task yet');
      },
      { timeoutMs: 90_000 },
    );
    expect(placed).toEqual(['node1', 'node2', 'node3']);

    // From a container on node1 attached to the overlay: `web` resolves (dnsrr) to every task, each answers.
    const client = `
      const dns = require('dns').promises;
      (async () => {
        const deadline = Date.now() + 30000; let seen = {};
        while (Date.now() < deadline) {
          seen = {};
          const ips = await dns.resolve4('web').catch(() => []);
          for (const ip of ips) seen[ip] = await fetch('http://' + ip + ':8080/').then((r) => r.json()).catch((e) => String(e));
          if (Object.keys(seen).length === 3 && Object.values(seen).every((v) => v.node)) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        console.log(JSON.stringify(seen));
      })();`;
    const container = await engine.createContainer({
      Image: stack.images.node,
      Cmd: ['node', '-e', client],
      Labels: labels,
      HostConfig: { NetworkMode: `${stackName}_net` },
    });
    try {
      await container.start();
      await container.wait();
      const answers = JSON.parse(demuxLogs((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer).trim()) as Record<
        string,
        { node: string }
      >;
      expect(
        Object.values(answers)
          .map((answer) => answer.node)
          .sort(),
      ).toEqual(['node1', 'node2', 'node3']);
      // dnsrr: the addresses are the tasks' own on the overlay, one per node.
      expect(Object.keys(answers)).toHaveLength(3);
    } finally {
      await container.remove({ force: true });
    }
  });

  it('fails naming a node it cannot reach, with the fix, and loads nothing', async () => {
    const node3 = swarm.nodes[2] as SwarmNode;
    await swarm.stopNode(node3.name, 0);
    try {
      const stepsBefore = lines.length;
      const failure = (await distribute(images).catch((error: unknown) => error)) as StepFailed;
      expect(failure).toBeInstanceOf(StepFailed);
      expect(failure.message.startsWith(`cannot reach a swarm node:\n  ${node3.url}: cannot reach the Docker engine at ${node3.url}: `), failure.message).toBe(
        true,
      );
      expect(lines.length, 'no image step ran').toBe(stepsBefore);
      expect(failure.hint).toMatch(/swarm\.nodes/);
    } finally {
      await swarm.startNode(node3.name);
    }
  });
});
