// A real 3-node Docker Swarm for the integration tier: each node is a container of the test image
// test/stack/images/swarm-node (Debian's dockerd) on a private bridge network of its own, following the measured
// recipe in shared/reference/swarm-here.md (no --privileged here: every capability but SYS_RESOURCE, cgroups rw).
// The nodes start in parallel; readiness is the engine's ping and `docker node ls` showing every node Ready.
import type Docker from 'dockerode';
import Dockerode from 'dockerode';
import { dockerClient, OWNER_LABEL, removeLabelled, runId, testLabels } from '../stack/stack.js';
import { WaitAborted, waitUntil } from '../../src/time/wait.js';
import { demuxLogs } from '../../src/docker/logs.js';

/** Marks the node containers of a swarm, so a test file can find the run's swarm another file started. */
export const SWARM_LABEL = 'io.mcpgw.test.swarm';
/** The node's dockerd API, without TLS: reachable from this machine and the bridge only, never published. */
const API_PORT = 2375;
/** Node N's address on the test bridge is <subnet>.1N; the gateway is .1. */
const NODE_HOST_OFFSET = 10;

export interface SwarmNode {
  /** The node's hostname, which is its name in `docker node ls` (node1, node2, …). */
  name: string;
  /** The container that is the node. */
  container: string;
  /** Its address on the test bridge (fixed, so a node that is stopped and started keeps it). */
  ip: string;
  /** Its engine as DOCKER_HOST takes it: tcp://<ip>:2375. */
  url: string;
}

export interface TestSwarm {
  /** The manager's engine URL (node1). */
  managerUrl: string;
  nodes: SwarmNode[];
  /** The bridge network the nodes are on. */
  network: string;
  /** How long building this swarm took (0 when an existing swarm of this run was reused). */
  startMs: number;
  /** The node's engine through dockerode (swarm services, tasks, images). */
  engine(node: SwarmNode): Docker;
  /**
   * Stops the node's container (its dockerd and every task on it), as a machine that goes away: SIGTERM, then
   * SIGKILL after `graceSeconds` (default 10; 0 kills at once, as a power cut).
   */
  stopNode(name: string, graceSeconds?: number): Promise<void>;
  /** Starts it again and waits until its engine answers and the manager sees it Ready. */
  startNode(name: string): Promise<void>;
  /** Removes the node containers with their volumes, and the network. */
  teardown(): Promise<void>;
}

export interface SwarmOptions {
  /** The swarm node image (the manifest's images.swarmNode). */
  image: string;
  /** The run's owner (inject('mcpgwStack').owner): the global teardown removes what carries it. */
  owner: string;
  size?: number;
  timeoutMs?: number;
  /** More dockerd flags for every node (e.g. --insecure-registry=198.18.0.0/15 for a registry on the test bridge). */
  daemonArgs?: string[];
}

/**
 * The swarm of this test run: the one another test file already started (same owner), else a new one. One swarm
 * serves every swarm test file of a run (images loaded on its nodes stay there); the global teardown removes it
 * with the run's other objects, so files leave it as they found it (their stacks removed, every node started). The
 * file that starts it sets its size and daemonArgs; a later file's are not compared.
 */
export async function sharedSwarm(options: SwarmOptions): Promise<TestSwarm> {
  const docker = dockerClient();
  const found = await docker.listContainers({ all: true, filters: { label: [`${SWARM_LABEL}`, `${OWNER_LABEL}=${options.owner}`] } });
  const runs = new Set(found.map((container) => container.Labels[SWARM_LABEL] as string));
  const size = options.size ?? 3;
  for (const run of runs) {
    const members = found.filter((container) => container.Labels[SWARM_LABEL] === run);
    if (members.length !== size) continue;
    const swarm = describeSwarm(docker, run, members);
    for (const node of swarm.nodes) await swarm.startNode(node.name);
    return swarm;
  }
  return startSwarm(options);
}

