import { Readable } from 'node:stream';
import type { ContainerConfig, ContainerDetails, ContainerHardening, ContainerState, ContainerSummary } from '../../src/docker/containers.js';
import type { Engine } from '../../src/docker/engine.js';
import type { SwarmClient } from '../../src/docker/swarm.js';

interface FakeContainer extends ContainerSummary {
  startedAt?: string;
  log?: string;
  ports?: { target: number; hostIp: string; hostPort: number }[];
}

/** What a test reaches that the fake does not model: a failure naming the method and how to give the fake one. */
function notFaked(fake: string, method: string): never {
  throw new Error(`${fake} does not fake ${method}(): a test that needs it passes one, new ${fake}({ ${method}: ... })`);
}

/**
 * A small in-memory container engine for the CLI tier: containers, networks, volumes and images as plain data,
 * and a record of what a command did to them. A method it does not model fails loudly, naming itself; a test
 * gives it one (or replaces a modelled one) through the constructor, or a subclass overrides it.
 */
export class FakeEngine implements Engine {
  constructor(methods: Partial<Engine> = {}) {
    Object.assign(this, methods);
  }

  readonly calls: string[] = [];
  containers: FakeContainer[] = [];
  networks = new Map<string, { labels: Record<string, string>; containers: string[]; internal?: boolean }>();
  volumes = new Map<string, Record<string, string>>();
  images = new Map<string, string>();
  /** How each container (by id) was created to run. */
  hardening = new Map<string, ContainerHardening>();
  /** What inspecting a container (by name) shows, for adopt; exec in one answers `execOutput`. */
  details = new Map<string, ContainerDetails>();
  execOutput = new Map<string, string>();
  /** Each network's running members as Docker's DNS names them. */
  members = new Map<string, { name: string; aliases: string[]; address: string }[]>();

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.find((entry) => entry.id === idOrName || entry.name === idOrName);
  }

  async containerNetworks(idOrName: string): Promise<string[] | undefined> {
    const container = this.find(idOrName);
    if (!container) return undefined;
    return [...this.networks].filter(([, network]) => network.containers.includes(container.id)).map(([name]) => name);
  }

  /** The hardening a test gave the container; nothing else of how it runs is modelled. */
  async containerConfig(idOrName: string): Promise<ContainerConfig | undefined> {
    const container = this.find(idOrName);
    const hardening = container && this.hardening.get(container.id);
    if (!container || !hardening) return undefined;
    return {
      ...hardening,
      imageId: '',
      env: [],
      labels: container.labels,
      ports: [],
      mounts: [],
      networks: (await this.containerNetworks(container.id)) ?? [],
    };
  }

  async listContainers(labelFilters: string[]): Promise<ContainerSummary[]> {
    const wanted = labelFilters.map((filter) => filter.split('=') as [string, string]);
    return this.containers.filter((container) => wanted.every(([key, value]) => container.labels[key] === value));
  }

  async containerState(id: string): Promise<ContainerState | undefined> {
    const container = this.containers.find((entry) => entry.id === id || entry.name === id);
    if (!container) return undefined;
    const running = container.state === 'running';
    return { running, restartCount: 0, status: container.state, exitCode: 0, ...(container.startedAt ? { startedAt: container.startedAt } : {}) };
  }

  async publishedPorts(id: string): Promise<{ target: number; hostIp: string; hostPort: number }[]> {
    return this.containers.find((entry) => entry.id === id)?.ports ?? [];
  }

  async stopContainer(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    const container = this.containers.find((entry) => entry.id === id);
    if (container) container.state = 'exited';
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.containers = this.containers.filter((entry) => entry.id !== id);
    // As Docker does: a removed container leaves its networks.
    for (const network of this.networks.values()) network.containers = network.containers.filter((member) => member !== id);
  }

  async logs(id: string): Promise<string> {
    return this.containers.find((entry) => entry.id === id)?.log ?? '';
  }

  async networkByName(name: string): Promise<{ id: string; labels: Record<string, string>; containers: string[]; internal: boolean } | undefined> {
    const network = this.networks.get(name);
    return network ? { id: `net-${name}`, internal: false, ...network } : undefined;
  }

  async removeNetwork(name: string): Promise<void> {
    this.calls.push(`remove network ${name}`);
    this.networks.delete(name);
  }

  async volumeExists(name: string): Promise<boolean> {
    return this.volumes.has(name);
  }

  async listVolumes(labelFilters: string[]): Promise<string[]> {
    const wanted = labelFilters.map((filter) => filter.split('=') as [string, string]);
    return [...this.volumes].filter(([, labels]) => wanted.every(([key, value]) => labels[key] === value)).map(([name]) => name);
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.push(`remove volume ${name}`);
    this.volumes.delete(name);
  }

  async imageId(image: string): Promise<string | undefined> {
    return this.images.get(image);
  }

  async containerDetails(idOrName: string): Promise<ContainerDetails | undefined> {
    return this.details.get(idOrName) ?? [...this.details.values()].find((details) => details.id === idOrName);
  }

  async exec(id: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
    this.calls.push(`exec ${id} ${cmd[0]}`);
    const output = this.execOutput.get(id);
    return output === undefined ? { exitCode: 127, output: 'not found' } : { exitCode: 0, output };
  }

  async containerAddress(name: string, network: string): Promise<string | undefined> {
    return this.members.get(network)?.find((member) => member.name === name)?.address;
  }

  async networkMembers(network: string): Promise<{ name: string; aliases: string[]; address: string }[]> {
    return this.members.get(network) ?? [];
  }

  async imageLabels(): Promise<Record<string, string> | undefined> {
    return {};
  }

  /** `docker save` here: the image's name and id as JSON, padded to `saveBytes` and sent in 64 KiB chunks. */
  saveBytes = 1 << 20;

  async saveImage(image: string): Promise<Readable> {
    this.calls.push(`save ${image}`);
    const id = this.images.get(image);
    if (!id) throw new Error(`No such image: ${image}`);
    const tar = Buffer.alloc(this.saveBytes, ' ');
    tar.write(JSON.stringify({ image, id }));
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < tar.length; offset += 65536) chunks.push(tar.subarray(offset, offset + 65536));
    return Readable.from(chunks, { objectMode: false });
  }

  /** Set to refuse every `docker load` with this message, before reading anything (a full disk, a daemon error). */
  loadError?: string;

  /** `docker load` here: reads the whole archive, then the image it names is present with its id. */
  async loadImage(tar: Readable): Promise<void> {
    if (this.loadError) throw new Error(this.loadError);
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(chunk as Buffer);
    const { image, id } = JSON.parse(Buffer.concat(chunks).toString('utf8').trim()) as { image: string; id: string };
    this.calls.push(`load ${image}`);
    this.images.set(image, id);
  }

  // What no test has needed yet: each fails naming itself.
  async containerGateways(..._: Parameters<Engine['containerGateways']>): ReturnType<Engine['containerGateways']> {
    return notFaked('FakeEngine', 'containerGateways');
  }
  async createContainer(..._: Parameters<Engine['createContainer']>): ReturnType<Engine['createContainer']> {
    return notFaked('FakeEngine', 'createContainer');
  }
  async startContainer(..._: Parameters<Engine['startContainer']>): ReturnType<Engine['startContainer']> {
    return notFaked('FakeEngine', 'startContainer');
  }
  async renameContainer(..._: Parameters<Engine['renameContainer']>): ReturnType<Engine['renameContainer']> {
    return notFaked('FakeEngine', 'renameContainer');
  }
  async runOnce(..._: Parameters<Engine['runOnce']>): ReturnType<Engine['runOnce']> {
    return notFaked('FakeEngine', 'runOnce');
  }
  async followLogs(..._: Parameters<Engine['followLogs']>): ReturnType<Engine['followLogs']> {
    return notFaked('FakeEngine', 'followLogs');
  }
  async execStreaming(..._: Parameters<Engine['execStreaming']>): ReturnType<Engine['execStreaming']> {
    return notFaked('FakeEngine', 'execStreaming');
  }
  async imageLaunch(..._: Parameters<Engine['imageLaunch']>): ReturnType<Engine['imageLaunch']> {
    return notFaked('FakeEngine', 'imageLaunch');
  }
  async pullImage(..._: Parameters<Engine['pullImage']>): ReturnType<Engine['pullImage']> {
    return notFaked('FakeEngine', 'pullImage');
  }
  async buildImage(..._: Parameters<Engine['buildImage']>): ReturnType<Engine['buildImage']> {
    return notFaked('FakeEngine', 'buildImage');
  }
  async importImage(..._: Parameters<Engine['importImage']>): ReturnType<Engine['importImage']> {
    return notFaked('FakeEngine', 'importImage');
  }
  async removeImageIfUnused(..._: Parameters<Engine['removeImageIfUnused']>): ReturnType<Engine['removeImageIfUnused']> {
    return notFaked('FakeEngine', 'removeImageIfUnused');
  }
  async createNetwork(..._: Parameters<Engine['createNetwork']>): ReturnType<Engine['createNetwork']> {
    return notFaked('FakeEngine', 'createNetwork');
  }
  async disconnectNetwork(..._: Parameters<Engine['disconnectNetwork']>): ReturnType<Engine['disconnectNetwork']> {
    return notFaked('FakeEngine', 'disconnectNetwork');
  }
  async createVolume(..._: Parameters<Engine['createVolume']>): ReturnType<Engine['createVolume']> {
    return notFaked('FakeEngine', 'createVolume');
  }
  swarm(): SwarmClient {
    return notFaked('FakeEngine', 'swarm');
  }
}

