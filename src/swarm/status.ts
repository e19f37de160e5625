import type { ServiceStatus } from '../stack/status.js';
import { type Cluster, nodeEngine } from './cluster.js';
import { swarmServiceName, wantedTasks } from './converge.js';

/**
 * Each service of the stack file as Swarm runs it now: one line per task it wants running (each LiteLLM replica
 * with its node), Docker's health of its container read on that node's engine; a service with no such task shows
 * once, as "absent" (never deployed) or with the state of its newest task and Swarm's reason. A job shows its
 * newest run.
 */
export async function swarmStatus(cluster: Cluster, stack: string, services: string[], now: number): Promise<ServiceStatus[]> {
  const statuses = await Promise.all(services.map((service) => serviceStatus(cluster, stack, service, now)));
  return statuses.flat();
}

async function serviceStatus(cluster: Cluster, stack: string, service: string, now: number): Promise<ServiceStatus[]> {
  const name = swarmServiceName(stack, service);
  const spec = await cluster.manager.swarm().service(name);
  if (!spec) return [{ service, container: name, state: 'absent', health: '-', image: '-', ports: [] }];
  const tasks = await cluster.manager.swarm().tasks(name);
  const job = spec.mode === 'replicated-job' || spec.mode === 'global-job';
  const shown = wantedTasks(spec, tasks);
  if (shown.length === 0) {
    const newest = tasks[0];
    return [
      {
        service,
        container: name,
        state: newest ? `${newest.state}: ${newest.error ?? newest.message}` : 'no task',
        health: '-',
        image: spec.image.split('@')[0] ?? spec.image,
        ports: [],
      },
    ];
  }
  return Promise.all(
    shown
      .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0))
      .map(async (task) => {
        const node = nodeEngine(cluster, task.nodeId);
        const state =
          node && task.containerId && task.state === 'running' ? await node.engine.containerState(task.containerId).catch(() => undefined) : undefined;
        const ports = node && task.containerId && task.state === 'running' ? await node.engine.publishedPorts(task.containerId).catch(() => []) : [];
        const started = state?.running && state.startedAt ? Date.parse(state.startedAt) : undefined;
        return {
          service,
          container: `${name}.${task.slot ?? task.nodeId.slice(0, 12)}`,
          node: node?.node.hostname ?? task.nodeId,
          state: task.state === 'running' || job ? task.state : `${task.state}: ${task.error ?? task.message}`,
          health: state?.health ?? '-',
          image: task.image.split('@')[0] ?? task.image,
          ports: ports.map((port) => `${node?.node.address ?? port.hostIp}:${port.hostPort}->${port.target}`),
          ...(started ? { uptimeSeconds: Math.max(0, Math.round((now - started) / 1000)) } : {}),
        };
      }),
  );
}