/** A new swarm of `size` nodes (default 3): node1 is the manager, the others join as workers. */
export async function startSwarm(options: SwarmOptions): Promise<TestSwarm> {
  const started = Date.now();
  const docker = dockerClient();
  const run = `sw${runId()}`;
  const size = options.size ?? 3;
  const labels = testLabels(run, { [SWARM_LABEL]: run }, options.owner);
  const network = `mcpgwt-${run}-net`;
  const subnet = await createBridge(docker, network, labels);
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const nodes = await Promise.all(
      Array.from({ length: size }, async (_, index) => {
        const n = index + 1;
        const node = nodeAt(run, subnet, n);
        await createNode(docker, options.image, node, n, network, labels, options.daemonArgs ?? []);
        await waitForEngine(docker, node, timeoutMs);
        return node;
      }),
    );
    const swarm = describeSwarmNodes(docker, run, network, nodes);
    await formSwarm(swarm, timeoutMs);
    return { ...swarm, startMs: Date.now() - started };
  } catch (error) {
    if (process.env.MCPGW_TEST_KEEP !== '1') await removeLabelled(docker, `${SWARM_LABEL}=${run}`);
    throw error;
  }
}

function nodeAt(run: string, subnet: string, n: number): SwarmNode {
  const ip = `${subnet}.${NODE_HOST_OFFSET + n}`;
  return { name: `node${n}`, container: `mcpgwt-${run}-node${n}`, ip, url: `tcp://${ip}:${API_PORT}` };
}

/**
 * The bridge with a subnet of its own: fixed node addresses need a configured subnet. A private 10.210–249.x.0/24,
 * as a LAN's nodes have (mcpgw's LAN-only rules judge the front door's address), clear of Docker's default pools,
 * the nodes' own pools (10.9N, 10.10N) and the swarm's overlays (10.200.0.0/16).
 */
async function createBridge(docker: Docker, name: string, labels: Record<string, string>): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const subnet = `10.${210 + Math.floor(Math.random() * 40)}.${Math.floor(Math.random() * 256)}`;
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: `${subnet}.0/24`, Gateway: `${subnet}.1` }] },
      });
      return subnet;
    } catch (error) {
      // Another run's swarm may hold that subnet: try another.
      if (!/overlap/i.test((error as Error).message)) throw error;
      lastError = error;
    }
  }
  throw new Error(`no free 10.210-249.x.0/24 subnet for ${name}: ${(lastError as Error).message}`);
}

async function createNode(
  docker: Docker,
  image: string,
  node: SwarmNode,
  n: number,
  network: string,
  labels: Record<string, string>,
  daemonArgs: string[],
): Promise<void> {
  const container = await docker.createContainer({
    name: node.container,
    Hostname: node.name,
    Image: image,
    Labels: labels,
    // Distinct bridge and pools per node keep clear of the host's docker0; the cgroup parent keeps each node's
    // containers apart in the host's cgroup tree.
    Cmd: [`--bip=10.9${n}.0.1/24`, `--default-address-pool=base=10.10${n}.0.0/16,size=24`, `--cgroup-parent=/${node.container}`, ...daemonArgs],
    HostConfig: {
      NetworkMode: network,
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      // What the CLI's `--security-opt systempaths=unconfined` sends: nothing under /proc or /sys masked or read-only.
      MaskedPaths: [],
      ReadonlyPaths: [],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      // /run empty at every start, as on a machine that boots: a dockerd stopped by SIGKILL (its containers outlived
      // the stop timeout) leaves docker.pid there, and the next dockerd would refuse to start.
      Tmpfs: { '/run': '' },
      // The node's /var/lib/docker, labelled so it is the test's; removed with the container.
      Mounts: [
        {
          Type: 'volume',
          Source: '',
          Target: '/var/lib/docker',
          VolumeOptions: { Labels: labels, NoCopy: false, DriverConfig: { Name: 'local', Options: {} } },
        },
      ],
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: node.ip } } } },
  });
  await container.start();
}

function nodeEngine(node: SwarmNode): Docker {
  return new Dockerode({ host: node.ip, port: API_PORT, protocol: 'http' });
}

async function containerLogs(docker: Docker, name: string): Promise<string> {
  const buffer = (await docker
    .getContainer(name)
    .logs({ stdout: true, stderr: true, tail: 30, follow: false })
    .catch((error: Error) => Buffer.from(`(no logs: ${error.message})`))) as unknown as Buffer;
  return demuxLogs(buffer);
}

