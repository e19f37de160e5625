import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { StepFailed, UserError } from '../errors.js';
import { demuxLogs } from './logs.js';
import { SwarmClient } from './swarm.js';

/** What mcpgw asks of a container, independent of dockerode's option shapes. */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint (a bridge runs supergateway whatever the image's own entrypoint is). */
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  /** uid:gid to run as; absent: the image's user. */
  user?: string;
  capDrop: string[];
  capAdd: string[];
  securityOpt: string[];
  labels: Record<string, string>;
  /** json-file options added to the rotation settings every container gets. */
  logOptions?: Record<string, string>;
  ports: { hostIp: string; published: number; target: number }[];
  /** The first network is attached at create time, the others right after; each with these DNS aliases. */
  networks: { name: string; aliases: string[] }[];
  mounts: { type: 'bind' | 'volume'; source: string; target: string; readOnly: boolean }[];
  healthcheck?: { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number };
}

export interface NetworkInfo {
  id: string;
  labels: Record<string, string>;
  internal: boolean;
  containers: string[];
  /** The Linux bridge interface of a bridge network. */
  bridge?: string;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: string;
  status: string;
}

/** A container as `adopt` inspects it; `env` is NAME=value lines and holds secrets. */
export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  running: boolean;
  status: string;
  networks: string[];
  labels: Record<string, string>;
  ports: { target: number; hostIp: string; hostPort: number }[];
  env: string[];
}

export interface ContainerHardening {
  /** Config.User: empty for the image's own user. */
  user: string;
  capDrop: string[];
  capAdd: string[];
  securityOpt: string[];
}

export interface ContainerState {
  running: boolean;
  /** Times Docker restarted it under its restart policy: a rising count while waiting means a crash loop. */
  restartCount: number;
  status: string;
  exitCode: number;
  health?: string;
  startedAt?: string;
}

/** DOCKER_HOST from the injected environment (not process.env), as dockerode connection options. */
export function dockerOptions(dockerHost: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:') return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
  if (url.protocol === 'ssh:') {
    // The engine's socket through the node's sshd, as the docker CLI does; keys come from the user's ssh-agent.
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port || 22),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      sshOptions: { agent: env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions;
  }
  throw new UserError(`DOCKER_HOST=${dockerHost} is not supported`, 'use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host');
}

/**
 * The slice of the Docker API mcpgw uses, over dockerode. Commands receive an instance (or a fake in tests);
 * dockerode itself is loaded lazily so commands that never touch Docker start fast.
 */
/**
 * What mcpgw asks of a container engine: DockerEngine's public methods. Everything above docker/ takes this,
 * so a test can drive a command against a small fake instead of dockerode.
 */
export type Engine = { [K in keyof DockerEngine]: DockerEngine[K] };

/**
 * How long an engine may take to answer its first ping. A swarm node that is down (or a wrong address on the LAN)
 * otherwise holds the command for the kernel's TCP connect timeout, minutes; an engine over ssh answers in seconds.
 */
const PING_TIMEOUT_MS = 10_000;

export class DockerEngine {
  constructor(private readonly docker: Docker) {}

  /** The swarm this engine belongs to: nodes, services, tasks (a manager's engine answers for the whole swarm). */
  swarm(): SwarmClient {
    return new SwarmClient(this.docker);
  }

  static async connect(env: Readonly<Record<string, string | undefined>>): Promise<DockerEngine> {
    const { default: Dockerode } = await import('dockerode');
    const docker = new Dockerode(dockerOptions(env.DOCKER_HOST, env));
    const engine = new DockerEngine(docker);
    const deadline = AbortSignal.timeout(PING_TIMEOUT_MS);
    try {
      // dockerode's types leave out ping's options; its ping passes abortSignal on to the request.
      await (docker as unknown as { ping(options: { abortSignal: AbortSignal }): Promise<unknown> }).ping({ abortSignal: deadline });
    } catch (error) {
      const reason = deadline.aborted ? `no answer within ${PING_TIMEOUT_MS / 1000} s` : (error as Error).message;
      // An unreachable dependency is a failure (exit 1), not a usage error: nothing the command line can fix.
      throw new StepFailed(
        `cannot reach the Docker engine at ${env.DOCKER_HOST ?? '/var/run/docker.sock'}: ${reason}`,
        'start Docker (e.g. `systemctl start docker`) or set DOCKER_HOST',
      );
    }
    return engine;
  }

