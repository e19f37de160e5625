// Small Docker helpers for the integration tier: labelled networks and containers, and wait
// strategies with deadlines (health status, HTTP, TCP port, log line). A failed wait says what it
// waited for and shows the container's last log lines.
import { connect } from 'node:net';
import Docker from 'dockerode';
import { demuxLogs } from '../../src/docker/logs.js';
import { ContainerWaitFailed, WAIT_LOG_LINES, waitOnContainer } from '../../src/docker/container-wait.js';
import { dockerEngine } from '../../src/docker/engine.js';
import { WaitAborted, waitUntil, type WaitOptions } from '../../src/time/wait.js';

export { demuxLogs };

/** Every object the tests create carries this label, so cleanup finds exactly those. */
export const TEST_LABEL = 'io.mcpgw.test';
export const RUN_LABEL = 'io.mcpgw.test.run';

export function dockerClient(): Docker {
  return new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
}

/** A short id that makes names unique to this test run (networks, containers). */
export function runId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * The process that owns a test run's objects (the vitest main process, from the global setup).
 * Cleanup of leftovers spares objects whose owner is still alive, so two runs on one engine
 * (two developers, or a developer and CI) do not delete each other's containers.
 */
export const OWNER_LABEL = 'io.mcpgw.test.owner';

export function testLabels(run: string, extra: Record<string, string> = {}, owner = String(process.ppid)): Record<string, string> {
  return { [TEST_LABEL]: '1', [RUN_LABEL]: run, [OWNER_LABEL]: owner, ...extra };
}

/** `internal` networks have no route out (and so no published ports): proves "works offline". */
export async function createNetwork(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
  { internal = false }: { internal?: boolean } = {},
): Promise<Docker.Network> {
  return docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: internal, Labels: labels });
}

export interface NetworkAttachment {
  name: string;
  aliases?: string[];
}

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  networks: NetworkAttachment[];
  env?: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  /** Container ports (tcp) to publish on 127.0.0.1 at an ephemeral host port. */
  publish?: number[];
  /** host:container[:ro] */
  binds?: string[];
  user?: string;
}

export class StartedContainer {
  constructor(
    readonly docker: Docker,
    readonly container: Docker.Container,
    readonly name: string,
  ) {}

  get id(): string {
    return this.container.id;
  }

  /** The 127.0.0.1 host port docker published for a container port. */
  async hostPort(containerPort: number): Promise<number> {
    const info = await this.container.inspect();
    const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
    if (!binding?.HostPort) throw new Error(`${this.name}: port ${containerPort}/tcp is not published`);
    return Number(binding.HostPort);
  }

  async logs(tail = 50): Promise<string> {
    try {
      const buf = (await this.container.logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return demuxLogs(buf);
    } catch (err) {
      return `(could not read logs: ${(err as Error).message})`;
    }
  }

  async state(): Promise<Docker.ContainerInspectInfo['State']> {
    return (await this.container.inspect()).State;
  }

  async exec(cmd: string[], env: string[] = []): Promise<{ exitCode: number; output: string }> {
    const exec = await this.container.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

export async function startContainer(docker: Docker, spec: ContainerSpec): Promise<StartedContainer> {
  const [first, ...rest] = spec.networks;
  if (!first) throw new Error(`${spec.name}: at least one network is required`);
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.publish ?? []) {
    exposed[`${p}/tcp`] = {};
    bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
  }
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Labels: spec.labels,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: first.name,
      PortBindings: bindings,
      Binds: spec.binds ?? [],
    },
    NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: first.aliases ?? [] } } },
  });
  for (const n of rest) {
    await docker.getNetwork(n.name).connect({ Container: container.id, EndpointConfig: { Aliases: n.aliases ?? [] } });
  }
  const started = new StartedContainer(docker, container, spec.name);
  try {
    await container.start();
  } catch (err) {
    throw new Error(`${spec.name}: start failed: ${(err as Error).message}\n${await started.logs()}`, { cause: err });
  }
  return started;
}

// ---------------------------------------------------------------- wait strategies

export type { WaitOptions } from '../../src/time/wait.js';
export { waitUntil };