/** Until the node's dockerd answers its ping; a node container that exits fails at once with its log. */
async function waitForEngine(docker: Docker, node: SwarmNode, timeoutMs: number): Promise<void> {
  const engine = nodeEngine(node);
  try {
    await waitUntil(
      `${node.container}: dockerd answering on ${node.url}`,
      async () => {
        const state = (await docker.getContainer(node.container).inspect()).State;
        if (!state.Running) throw new WaitAborted(`the node container exited (exit code ${state.ExitCode})`);
        await engine.ping();
        return true;
      },
      { timeoutMs },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- last log lines of ${node.container} ---\n${await containerLogs(docker, node.container)}`, {
      cause: error,
    });
  }
}

/** swarm init on node1, every other node joins as a worker, then until `docker node ls` shows them all Ready. */
async function formSwarm(swarm: Omit<TestSwarm, 'startMs'>, timeoutMs: number): Promise<void> {
  const [manager, ...workers] = swarm.nodes as [SwarmNode, ...SwarmNode[]];
  const managerEngine = swarm.engine(manager);
  // Overlay subnets from a pool of their own, clear of the nodes' bridges (10.9N) and local pools (10.10N).
  await managerEngine.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: manager.ip, DefaultAddrPool: ['10.200.0.0/16'], SubnetSize: 24 });
  const token = ((await managerEngine.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
  await Promise.all(
    workers.map((worker) =>
      swarm.engine(worker).swarmJoin({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: worker.ip, RemoteAddrs: [`${manager.ip}:2377`], JoinToken: token }),
    ),
  );
  await waitForReady(swarm, swarm.nodes, timeoutMs);
}

/**
 * Until each of `nodes` is an active swarm member by its own account and the manager lists it Ready (right after a
 * restart the manager may still show the node's previous session as Ready: the node's own state says it rejoined).
 */
async function waitForReady(swarm: Omit<TestSwarm, 'startMs'>, nodes: SwarmNode[], timeoutMs: number): Promise<void> {
  const manager = swarm.engine(swarm.nodes[0] as SwarmNode);
  await waitUntil(
    `swarm nodes ${nodes.map((node) => node.name).join(', ')} Ready`,
    async () => {
      for (const node of nodes) {
        const state = ((await swarm.engine(node).info()) as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState;
        if (state !== 'active') throw new Error(`${node.name}: swarm state ${state}`);
      }
      const listed = (await manager.listNodes()) as { Description?: { Hostname?: string }; Status?: { State?: string; Addr?: string } }[];
      const missing = nodes.filter((node) => !listed.some((entry) => entry.Description?.Hostname === node.name && entry.Status?.State === 'ready'));
      if (missing.length === 0) return true;
      throw new Error(
        `not Ready: ${missing.map((node) => node.name).join(', ')} (listed: ${listed.map((entry) => `${entry.Description?.Hostname}=${entry.Status?.State}`).join(', ')})`,
      );
    },
    { timeoutMs },
  );
}

function describeSwarm(docker: Docker, run: string, members: Docker.ContainerInfo[]): TestSwarm {
  const network = `mcpgwt-${run}-net`;
  const nodes = members
    .map((container) => {
      const name = (container.Names[0] ?? '').replace(/^\//, '');
      const n = Number(/-node(\d+)$/.exec(name)?.[1]);
      const ip = container.NetworkSettings?.Networks?.[network]?.IPAMConfig?.IPv4Address ?? '';
      return { n, node: { name: `node${n}`, container: name, ip, url: `tcp://${ip}:${API_PORT}` } };
    })
    .sort((a, b) => a.n - b.n)
    .map((entry) => entry.node);
  return describeSwarmNodes(docker, run, network, nodes);
}

function describeSwarmNodes(docker: Docker, run: string, network: string, nodes: SwarmNode[]): TestSwarm {
  const byName = (name: string): SwarmNode => {
    const node = nodes.find((entry) => entry.name === name);
    if (!node) throw new Error(`no swarm node ${name} (nodes: ${nodes.map((entry) => entry.name).join(', ')})`);
    return node;
  };
  const swarm: TestSwarm = {
    managerUrl: (nodes[0] as SwarmNode).url,
    nodes,
    network,
    startMs: 0,
    engine: nodeEngine,
    async stopNode(name, graceSeconds = 10) {
      await docker
        .getContainer(byName(name).container)
        .stop({ t: graceSeconds })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 304) throw error;
        });
    },
    async startNode(name) {
      const node = byName(name);
      await docker
        .getContainer(node.container)
        .start()
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 304) throw error;
        });
      await waitForEngine(docker, node, 60_000);
      await waitForReady(swarm, [node], 60_000);
    },
    teardown: async () => {
      await removeLabelled(docker, `${SWARM_LABEL}=${run}`);
    },
  };
  return swarm;
}