  async listContainers(labelFilters: string[]): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: labelFilters } });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      labels: c.Labels,
      state: c.State,
      status: c.Status,
    }));
  }

  async containerState(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        running: info.State.Running && !info.State.Restarting,
        restartCount: info.RestartCount ?? 0,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        ...(info.State.Health?.Status ? { health: info.State.Health.Status } : {}),
        startedAt: info.State.StartedAt,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Names of the networks the container is attached to, or undefined when it does not exist. */
  async containerNetworks(id: string): Promise<string[] | undefined> {
    try {
      return Object.keys((await this.docker.getContainer(id).inspect()).NetworkSettings.Networks ?? {});
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** How the container was created to run: user, capabilities and security options; undefined when it does not exist. */
  async containerHardening(id: string): Promise<ContainerHardening | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        user: info.Config.User ?? '',
        capDrop: info.HostConfig.CapDrop ?? [],
        capAdd: info.HostConfig.CapAdd ?? [],
        securityOpt: info.HostConfig.SecurityOpt ?? [],
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async containerLabels(id: string): Promise<Record<string, string>> {
    return (await this.docker.getContainer(id).inspect()).Config.Labels ?? {};
  }

  /** The local image id, or undefined when the image is not present (mcpgw never pulls implicitly). */
  async imageId(image: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async pullImage(image: string): Promise<void> {
    const stream = await this.docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /** The local image's labels, or undefined when the image is not present. */
  async imageLabels(image: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Config.Labels ?? {};
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** How the local image starts (its ENTRYPOINT, CMD and labels), or undefined when the image is not present. */
  async imageLaunch(image: string): Promise<{ entrypoint: string[]; cmd: string[]; labels: Record<string, string> } | undefined> {
    try {
      const { Config } = await this.docker.getImage(image).inspect();
      const words = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
      return { entrypoint: words(Config.Entrypoint), cmd: words(Config.Cmd), labels: Config.Labels ?? {} };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Builds `tag` from the files `entries` of the directory `context` (the classic builder, as the API serves it)
   * and passes every line of build output to `onLine`. Resolves with the builder's error message when a step
   * failed (the output up to it has been passed on), undefined when the image was built.
   */
  async buildImage(
    context: string,
    entries: string[],
    options: { tag: string; buildArgs: Record<string, string>; labels: Record<string, string> },
    onLine: (line: string) => void,
  ): Promise<string | undefined> {
    const stream = await this.docker.buildImage(
      { context, src: entries },
      { t: options.tag, buildargs: options.buildArgs, labels: options.labels, forcerm: true, rm: true },
    );
    let failure: string | undefined;
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as { stream?: string; error?: string };
          if (event.stream) for (const text of event.stream.replace(/\n$/, '').split('\n')) onLine(text);
          if (event.error) {
            failure = event.error;
            onLine(event.error);
          }
        }
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return failure;
  }

  /** Imports a root filesystem tarball as the image `repoTag` (what `docker import -c CHANGE - repo:tag` does). */
  async importImage(tarball: Readable, repoTag: string, message: string, changes: string[]): Promise<void> {
    const separator = repoTag.lastIndexOf(':');
    const stream = await this.docker.importImage(tarball as unknown as NodeJS.ReadableStream, {
      repo: repoTag.slice(0, separator),
      tag: repoTag.slice(separator + 1),
      message,
      changes,
    });
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /** `docker save` of one image: a tar stream the caller reads to its end (or destroys). */
  async saveImage(image: string): Promise<Readable> {
    return (await this.docker.getImage(image).get()) as unknown as Readable;
  }

  /**
   * `docker load` of a tar stream (as `saveImage` gives); resolves once the engine has loaded it. The engine reports a
   * broken or cut-off archive inside its 200 answer, so that answer is read to the end and its error thrown.
   */
  async loadImage(tar: Readable): Promise<void> {
    const stream = await this.docker.loadImage(tar as unknown as NodeJS.ReadableStream, { quiet: true });
    const messages = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => (error ? reject(error) : resolve(output)));
    });
    const failed = messages.find((message) => message.error || message.errorDetail);
    if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
  }

  /** Removes an image by id; one still used by a container stays (the engine refuses, which is fine here). */
  async removeImageIfUnused(id: string): Promise<void> {
    await this.docker
      .getImage(id)
      .remove()
      .catch(() => undefined);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const [first, ...rest] = spec.networks;
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of spec.ports) {
      exposed[`${port.target}/tcp`] = {};
      bindings[`${port.target}/tcp`] = [{ HostIp: port.hostIp, HostPort: String(port.published) }];
    }
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: spec.env,
      ...(spec.user ? { User: spec.user } : {}),
      Labels: spec.labels,
      ExposedPorts: exposed,
      ...(spec.healthcheck
        ? {
            Healthcheck: {
              Test: spec.healthcheck.test,
              Interval: spec.healthcheck.intervalMs * 1e6,
              Timeout: spec.healthcheck.timeoutMs * 1e6,
              Retries: spec.healthcheck.retries,
              StartPeriod: spec.healthcheck.startPeriodMs * 1e6,
            },
          }
        : {}),
      HostConfig: {
        CapDrop: spec.capDrop,
        CapAdd: spec.capAdd,
        SecurityOpt: spec.securityOpt,
        PortBindings: bindings,
        RestartPolicy: { Name: 'unless-stopped' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3', ...spec.logOptions } },
        Mounts: spec.mounts.map((mount) => ({ Type: mount.type, Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly })),
        ...(first ? { NetworkMode: first.name } : {}),
      },
      ...(first ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: first.aliases } } } } : {}),
    });
    for (const network of rest) {
      await this.docker.getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: network.aliases } });
    }
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async stopContainer(id: string, timeoutSeconds = 10): Promise<void> {
    await this.docker
      .getContainer(id)
      .stop({ t: timeoutSeconds })
      .catch((error: { statusCode?: number }) => {
        // 304: already stopped; 404: already gone.
        if (error.statusCode !== 304 && error.statusCode !== 404) throw error;
      });
  }

  /** Gives a container another name (upgrade keeps the previous LiteLLM as `<name>-previous`). */
  async renameContainer(id: string, name: string): Promise<void> {
    await this.docker.getContainer(id).rename({ name });
  }

  async removeContainer(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: false })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }

  async logs(id: string, tail = 50, since?: number): Promise<string> {
    try {
      const buffer = (await this.docker
        .getContainer(id)
        .logs({ stdout: true, stderr: true, tail, follow: false, ...(since !== undefined ? { since } : {}) })) as unknown as Buffer;
      return demuxLogs(buffer);
    } catch (error) {
      return `(could not read logs: ${(error as Error).message})`;
    }
  }

  async followLogs(id: string, options: { since?: number; tail?: number }, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
    const stream = (await this.docker.getContainer(id).logs({
      stdout: true,
      stderr: true,
      follow: true,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
    })) as NodeJS.ReadableStream & { destroy(): void };
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener(
        'abort',
        () => {
          stream.destroy();
          resolve();
        },
        { once: true },
      );
      stream.on('data', (chunk: Buffer) => onText(demuxLogs(chunk)));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
  }

  /**
   * Runs a command in a container; `env` is passed to that process only (never logged). `user` runs it as that
   * user of the container instead of the container's own (e.g. the owner of the files it writes).
   */
  async exec(id: string, cmd: string[], env: string[] = [], user?: string): Promise<{ exitCode: number; output: string }> {
    const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
  }

  /**
   * Runs a throwaway container to its end and removes it: created without a restart policy, attached to every
   * network in `networks`, started, waited for (at most `timeoutMs`, then killed). Returns its exit code and output.
   */
  async runOnce(
    spec: { name: string; image: string; entrypoint: string[]; cmd: string[]; labels: Record<string, string>; networks: string[]; env?: string[] },
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }> {
    const [first, ...rest] = spec.networks;
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Entrypoint: spec.entrypoint,
      Cmd: spec.cmd,
      // The process's environment only (e.g. a DATABASE_URL with its password), never a command line.
      ...(spec.env ? { Env: spec.env } : {}),
      Labels: spec.labels,
      // A throwaway asks and prints; it needs no capability and gains none.
      HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], ...(first ? { NetworkMode: first } : {}) },
    });
    try {
      for (const network of rest) await this.docker.getNetwork(network).connect({ Container: container.id });
      await container.start();
      let timer: NodeJS.Timeout | undefined;
      const overdue = new Promise<{ StatusCode: number }>((resolve) => {
        timer = setTimeout(
          () =>
            void container
              .kill()
              .catch(() => undefined)
              .then(() => resolve({ StatusCode: -1 })),
          timeoutMs,
        );
      });
      const ended = (await Promise.race([container.wait() as Promise<{ StatusCode: number }>, overdue])) as { StatusCode: number };
      clearTimeout(timer);
      const output = demuxLogs((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
      return { exitCode: ended.StatusCode, output };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  /**
   * Runs a command in a container streaming its stdout into `stdout` (bytes, unbuffered: a database dump can be
   * large) and, when given, `stdin` into it; stderr is collected for error messages. `env` as in exec; `user`
   * replaces the container's user for this process.
   */
  async execStreaming(
    id: string,
    cmd: string[],
    io: { stdout: Writable; stdin?: Readable; env?: string[]; user?: string },
  ): Promise<{ exitCode: number; stderr: string }> {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: cmd,
      Env: io.env ?? [],
      ...(io.user ? { User: io.user } : {}),
      AttachStdin: Boolean(io.stdin),
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: Boolean(io.stdin) });
    const stderr = new PassThrough();
    const errorChunks: Buffer[] = [];
    stderr.on('data', (chunk: Buffer) => errorChunks.push(chunk));
    // demuxStream writes without ending its targets, so `stdout` stays open for the caller.
    this.docker.modem.demuxStream(stream, io.stdout, stderr);
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    if (io.stdin) {
      // Ending our side half-closes the hijacked socket: the process sees EOF on stdin and finishes.
      await pipeline(io.stdin, stream as unknown as Writable, { end: true }).catch((error: Error) => {
        stream.destroy();
        throw error;
      });
    }
    await ended;
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stderr: Buffer.concat(errorChunks).toString('utf8') };
  }

  /** The network's labels, whether it is internal, the containers attached, and `bridge`: its Linux bridge interface (br-<first 12 of its id> unless named at creation). */
  async networkByName(name: string): Promise<NetworkInfo | undefined> {
    const networks = await this.docker.listNetworks({ filters: { name: [name] } });
    const match = networks.find((network) => network.Name === name);
    if (!match) return undefined;
    const info = (await this.docker.getNetwork(match.Id).inspect()) as { Containers?: object; Internal?: boolean };
    const bridge = match.Driver === 'bridge' ? (match.Options?.['com.docker.network.bridge.name'] ?? `br-${match.Id.slice(0, 12)}`) : undefined;
    return {
      id: match.Id,
      labels: match.Labels ?? {},
      internal: info.Internal === true,
      containers: Object.keys(info.Containers ?? {}),
      ...(bridge ? { bridge } : {}),
    };
  }

  async createNetwork(name: string, labels: Record<string, string>, options: { internal: boolean } = { internal: false }): Promise<void> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: options.internal, Labels: labels });
  }

  /** Detaches a container from a network (both by name or id); one not attached is fine. */
  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.docker
      .getNetwork(network)
      .disconnect({ Container: container, Force: true })
      .catch((error: { statusCode?: number; message?: string }) => {
        if (error.statusCode !== 404 && !/is not connected/i.test(error.message ?? '')) throw error;
      });
  }

  async removeNetwork(name: string): Promise<void> {
    await this.docker.getNetwork(name).remove();
  }

  async volumeExists(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).inspect();
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  async listVolumes(labelFilters: string[]): Promise<string[]> {
    const result = await this.docker.listVolumes({ filters: { label: labelFilters } });
    return (result.Volumes ?? []).map((volume) => volume.Name);
  }

  async removeVolume(name: string): Promise<void> {
    await this.docker.getVolume(name).remove();
  }

  /** The container's IP address on `network`, or undefined when it is absent or not running. */
  async containerAddress(name: string, network: string): Promise<string | undefined> {
    try {
      const info = await this.docker.getContainer(name).inspect();
      if (!info.State.Running) return undefined;
      return info.NetworkSettings.Networks[network]?.IPAddress || undefined;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * The running containers on `network` with the names Docker's DNS answers for them there (container name,
   * aliases such as a compose service name) and their IPv4 address on it; an absent network has none.
   */
  async networkMembers(network: string): Promise<{ name: string; aliases: string[]; address: string }[]> {
    const info = (await this.docker
      .getNetwork(network)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined;
        throw error;
      })) as { Name?: string; Containers?: Record<string, unknown> } | undefined;
    if (!info) return [];
    const members: { name: string; aliases: string[]; address: string }[] = [];
    for (const id of Object.keys(info.Containers ?? {})) {
      const container = await this.docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined);
      // Inspected by id, the endpoint is keyed by the network's name.
      const endpoint = container?.NetworkSettings.Networks[info.Name ?? network] as
        | { IPAddress?: string; Aliases?: string[] | null; DNSNames?: string[] | null }
        | undefined;
      if (!container?.State.Running || !endpoint?.IPAddress) continue;
      members.push({
        name: container.Name.replace(/^\//, ''),
        aliases: [...(endpoint.Aliases ?? []), ...(endpoint.DNSNames ?? [])],
        address: endpoint.IPAddress,
      });
    }
    return members;
  }

  /**
   * What `adopt` reads of a container it must not touch: name, image (as created), state, networks, labels, published
   * ports and its environment (`env` holds secrets: callers keep it in memory, never print it); undefined when absent.
   */
  async containerDetails(id: string): Promise<ContainerDetails | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      const ports = Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([key, bindings]) =>
        (bindings ?? []).map((binding) => ({ target: Number(key.split('/')[0]), hostIp: binding.HostIp, hostPort: Number(binding.HostPort) })),
      );
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        image: info.Config.Image,
        imageId: info.Image,
        running: info.State.Running && !info.State.Restarting,
        status: info.State.Status,
        networks: Object.keys(info.NetworkSettings.Networks ?? {}),
        labels: info.Config.Labels ?? {},
        ports,
        env: info.Config.Env ?? [],
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** This machine's own addresses on the container's networks (each network's gateway, IPv4 and IPv6). */
  async containerGateways(id: string): Promise<string[]> {
    const info = await this.docker.getContainer(id).inspect();
    return Object.values(info.NetworkSettings.Networks ?? {})
      .flatMap((network) => [network.Gateway, network.IPv6Gateway])
      .filter((address): address is string => Boolean(address));
  }

  async publishedPorts(id: string): Promise<{ target: number; hostIp: string; hostPort: number }[]> {
    const info = await this.docker.getContainer(id).inspect();
    const out: { target: number; hostIp: string; hostPort: number }[] = [];
    for (const [key, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
      for (const binding of bindings ?? []) out.push({ target: Number(key.split('/')[0]), hostIp: binding.HostIp, hostPort: Number(binding.HostPort) });
    }
    return out;
  }
}
