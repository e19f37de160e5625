// The gateway on a real 3-node swarm (test/helpers/swarm.ts: Debian's dockerd in containers): `mcpgw up` deploys
// the stack file it renders in stages, LiteLLM runs as two replicas behind the front door, and the probe judges
// every replica from inside its task and the front door's session affinity; logs, backup and restore act on the
// swarm's tasks (a restore stops the replicas and brings them back). Then, with real MCP traffic running throughout,
// `upgrade` rolls the replicas to another image, an image that cannot serve is rolled back by Swarm, and a node that
// runs a replica is killed: no request may fail during the rolls, and after the node loss the probe must be green
// again once Swarm has moved the replica.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { startLoad } from '../helpers/mcp-load.js';
import { sharedSwarm, type TestSwarm } from '../helpers/swarm.js';
import { writeSwarmStack } from '../helpers/swarm-stack.js';
import { TEST_SECRETS } from '../helpers/test-stack.js';
import { dockerClient, runId, testLabels } from '../stack/stack.js';
import { waitUntil } from '../../src/time/wait.js';

const stack = inject('mcpgwStack');
const name = `mcpgwt-${runId()}-swarm`;
const userKey = 'sk-itest-swarm-user-0123456789';
let swarm: TestSwarm;
let dir = '';
let gateway = '';
let downDone = false;
// Tagged with LiteLLM's release, as the images mcpgw upgrades between are.
const nextImage = `mcpgw-test/litellm-next-${runId()}:1.108.7`;
const CANNOT_START = 'mcpgw-test-cannot-start';

interface ProbeJson {
  ok: boolean;
  steps: { id: string; level: string; status: string; evidence: string[] }[];
}

interface StatusJson {
  services: { service: string; node?: string; state: string; health: string }[];
}

/** An image of LiteLLM built here from `base` and one more Dockerfile line (no registry), with the test labels. */
async function buildLitellmVariant(base: string, tag: string, line: string): Promise<void> {
  const context = await mkdtemp(path.join(tmpdir(), 'mcpgw-variant-'));
  try {
    await writeFile(path.join(context, 'Dockerfile'), `FROM ${base}\n${line}\n`);
    const docker = dockerClient();
    const stream = await docker.buildImage({ context, src: ['Dockerfile'] }, { t: tag, labels: testLabels(runId(), {}, stack.owner), rm: true, forcerm: true });
    const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => (error ? reject(error) : resolve(output))),
    );
    const failed = events.find((event) => event.error);
    if (failed) throw new Error(`building ${tag}: ${failed.error}`);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

async function litellmNodes(): Promise<string[]> {
  const status = await runCli(['status', '--json'], { cwd: dir });
  const parsed = JSON.parse(status.stdout) as StatusJson;
  return parsed.services.filter((entry) => entry.service === 'litellm' && entry.state === 'running').map((entry) => entry.node ?? '?');
}

beforeAll(async () => {
  swarm = await sharedSwarm({ image: stack.images.swarmNode, owner: stack.owner });
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-swarm-'));
  gateway = await writeSwarmStack(dir, { name, images: stack.images, swarm, userKey });
}, 300_000);

afterAll(async () => {
  // Every node back, for the next file that shares the swarm; the stack gone even when a test failed before `down`.
  for (const node of swarm?.nodes ?? []) await swarm.startNode(node.name).catch(() => undefined);
  if (dir && !downDone) await runCli(['down', '--volumes'], { cwd: dir });
  await rm(dir, { recursive: true, force: true });
  await dockerClient()
    .getImage(nextImage)
    .remove({ force: true })
    .catch(() => undefined);
}, 300_000);

