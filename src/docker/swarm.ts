import type Docker from 'dockerode';
import { unlessAbsent } from './absent.js';

/** This engine's place in a swarm, from /info. */
export interface SwarmMembership {
  /** Empty when the engine is in no swarm. */
  nodeId: string;
  /** inactive, pending, active, error, locked. */
  state: string;
  /** A manager (it can take `docker stack deploy`). */
  manager: boolean;
  hostname: string;
  /** The engine's server version, e.g. 20.10.24+dfsg1. */
  version: string;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** ready, down, unknown, disconnected. */
  state: string;
  /** active, pause, drain. */
  availability: string;
  /** The address the node talks to the swarm from. */
  address: string;
  labels: Record<string, string>;
}

export interface SwarmService {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Replicas asked for; absent for a job or a global service. */
  replicas?: number;
  mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  /** The last rolling update: updating, paused, completed, rollback_started, rollback_paused, rollback_completed. */
  updateState?: string;
  updateMessage?: string;
  /** When that update started, as Swarm stamps it: tells a rolling update from the one before it. */
  updateStartedAt?: string;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId: string;
  /** new … running, complete, failed, shutdown, rejected, orphaned, remove. */
  state: string;
  desiredState: string;
  /** Swarm's words for the state, and the error that ended it (e.g. "No such image: …"). */
  message: string;
  error?: string;
  containerId?: string;
  exitCode?: number;
  /** Image reference the task runs, with the digest Swarm pinned when it had one. */
  image: string;
  /** The task's addresses, by network name, without the prefix length. */
  addresses: Record<string, string>;
  updatedAt: string;
}

/**
 * The swarm part of the Docker API mcpgw uses, over the same dockerode connection as the engine: nodes and their
 * labels, services, their tasks. Deploying a stack is the docker CLI's job (`docker stack deploy` reads the stack
 * file mcpgw renders), so nothing here creates a service.
 */
export interface SwarmClient {
  membership(): Promise<SwarmMembership>;
  nodes(): Promise<SwarmNode[]>;
  /** Sets one label on a node, keeping its other labels, role and availability (Swarm replaces the whole spec). */
  labelNode(nodeId: string, key: string, value: string): Promise<void>;
  unlabelNode(nodeId: string, key: string): Promise<void>;
  services(labelFilters: string[]): Promise<SwarmService[]>;
  service(name: string): Promise<SwarmService | undefined>;
  /** Every task of a service that Swarm still knows, newest first (old ones stay listed until pruned). */
  tasks(service: string): Promise<SwarmTask[]>;
  /** Sets a replicated service's replica count, keeping the rest of its spec (Swarm replaces the whole spec). */
  scale(name: string, replicas: number): Promise<void>;
  /** Removes a service; one already gone is fine. */
  removeService(name: string): Promise<void>;
}

export function dockerSwarm(docker: Docker): SwarmClient {
  const updateNodeLabels = async (nodeId: string, change: (labels: Record<string, string>) => Record<string, string>) => {
    const node = docker.getNode(nodeId);
    const current = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } };
    await node.update({ version: current.Version.Index, ...current.Spec, Labels: change(current.Spec.Labels ?? {}) });
  };

  return {
    async membership() {
      const info = (await docker.info()) as {
        Name: string;
        ServerVersion: string;
        Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean };
      };
      return {
        nodeId: info.Swarm?.NodeID ?? '',
        state: info.Swarm?.LocalNodeState ?? 'inactive',
        manager: info.Swarm?.ControlAvailable === true,
        hostname: info.Name,
        version: info.ServerVersion,
      };
    },

    async nodes() {
      const nodes = (await docker.listNodes()) as {
        ID: string;
        Description?: { Hostname?: string };
        Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
        Status?: { State?: string; Addr?: string };
      }[];
      return nodes.map((node) => ({
        id: node.ID,
        hostname: node.Description?.Hostname ?? '',
        role: node.Spec?.Role === 'manager' ? 'manager' : 'worker',
        state: node.Status?.State ?? 'unknown',
        availability: node.Spec?.Availability ?? 'active',
        address: node.Status?.Addr ?? '',
        labels: node.Spec?.Labels ?? {},
      }));
    },

    async labelNode(nodeId, key, value) {
      await updateNodeLabels(nodeId, (labels) => ({ ...labels, [key]: value }));
    },

    async unlabelNode(nodeId, key) {
      await updateNodeLabels(nodeId, (labels) => Object.fromEntries(Object.entries(labels).filter(([name]) => name !== key)));
    },

    async services(labelFilters) {
      const services = (await docker.listServices({ filters: { label: labelFilters } })) as RawService[];
      return services.map(serviceOf);
    },

    async service(name) {
      const raw = (await unlessAbsent(docker.getService(name).inspect())) as RawService | undefined;
      return raw && serviceOf(raw);
    },

    async tasks(service) {
      const tasks = (await docker.listTasks({ filters: { service: [service] } })) as RawTask[];
      return tasks.map(taskOf).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    },

    async scale(name, replicas) {
      const service = docker.getService(name);
      const current = (await service.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      await service.update({ version: current.Version.Index, ...current.Spec, Mode: { Replicated: { Replicas: replicas } } });
    },

    async removeService(name) {
      await unlessAbsent(docker.getService(name).remove());
    },
  };
}

interface RawService {
  ID: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
    Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: object; GlobalJob?: object };
  };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

function serviceOf(raw: RawService): SwarmService {
  const mode = raw.Spec.Mode ?? {};
  return {
    id: raw.ID,
    name: raw.Spec.Name,
    image: raw.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
    labels: raw.Spec.Labels ?? {},
    ...(mode.Replicated ? { replicas: mode.Replicated.Replicas ?? 1 } : {}),
    mode: mode.Global ? 'global' : mode.ReplicatedJob ? 'replicated-job' : mode.GlobalJob ? 'global-job' : 'replicated',
    ...(raw.UpdateStatus?.State ? { updateState: raw.UpdateStatus.State } : {}),
    ...(raw.UpdateStatus?.Message ? { updateMessage: raw.UpdateStatus.Message } : {}),
    ...(raw.UpdateStatus?.StartedAt ? { updateStartedAt: raw.UpdateStatus.StartedAt } : {}),
  };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  UpdatedAt: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

function taskOf(raw: RawTask): SwarmTask {
  const addresses: Record<string, string> = {};
  for (const attachment of raw.NetworksAttachments ?? []) {
    const name = attachment.Network?.Spec?.Name;
    const address = attachment.Addresses?.[0]?.split('/')[0];
    if (name && address) addresses[name] = address;
  }
  const status = raw.Status.ContainerStatus;
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    ...(raw.Slot !== undefined ? { slot: raw.Slot } : {}),
    nodeId: raw.NodeID ?? '',
    state: raw.Status.State,
    desiredState: raw.DesiredState,
    message: raw.Status.Message ?? '',
    ...(raw.Status.Err ? { error: raw.Status.Err } : {}),
    ...(status?.ContainerID ? { containerId: status.ContainerID } : {}),
    ...(status?.ExitCode !== undefined ? { exitCode: status.ExitCode } : {}),
    image: raw.Spec?.ContainerSpec?.Image ?? '',
    addresses,
    updatedAt: raw.UpdatedAt,
  };
}
