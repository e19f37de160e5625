import type { SwarmConfig } from '../config/schema.js';
import type { Engine } from '../docker/engine.js';
import type { SwarmNode } from '../docker/swarm.js';
import { StepFailed, UserError } from '../errors.js';

/** A node of the swarm with the engine mcpgw reaches it by (one of `swarm.nodes`). */
export interface ClusterNode {
  node: SwarmNode;
  url: string;
  engine: Engine;
}

/** The swarm as mcpgw.yaml names it, proven: a manager, and every node's engine matched to its node in the swarm. */
export interface Cluster {
  managerUrl: string;
  manager: Engine;
  /** The node the manager's engine runs on: where the stack's data lives unless a node already carries its label. */
  managerNode: SwarmNode;
  /** The nodes mcpgw reaches, each matched to its node in the swarm. */
  nodes: ClusterNode[];
  /**
   * Engines of swarm.nodes that did not answer, with why. Not an error by itself: a node that went away is Swarm's
   * to work around (its tasks move); what cannot be is a node that runs tasks and that no engine reaches.
   */
  unreachable: { url: string; reason: string }[];
}

/**
 * Connects to the manager and to every node, and checks that they are one swarm: the manager's engine manages it,
 * each listed engine is a node of it, and every node that can run a task is listed (Swarm does not move images
 * between nodes, so mcpgw must reach each one to put the stack's images there). All problems at once.
 */
export async function connectCluster(
  swarm: SwarmConfig,
  env: Readonly<Record<string, string | undefined>>,
  dockerAt: (url: string) => Promise<Engine>,
): Promise<Cluster> {
  const managerUrl = swarm.manager ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const manager = await reach(managerUrl, 'swarm.manager', dockerAt);
  const membership = await manager.swarm().membership();
  if (membership.state !== 'active' || !membership.manager) {
    throw new UserError(
      `the engine at ${managerUrl} (${membership.hostname}) is ${membership.state === 'active' ? 'a worker' : `in no swarm (${membership.state})`}, not a swarm manager`,
      membership.state === 'active'
        ? "set swarm.manager to a manager node's engine (`docker node ls` on a manager lists them)"
        : 'make it one: `docker swarm init --advertise-addr <its LAN address>`, then `docker swarm join` on the other nodes',
    );
  }
  const nodes = await manager.swarm().nodes();
  const managerNode = nodes.find((node) => node.id === membership.nodeId);
  if (!managerNode) throw new StepFailed(`the manager at ${managerUrl} does not list its own node ${membership.nodeId}`);

  const problems: string[] = [];
  const matched: ClusterNode[] = [];
  const unreachable: Cluster['unreachable'] = [];
  await Promise.all(
    swarm.nodes.map(async (url, index) => {
      const engine = await reach(url, `swarm.nodes[${index}]`, dockerAt).catch((error: Error) => {
        unreachable.push({ url, reason: error.message });
        return undefined;
      });
      if (!engine) return;
      const own = await engine.swarm().membership();
      const node = nodes.find((entry) => entry.id === own.nodeId);
      if (!node) problems.push(`swarm.nodes[${index}] ${url} (${own.hostname}) is not a node of the manager's swarm (${own.state})`);
      else matched.push({ node, url, engine });
    }),
  );
  const schedulable = nodes.filter((node) => node.availability === 'active' && node.state === 'ready');
  const unlisted = schedulable.filter((node) => !matched.some((entry) => entry.node.id === node.id));
  for (const node of unlisted) {
    problems.push(`node ${node.hostname} (${node.address}) runs tasks but no engine in swarm.nodes reaches it: its tasks could not find the stack's images`);
  }
  if (unlisted.length > 0) problems.push(...unreachable.map((entry) => entry.reason));
  if (problems.length > 0) {
    throw new UserError(
      `the swarm does not match mcpgw.yaml:\n  ${problems.join('\n  ')}`,
      "list every node's engine under swarm.nodes (tcp://node:2375 on a private network, or ssh://user@node), or drain a node mcpgw cannot reach: `docker node update --availability drain NODE`",
    );
  }
  matched.sort((a, b) => a.node.hostname.localeCompare(b.node.hostname));
  return { managerUrl, manager, managerNode, nodes: matched, unreachable };
}

async function reach(url: string, field: string, dockerAt: (url: string) => Promise<Engine>): Promise<Engine> {
  try {
    return await dockerAt(url);
  } catch (error) {
    throw new StepFailed(`${field}: ${(error as Error).message}`, `start that node's engine, or correct ${field} in mcpgw.yaml`);
  }
}

/** The engine of the node a task runs on. */
export function nodeEngine(cluster: Cluster, nodeId: string): ClusterNode | undefined {
  return cluster.nodes.find((entry) => entry.node.id === nodeId);
}
