import type Docker from 'dockerode';
import { isAbsent, unlessAbsent } from './absent.js';

export interface NetworkInfo {
  id: string;
  labels: Record<string, string>;
  internal: boolean;
  containers: string[];
  /** The Linux bridge interface of a bridge network. */
  bridge?: string;
}

/** A running container on a network, by the names Docker's DNS answers for it there. */
export interface NetworkMember {
  name: string;
  aliases: string[];
  address: string;
}

/** Networks: finding one by name and who is on it, creating and removing bridges, detaching a container. */
export interface NetworkClient {
  /** The network's labels, whether it is internal, the containers attached, and `bridge`: its Linux bridge interface (br-<first 12 of its id> unless named at creation). */
  networkByName(name: string): Promise<NetworkInfo | undefined>;
  /**
   * The running containers on `network` with the names Docker's DNS answers for them there (container name,
   * aliases such as a compose service name) and their IPv4 address on it; an absent network has none.
   */
  networkMembers(network: string): Promise<NetworkMember[]>;
  createNetwork(name: string, labels: Record<string, string>, options?: { internal: boolean }): Promise<void>;
  /** Detaches a container from a network (both by name or id); one not attached is fine. */
  disconnectNetwork(network: string, container: string): Promise<void>;
  removeNetwork(name: string): Promise<void>;
}

export function dockerNetworks(docker: Docker): NetworkClient {
  return {
    async networkByName(name) {
      const networks = await docker.listNetworks({ filters: { name: [name] } });
      const match = networks.find((network) => network.Name === name);
      if (!match) return undefined;
      const info = (await docker.getNetwork(match.Id).inspect()) as { Containers?: object; Internal?: boolean };
      const bridge = match.Driver === 'bridge' ? (match.Options?.['com.docker.network.bridge.name'] ?? `br-${match.Id.slice(0, 12)}`) : undefined;
      return {
        id: match.Id,
        labels: match.Labels ?? {},
        internal: info.Internal === true,
        containers: Object.keys(info.Containers ?? {}),
        ...(bridge ? { bridge } : {}),
      };
    },

    async networkMembers(network) {
      const info = (await unlessAbsent(docker.getNetwork(network).inspect())) as { Name?: string; Containers?: Record<string, unknown> } | undefined;
      if (!info) return [];
      const members: NetworkMember[] = [];
      for (const id of Object.keys(info.Containers ?? {})) {
        const container = await docker
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
    },

    async createNetwork(name, labels, options = { internal: false }) {
      await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: options.internal, Labels: labels });
    },

    async disconnectNetwork(network, container) {
      await docker
        .getNetwork(network)
        .disconnect({ Container: container, Force: true })
        .catch((error: { statusCode?: number; message?: string }) => {
          if (!isAbsent(error) && !/is not connected/i.test(error.message ?? '')) throw error;
        });
    },

    async removeNetwork(name) {
      await docker.getNetwork(name).remove();
    },
  };
}