describe('the gateway on a real 3-node swarm', () => {
  it('up deploys in stages and ends with the probe green at every level, each replica judged from inside it', async () => {
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stderr).toMatch(/swarm: data: postgres ×1 on node1/);
    expect(result.stderr).toMatch(/swarm: migrate: migration done \(migrate-deploy: \d+ migration\(s\) applied/);
    const report = JSON.parse(result.stdout) as { probe: ProbeJson; services: { service: string; tasks: { node: string }[] }[] };
    expect(report.probe.ok).toBe(true);
    expect(report.services.find((entry) => entry.service === 'litellm')?.tasks).toHaveLength(2);
    const replicaSteps = report.probe.steps.filter((step) => step.level === 'replicas');
    for (const id of ['replicas.ready', 'replicas.config', 'replicas.redis', 'replicas.heartbeat', 'replicas.affinity-http', 'replicas.affinity-sse']) {
      expect(replicaSteps.find((step) => step.id === id)?.status, `${id}: ${JSON.stringify(replicaSteps)}`).toBe('pass');
    }
    // Both replicas were read where they run, and both coordinate through the stack's Redis.
    const redis = replicaSteps.find((step) => step.id === 'replicas.redis')?.evidence.join('\n') ?? '';
    expect(redis.match(/Redis from coordination_redis, host=redis port=6379, answers LiteLLM/g)).toHaveLength(2);
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(result.stdout + result.stderr).not.toContain(value);
  }, 900_000);

  it('status shows each replica with its node; the stack file holds no secret', async () => {
    expect((await litellmNodes()).length).toBe(2);
    const stackFile = await readFile(path.join(dir, 'swarm/stack.yml'), 'utf8');
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(stackFile).not.toContain(value);
  });

  // Before the backup's restore replaces the replicas: their heartbeats would still count for 180 s.
  it("doctor on the swarm: swarm.* and replicas.* pass, one engine's checks skip with their reason; a task no node can take is named", async () => {
    interface DoctorJson {
      checks: { id: string; area: string; status: string; evidence: string[]; causes: { cause: string; fix: string }[] }[];
    }
    const doctor = async (...only: string[]) => {
      const result = await runCli(['doctor', '--json', ...(only.length > 0 ? ['--offline', '--only', ...only] : [])], { cwd: dir });
      return { code: result.code, output: `${result.stderr}\n${result.stdout}`, checks: (JSON.parse(result.stdout) as DoctorJson).checks };
    };
    const healthy = await doctor();
    expect(healthy.code, healthy.output).toBe(0);
    const ids = healthy.checks.map((check) => check.id);
    expect(ids).toEqual(expect.arrayContaining(['swarm.tasks', 'swarm.images', 'swarm.connections', 'replicas.redis', 'replicas.heartbeat']));
    for (const check of healthy.checks.filter((entry) => entry.area === 'swarm' || entry.area === 'replicas')) expect(check.status, check.id).toBe('pass');
    for (const check of healthy.checks.filter((entry) => entry.status === 'skip')) expect(check.evidence.join(' '), check.id).toMatch(/\w/);
    for (const id of ['network.exists', 'mcp.containers', 'security.isolation'])
      expect(healthy.checks.find((check) => check.id === id)?.evidence[0], id).toMatch(/^engine: swarm: /);
    expect(healthy.checks.find((check) => check.id === 'swarm.tasks')?.evidence).toContainEqual(
      expect.stringMatching(/^litellm: 2\/2 running on node\d, node\d$/),
    );

    // A fault Swarm reports: the MCP server's service gets a placement no node satisfies, then its own back.
    const service = `${name}_mcp-alpha`;
    const manager = swarm.engine(swarm.nodes[0] as TestSwarm['nodes'][number]).getService(service);
    const placeOn = async (change: (constraints: string[]) => string[]) => {
      const { Version, Spec } = (await manager.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: { Placement?: { Constraints?: string[] } } } };
      const placement = Spec.TaskTemplate.Placement ?? {};
      await manager.update({
        version: Version.Index,
        ...Spec,
        TaskTemplate: { ...Spec.TaskTemplate, Placement: { ...placement, Constraints: change(placement.Constraints ?? []) } },
      });
    };
    const nowhere = 'node.labels.mcpgw-test-nowhere==true';
    await placeOn((constraints) => [...constraints, nowhere]);
    try {
      const faulted = await waitUntil(
        'doctor names the task no node can take',
        async () => {
          const result = await doctor('swarm.tasks');
          const tasks = result.checks.find((check) => check.id === 'swarm.tasks');
          if (result.code !== 1 || tasks?.status !== 'fail' || !/no suitable node/.test(tasks.causes[0]?.cause ?? ''))
            throw new Error(result.output.slice(0, 400));
          return tasks;
        },
        { timeoutMs: 60_000 },
      );
      expect(faulted.causes[0]?.cause).toMatch(new RegExp(`^${service} runs 0 of 1 task\\(s\\); task mcp-alpha\\.1 pending: no suitable node`));
      expect(faulted.causes[0]?.fix).toMatch(/no node satisfies its placement \(the data node, labelled io\.mcpgw\.data\..*`mcpgw up`/);
    } finally {
      await placeOn((constraints) => constraints.filter((constraint) => constraint !== nowhere));
    }
    // Back as the later tests need it: the server's task running and its tools through the front door.
    await waitUntil(
      'mcp-alpha back',
      async () => {
        const result = await doctor('swarm.tasks', 'mcp.gateway');
        if (result.code !== 0) throw new Error(result.output.slice(0, 400));
        return result.checks;
      },
      { timeoutMs: 60_000 },
    );
  }, 240_000);

  it('logs shows the lines of both LiteLLM replicas, each with its task and node, and no secret', async () => {
    const nodes = await litellmNodes();
    const logs = await runCli(['logs', 'litellm', '--tail', '20'], { cwd: dir });
    expect(logs.code, logs.stderr).toBe(0);
    const sources = new Set([...logs.stdout.matchAll(/^litellm\.(\d+)\.[a-z0-9]{12}@(\S+) \| /gm)].map((match) => `${match[1]}@${match[2]}`));
    expect([...sources].map((source) => source.split('@')[1]).sort()).toEqual([...nodes].sort());
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(logs.stdout + logs.stderr).not.toContain(value);
  });

  it('backup on the swarm writes an archive restore accepts there: a key made after the backup is gone, the keys from before admitted', async () => {
    const admits = async (key: string) => {
      // Several requests: the front door spreads them over both replicas.
      const statuses = new Set<number>();
      for (let attempt = 0; attempt < 4; attempt++) statuses.add((await fetch(`${gateway}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status);
      return [...statuses];
    };
    const archive = path.join(dir, 'before-restore.sql.gz');
    const backup = await runCli(['backup', '--out', archive, '--json'], { cwd: dir });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backup: .*bytes of SQL/);
    const created = await runCli(['keys', 'create', '--alias', 'after-backup', '--mcp', 'alpha', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const later = (JSON.parse(created.stdout) as { key: string }).key;
    expect(await admits(later)).toEqual([200]);
    const restore = await runCli(['restore', archive, '--yes', '--json'], { cwd: dir });
    expect(restore.code, `${restore.stderr}\n${restore.stdout}`).toBe(0);
    expect(restore.stderr).toMatch(/restore: LiteLLM's schema replaced in one transaction \(the Postgres task .*_postgres\.1 on node1/);
    expect(restore.stderr).toMatch(/start litellm: 2 replica\(s\) ready; the front door routes to 2 replica\(s\)/);
    expect((JSON.parse(restore.stdout) as { ok: boolean }).ok).toBe(true);
    expect(await admits(later)).toEqual([401]);
    expect(await admits(userKey)).toEqual([200]);
    for (const value of [...Object.values(TEST_SECRETS), userKey, later])
      expect(backup.stdout + backup.stderr + restore.stdout + restore.stderr).not.toContain(value);
  }, 300_000);

  it('upgrade to another LiteLLM image rolls the replicas one by one under load with no failed request', async () => {
    const before = await litellmNodes();
    // The same LiteLLM, its `litellm` behind a wrapper that refuses a config carrying CANNOT_START (the next test's).
    const wrapper = String.raw`#!/bin/sh\nfor arg in "$@"; do case "$arg" in *.yaml) if grep -q ${CANNOT_START} "$arg"; then echo "this release cannot start with this config" >&2; exit 3; fi;; esac; done\nexec /opt/venv/bin/litellm-next "$@"\n`;
    await buildLitellmVariant(
      stack.images.litellmDb,
      nextImage,
      `RUN mv /opt/venv/bin/litellm /opt/venv/bin/litellm-next && printf '${wrapper}' > /opt/venv/bin/litellm && chmod 0755 /opt/venv/bin/litellm`,
    );
    const load = startLoad({ baseUrl: gateway, key: userKey, tool: 'alpha-echo', workers: 4, maxSessions: 5_000, maxMs: 600_000 });
    const upgrade = await runCli(['upgrade', '--to', nextImage, '--yes', '--json'], { cwd: dir });
    const traffic = await load.stop();
    process.stderr.write(`[swarm] upgrade roll: ${traffic.sessions} sessions, ${traffic.requests} requests, ${traffic.failed} failed in ${traffic.ms} ms\n`);
    expect(upgrade.code, `${upgrade.stderr}\n${upgrade.stdout}`).toBe(0);
    const outcome = JSON.parse(upgrade.stdout) as { state: string; cutover: { ok: boolean; downtimeMs?: number } };
    expect(outcome).toMatchObject({ state: 'upgraded', cutover: { ok: true } });
    expect(outcome.cutover.downtimeMs).toBeUndefined();
    expect(upgrade.stderr).toMatch(/backup/);
    expect(upgrade.stderr).toMatch(/rehearsal/);
    expect(traffic.failures).toEqual([]);
    // The traffic reached replicas of both generations: the old ones served until the new ones took over.
    expect(Object.keys(traffic.replicas).length).toBeGreaterThan(2);
    expect(traffic.sessions).toBeGreaterThan(20);
    expect(before.length).toBe(2);
    expect(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).toContain(`image: ${nextImage}`);
    const status = JSON.parse((await runCli(['status', '--json'], { cwd: dir })).stdout) as { services: { service: string; image: string; state: string }[] };
    const replicas = status.services.filter((entry) => entry.service === 'litellm' && entry.state === 'running');
    expect(replicas.map((entry) => entry.image)).toEqual([nextImage, nextImage]);
    for (const value of [...Object.values(TEST_SECRETS), userKey]) expect(upgrade.stdout + upgrade.stderr).not.toContain(value);
  }, 900_000);

  it('a change whose replicas cannot start stops the roll: Swarm rolls back and the old replicas serve throughout', async () => {
    const config = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
    // The next release refuses to start with a config that carries CANNOT_START (see nextImage): the change is a
    // description of alpha's, so the new replicas fail before they are ready, as a release that cannot take a
    // setting does, with no other image to put on the nodes.
    const broken = parse(config) as { mcp_servers: { alpha: Record<string, unknown> } };
    broken.mcp_servers.alpha.description = CANNOT_START;
    await writeFile(path.join(dir, 'mcpgw.yaml'), stringify(broken));
    const load = startLoad({ baseUrl: gateway, key: userKey, tool: 'alpha-echo', workers: 2, maxSessions: 5_000, maxMs: 600_000 });
    const up = await runCli(['up', '--json'], { cwd: dir });
    await writeFile(path.join(dir, 'mcpgw.yaml'), config);
    const manager = swarm.engine(swarm.nodes[0] as (typeof swarm.nodes)[number]);
    const litellm = manager.getService(`${name}_litellm`);
    // Swarm's rollback runs on after `up` reported it; the traffic runs until the old spec is back in full.
    const rolledBack = await waitUntil(
      'the rollback to the previous spec',
      async () => {
        const spec = (await litellm.inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } }; UpdateStatus?: { State: string } };
        const state = spec.UpdateStatus?.State ?? '';
        if (state !== 'rollback_completed') throw new Error(`update state ${state}`);
        return spec.Spec.TaskTemplate.ContainerSpec.Image;
      },
      { timeoutMs: 300_000 },
    );
    const traffic = await load.stop();
    process.stderr.write(`[swarm] failed roll: ${traffic.requests} requests, ${traffic.failed} failed in ${traffic.ms} ms\n`);
    expect(up.code, `${up.stderr}\n${up.stdout}`).toBe(1);
    expect(up.stderr, up.stderr).toMatch(new RegExp(`service ${name}_litellm: its rolling update failed and Swarm (is rolling|rolled) it back`));
    expect(rolledBack).toMatch(new RegExp(`^${nextImage}(@|$)`));
    expect(traffic.failures).toEqual([]);
    expect(traffic.requests).toBeGreaterThan(20);
    const probe = await runCli(['probe', '--json', '--no-llm'], { cwd: dir });
    expect(probe.code, probe.stdout).toBe(0);
  }, 900_000);

  it('after a node running a replica is lost, Swarm moves the replica and the probe is green again', async () => {
    const nodes = await litellmNodes();
    const victim = swarm.nodes.find((node) => node.name !== 'node1' && nodes.includes(node.name));
    if (!victim) throw new Error(`no replica outside the data node: ${nodes.join(', ')}`);
    const load = startLoad({ baseUrl: gateway, key: userKey, tool: 'alpha-echo', workers: 4, maxSessions: 5_000, maxMs: 300_000 });
    const lost = Date.now();
    // A power cut, not a shutdown: the node's tasks get no graceful stop.
    await swarm.stopNode(victim.name, 0);
    const green = await waitUntil(
      'the probe green again without the lost node',
      async () => {
        const probe = await runCli(['probe', '--json', '--no-llm'], { cwd: dir });
        if (probe.code !== 0) throw new Error(probe.stdout.slice(0, 400));
        return Date.now() - lost;
      },
      { timeoutMs: 240_000 },
    );
    const traffic = await load.stop();
    process.stderr.write(`[swarm] node loss: probe green after ${(green / 1000).toFixed(1)} s; ${traffic.failed} of ${traffic.requests} requests failed\n`);
    const after = await litellmNodes();
    expect(after).toHaveLength(2);
    expect(after).not.toContain(victim.name);
  }, 600_000);

  it('down --volumes removes the stack from every node, its volumes and data label included', async () => {
    for (const node of swarm.nodes) await swarm.startNode(node.name);
    const down = await runCli(['down', '--volumes'], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    downDone = true;
    for (const node of swarm.nodes) {
      const docker = swarm.engine(node);
      const owned = { label: [`com.docker.stack.namespace=${name}`] };
      expect(await docker.listContainers({ all: true, filters: owned }), node.name).toEqual([]);
      const volumes = ((await docker.listVolumes()).Volumes ?? []).map((volume) => volume.Name).filter((volume) => volume.startsWith(name));
      expect(volumes, node.name).toEqual([]);
    }
    const manager = swarm.engine(swarm.nodes[0] as (typeof swarm.nodes)[number]);
    expect(await manager.listServices({ filters: { label: [`com.docker.stack.namespace=${name}`] } })).toEqual([]);
    const labelled = ((await manager.listNodes()) as { Spec: { Labels?: Record<string, string> } }[]).filter(
      (node) => node.Spec.Labels?.[`io.mcpgw.data.${name}`],
    );
    expect(labelled).toEqual([]);
  }, 300_000);
});
