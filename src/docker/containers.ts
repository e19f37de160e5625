import type Docker from 'dockerode';
import { isAbsent, unlessAbsent } from './absent.js';
import { demuxLogs } from './logs.js';

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

/** A throwaway container `runOnce` runs to its end. */
export interface OneOffSpec {
  name: string;
  image: string;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  networks: string[];
  env?: string[];
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
  ports: PublishedPort[];
  env: string[];
}

export interface PublishedPort {
  target: number;
  hostIp: string;
  hostPort: number;
}

export interface ContainerHardening {
  /** Config.User: empty for the image's own user. */
  user: string;
  capDrop: string[];
  capAdd: string[];
  securityOpt: string[];
}

/**
 * How a container was created to run, as the engine reports it, running or not: what `up` compares with the spec
 * rather than trusting the hash it labelled the container with. `env` holds secrets: compared, never printed.
 */
export interface ContainerConfig extends ContainerHardening {
  /** The id of the image it was created from. */
  imageId: string;
  env: string[];
  /** Its labels, the image's own included. */
  labels: Record<string, string>;
  /** The host ports it was created to publish (HostConfig.PortBindings: known while it is stopped too). */
  ports: ContainerSpec['ports'];
  /** Its mounts; a volume's source is the volume's name. Anonymous volumes (an image's VOLUME) are left out. */
  mounts: { type: string; source: string; target: string; readOnly: boolean }[];
  /** Names of the networks it is attached to. */
  networks: string[];
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

/**
 * Containers: finding them, reading what they are (each read of one that does not exist answers undefined, except
 * where noted), creating, starting, stopping, renaming and removing them, and running a throwaway one to its end.
 */
export interface ContainerClient {
  /** Every container, running or not, that carries all of `labelFilters` (`key=value`). */
  listContainers(labelFilters: string[]): Promise<ContainerSummary[]>;
  containerState(id: string): Promise<ContainerState | undefined>;
  /** Names of the networks the container is attached to. */
  containerNetworks(id: string): Promise<string[] | undefined>;
  /** How the container was created to run: image, user, capabilities, env, labels, ports, mounts and networks. */
  containerConfig(id: string): Promise<ContainerConfig | undefined>;
  /**
   * What `adopt` reads of a container it must not touch: name, image (as created), state, networks, labels, published
   * ports and its environment (`env` holds secrets: callers keep it in memory, never print it).
   */
  containerDetails(id: string): Promise<ContainerDetails | undefined>;
  /** The container's IP address on `network`; undefined too when it is not attached there or not running. */
  containerAddress(name: string, network: string): Promise<string | undefined>;
  /** This machine's own addresses on the container's networks (each network's gateway, IPv4 and IPv6); the container must exist. */
  containerGateways(id: string): Promise<string[]>;
  /** The container's published ports; the container must exist. */
  publishedPorts(id: string): Promise<PublishedPort[]>;
  /** Creates the container (restart policy unless-stopped, logs rotated) on all of its networks; resolves with its id. */
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stops the container; one already stopped or gone is fine. */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /** Gives a container another name (upgrade keeps the previous LiteLLM as `<name>-previous`). */
  renameContainer(id: string, name: string): Promise<void>;
  /** Removes the container, running or not, keeping its volumes; one already gone is fine. */
  removeContainer(id: string): Promise<void>;
  /**
   * Runs a throwaway container to its end and removes it: created without a restart policy, attached to every
   * network in `networks`, started, waited for (at most `timeoutMs`, then killed). Returns its exit code and output.
   */
  runOnce(spec: OneOffSpec, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

/** The name Docker gives a volume nobody named: one it made for an image's VOLUME, not one mcpgw mounts. */
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

export function dockerContainers(docker: Docker): ContainerClient {
  const inspect = (id: string) => unlessAbsent(docker.getContainer(id).inspect());
  const portsOf = (info: Docker.ContainerInspectInfo): PublishedPort[] =>
    Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([key, bindings]) =>
      (bindings ?? []).map((binding) => ({ target: Number(key.split('/')[0]), hostIp: binding.HostIp, hostPort: Number(binding.HostPort) })),
    );

  return {
    async listContainers(labelFilters) {
      const list = await docker.listContainers({ all: true, filters: { label: labelFilters } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        labels: c.Labels,
        state: c.State,
        status: c.Status,
      }));
    },

    async containerState(id) {
      const info = await inspect(id);
      if (!info) return undefined;
      return {
        running: info.State.Running && !info.State.Restarting,
        restartCount: info.RestartCount ?? 0,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        ...(info.State.Health?.Status ? { health: info.State.Health.Status } : {}),
        startedAt: info.State.StartedAt,
      };
    },

    async containerNetworks(id) {
      const info = await inspect(id);
      return info && Object.keys(info.NetworkSettings.Networks ?? {});
    },

    async containerConfig(id) {
      const info = await inspect(id);
      if (!info) return undefined;
      return {
        imageId: info.Image,
        user: info.Config.User ?? '',
        capDrop: info.HostConfig.CapDrop ?? [],
        capAdd: info.HostConfig.CapAdd ?? [],
        securityOpt: info.HostConfig.SecurityOpt ?? [],
        env: info.Config.Env ?? [],
        labels: info.Config.Labels ?? {},
        ports: Object.entries(info.HostConfig.PortBindings ?? {}).flatMap(([key, bindings]) =>
          ((bindings ?? []) as { HostIp?: string; HostPort?: string }[]).map((binding) => ({
            hostIp: binding.HostIp ?? '',
            published: Number(binding.HostPort),
            target: Number(key.split('/')[0]),
          })),
        ),
        mounts: (info.Mounts ?? [])
          .filter((mount) => !(mount.Type === 'volume' && ANONYMOUS_VOLUME.test(mount.Name ?? '')))
          .map((mount) => ({
            type: mount.Type,
            source: mount.Type === 'volume' ? (mount.Name ?? mount.Source) : mount.Source,
            target: mount.Destination,
            readOnly: !mount.RW,
          })),
        networks: Object.keys(info.NetworkSettings.Networks ?? {}),
      };
    },

    async containerDetails(id) {
      const info = await inspect(id);
      if (!info) return undefined;
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        image: info.Config.Image,
        imageId: info.Image,
        running: info.State.Running && !info.State.Restarting,
        status: info.State.Status,
        networks: Object.keys(info.NetworkSettings.Networks ?? {}),
        labels: info.Config.Labels ?? {},
        ports: portsOf(info),
        env: info.Config.Env ?? [],
      };
    },

