import type { SwarmService, SwarmTask } from '../docker/swarm.js';
import type { Clock } from '../time/clock.js';
import { type Cluster, type ClusterNode, nodeEngine } from './cluster.js';
import { swarmServiceName, wantedTasks } from './converge.js';

/** A task's log as it is read: its container on its node's engine, named as `docker service logs` names it. */
export interface TaskLog {
  service: string;
  /** `<service>.<slot>.<task id>@<node>`, e.g. `litellm.2.kz9t3hdhf1rk@node2`. */
  source: string;
  node: ClusterNode;
  containerId: string;
}

/**
 * How long one task's log may take to arrive. Swarm's own `docker service logs` waits on every node that ever ran a
 * task; a node that went away holds it forever. Here each task is read on its node's engine, and one that does not
 * answer in time is skipped, named on stderr.
 */
export const TASK_LOG_TIMEOUT_MS = 15_000;

/**
 * The tasks a service's log is about now, as `status` shows them: those Swarm wants running (each replica), the
 * newest run of a job, and for a service with neither the newest task (the one whose log says why it ended).
 */
export function currentTasks(service: Pick<SwarmService, 'mode'>, tasks: SwarmTask[]): SwarmTask[] {
  const wanted = wantedTasks(service, tasks);
  return wanted.length > 0 ? wanted : tasks.slice(0, 1);
}

/** Swarm's truncated task id, as the docker CLI prints it. */
const shortId = (id: string) => id.slice(0, 12);

/**
 * Where each current task of `services` logs: its container on its node's engine. A task whose node mcpgw does not
 * reach (down, or not under swarm.nodes), or that has no container yet, is named in `skipped` with why.
 */
export async function taskLogs(cluster: Cluster, stack: string, services: string[]): Promise<{ logs: TaskLog[]; skipped: string[] }> {
  const nodes = await cluster.manager.swarm().nodes();
  const hostname = (id: string) => nodes.find((node) => node.id === id)?.hostname ?? shortId(id);
  const logs: TaskLog[] = [];
  const skipped: string[] = [];
  for (const service of services) {
    const name = swarmServiceName(stack, service);
    const spec = await cluster.manager.swarm().service(name);
    if (!spec) {
      skipped.push(`${service}: not deployed (no service ${name})`);
      continue;
    }
    const tasks = currentTasks(spec, await cluster.manager.swarm().tasks(name)).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
    for (const task of tasks) {
      const source = `${service}.${task.slot ?? shortId(task.nodeId)}.${shortId(task.id)}@${hostname(task.nodeId)}`;
      const node = nodeEngine(cluster, task.nodeId);
      if (!task.containerId) skipped.push(`${source}: no container (task ${task.state}: ${task.error ?? task.message})`);
      else if (!node) skipped.push(`${source}: its node's engine does not answer, or is not under swarm.nodes${unreachable(cluster)}`);
      else logs.push({ service, source, node, containerId: task.containerId });
    }
  }
  return { logs, skipped };
}

function unreachable(cluster: Cluster): string {
  return cluster.unreachable.length === 0 ? '' : ` (${cluster.unreachable.map((entry) => entry.reason).join('; ')})`;
}

export interface TaskLogRead {
  tail: number;
  since?: number;
  clock: Clock;
  timeoutMs?: number;
}

/** One task's recent log from its node's engine, or undefined when the engine did not answer within the deadline. */
export async function readTaskLog(log: TaskLog, read: TaskLogRead): Promise<string | undefined> {
  const cancel = new AbortController();
  const deadline = read.clock.sleep(read.timeoutMs ?? TASK_LOG_TIMEOUT_MS, cancel.signal).then(
    () => undefined,
    () => undefined,
  );
  try {
    return await Promise.race([log.node.engine.logs(log.containerId, read.tail, read.since), deadline]);
  } finally {
    cancel.abort();
  }
}