/** A swarm for the unit and CLI tiers: every method fails naming itself unless the test gives it one. */
export class FakeSwarm implements SwarmClient {
  constructor(methods: Partial<SwarmClient> = {}) {
    Object.assign(this, methods);
  }
  async membership(..._: Parameters<SwarmClient['membership']>): ReturnType<SwarmClient['membership']> {
    return notFaked('FakeSwarm', 'membership');
  }
  async nodes(..._: Parameters<SwarmClient['nodes']>): ReturnType<SwarmClient['nodes']> {
    return notFaked('FakeSwarm', 'nodes');
  }
  async labelNode(..._: Parameters<SwarmClient['labelNode']>): ReturnType<SwarmClient['labelNode']> {
    return notFaked('FakeSwarm', 'labelNode');
  }
  async unlabelNode(..._: Parameters<SwarmClient['unlabelNode']>): ReturnType<SwarmClient['unlabelNode']> {
    return notFaked('FakeSwarm', 'unlabelNode');
  }
  async services(..._: Parameters<SwarmClient['services']>): ReturnType<SwarmClient['services']> {
    return notFaked('FakeSwarm', 'services');
  }
  async service(..._: Parameters<SwarmClient['service']>): ReturnType<SwarmClient['service']> {
    return notFaked('FakeSwarm', 'service');
  }
  async tasks(..._: Parameters<SwarmClient['tasks']>): ReturnType<SwarmClient['tasks']> {
    return notFaked('FakeSwarm', 'tasks');
  }
  async scale(..._: Parameters<SwarmClient['scale']>): ReturnType<SwarmClient['scale']> {
    return notFaked('FakeSwarm', 'scale');
  }
  async removeService(..._: Parameters<SwarmClient['removeService']>): ReturnType<SwarmClient['removeService']> {
    return notFaked('FakeSwarm', 'removeService');
  }
}