    async containerAddress(name, network) {
      const info = await inspect(name);
      if (!info?.State.Running) return undefined;
      return info.NetworkSettings.Networks[network]?.IPAddress || undefined;
    },

    async containerGateways(id) {
      const info = await docker.getContainer(id).inspect();
      return Object.values(info.NetworkSettings.Networks ?? {})
        .flatMap((network) => [network.Gateway, network.IPv6Gateway])
        .filter((address): address is string => Boolean(address));
    },

    async publishedPorts(id) {
      return portsOf(await docker.getContainer(id).inspect());
    },

    async createContainer(spec) {
      const [first, ...rest] = spec.networks;
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const port of spec.ports) {
        exposed[`${port.target}/tcp`] = {};
        bindings[`${port.target}/tcp`] = [{ HostIp: port.hostIp, HostPort: String(port.published) }];
      }
      const container = await docker.createContainer({
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
        await docker.getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: network.aliases } });
      }
      return container.id;
    },

    async startContainer(id) {
      await docker.getContainer(id).start();
    },

    async stopContainer(id, timeoutSeconds = 10) {
      await docker
        .getContainer(id)
        .stop({ t: timeoutSeconds })
        .catch((error: { statusCode?: number }) => {
          // 304: already stopped; 404: already gone.
          if (error.statusCode !== 304 && !isAbsent(error)) throw error;
        });
    },

    async renameContainer(id, name) {
      await docker.getContainer(id).rename({ name });
    },

    async removeContainer(id) {
      await docker
        .getContainer(id)
        .remove({ force: true, v: false })
        .catch((error: unknown) => {
          if (!isAbsent(error)) throw error;
        });
    },

    async runOnce(spec, timeoutMs) {
      const [first, ...rest] = spec.networks;
      const container = await docker.createContainer({
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
        for (const network of rest) await docker.getNetwork(network).connect({ Container: container.id });
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
    },
  };
}