/** Stops a wait at once: the product's WaitAborted, so test waits and `mcpgw up` share one mechanism. */
function fatal(message: string): Error {
  return new WaitAborted(message);
}

/** The product's own wait on a container (src/docker/container-wait.ts), its failure naming the container's last log lines. */
export async function waitForContainer<T>(c: StartedContainer, what: string, check: () => Promise<T | undefined>, opts: WaitOptions = {}): Promise<T> {
  try {
    return await waitOnContainer(dockerEngine(c.docker), c.id, `${c.name}: ${what}`, check, opts);
  } catch (error) {
    if (!(error instanceof ContainerWaitFailed)) throw error;
    throw new Error(`${error.message}\n--- last ${WAIT_LOG_LINES} log lines of ${c.name} ---\n${error.logs}`, { cause: error });
  }
}

/** Waits for the image's HEALTHCHECK to report healthy. */
export function waitForHealthy(c: StartedContainer, opts: WaitOptions = {}): Promise<true> {
  return waitForContainer<true>(
    c,
    'health status "healthy"',
    async () => {
      const state = await c.state();
      const status = state.Health?.Status;
      if (status === 'healthy') return true as const;
      if (status === undefined) throw fatal('image has no HEALTHCHECK');
      throw new Error(`health status is "${status}"`);
    },
    opts,
  );
}

export interface HttpWait extends WaitOptions {
  status?: number;
  headers?: Record<string, string>;
}

/** Waits until GET `url` answers with `status` (default 200). */
export function waitForHttp(c: StartedContainer, url: string, opts: HttpWait = {}): Promise<Response> {
  const want = opts.status ?? 200;
  return waitForContainer(
    c,
    `GET ${url} -> ${want}`,
    async () => {
      const res = await fetch(url, { headers: opts.headers ?? {}, signal: AbortSignal.timeout(5_000) });
      if (res.status === want) return res;
      throw new Error(`got HTTP ${res.status}`);
    },
    opts,
  );
}

/** Waits until a TCP connection to host:port succeeds. */
export function waitForPort(c: StartedContainer, host: string, port: number, opts: WaitOptions = {}): Promise<true> {
  return waitForContainer(
    c,
    `tcp ${host}:${port}`,
    () =>
      new Promise<true>((resolve, reject) => {
        const socket = connect({ host, port });
        socket.setTimeout(2_000);
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(new Error('connect timed out'));
        });
        socket.once('error', (err) => {
          socket.destroy();
          reject(err);
        });
      }),
    opts,
  );
}

/** Waits until the container's output contains a line matching `pattern`. */
export function waitForLog(c: StartedContainer, pattern: RegExp, opts: WaitOptions = {}): Promise<true> {
  return waitForContainer<true>(c, `log line matching ${pattern}`, async () => (pattern.test(await c.logs(1000)) ? true : undefined), opts);
}

// ---------------------------------------------------------------- cleanup

/**
 * Removes containers, then networks, carrying `label` (`key` or `key=value`). With `keep`, an
 * object is spared when keep(its labels, its creation time in ms) is true.
 */
export async function removeLabelled(
  docker: Docker,
  label: string,
  keep: (labels: Record<string, string>, createdMs: number) => boolean = () => false,
): Promise<{ containers: number; networks: number }> {
  const containers = (await docker.listContainers({ all: true, filters: { label: [label] } })).filter((c) => !keep(c.Labels ?? {}, c.Created * 1000));
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = (await docker.listNetworks({ filters: { label: [label] } })).filter((n) => !keep(n.Labels ?? {}, Date.parse(n.Created ?? '') || 0));
  for (const n of networks)
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  return { containers: containers.length, networks: networks.length };
}

/** True when the object's owner process (OWNER_LABEL) is another process that is still running. */
export function ownedByAnotherLiveRun(labels: Record<string, string>, self = process.pid): boolean {
  const owner = Number(labels[OWNER_LABEL]);
  if (!Number.isInteger(owner) || owner <= 0 || owner === self) return false;
  try {
    process.kill(owner, 0);
    return true;
  } catch {
    return false;
  }
}
