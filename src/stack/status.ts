import type { ContainerSummary } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { SERVICE_LABEL, STACK_LABEL } from './labels.js';
import type { StackModel } from './model.js';

export interface ServiceStatus {
  service: string;
  container: string;
  /** On a swarm: the node its task runs on. */
  node?: string;
  state: string;
  health: string;
  image: string;
  ports: string[];
  uptimeSeconds?: number;
}

/** Each declared service as Docker sees it now; services never created show as "absent". */
export async function stackStatus(engine: Engine, model: StackModel, now: number): Promise<ServiceStatus[]> {
  const containers = await engine.listContainers([`${STACK_LABEL}=${model.name}`]);
  const statuses: ServiceStatus[] = [];
  for (const service of model.services) {
    const container = containers.find((candidate) => candidate.labels[SERVICE_LABEL] === service.name);
    if (!container) {
      statuses.push({ service: service.name, container: service.containerName, state: 'absent', health: '-', image: service.image, ports: [] });
      continue;
    }
    statuses.push(await containerStatus(engine, service.name, container, now));
  }
  return statuses;
}

/**
 * Every container labelled with the stack, as its labels name it: what runs when mcpgw.yaml cannot say what should
 * (it does not validate), so nothing declared can be reported absent.
 */
export async function labelledStatus(engine: Engine, stack: string, now: number): Promise<ServiceStatus[]> {
  const containers = await engine.listContainers([`${STACK_LABEL}=${stack}`]);
  const statuses = await Promise.all(containers.map((container) => containerStatus(engine, container.labels[SERVICE_LABEL] ?? container.name, container, now)));
  return statuses.sort((a, b) => a.service.localeCompare(b.service));
}

async function containerStatus(engine: Engine, service: string, container: ContainerSummary, now: number): Promise<ServiceStatus> {
  const state = await engine.containerState(container.id);
  const ports = await engine.publishedPorts(container.id);
  const started = state?.running && state.startedAt ? Date.parse(state.startedAt) : undefined;
  return {
    service,
    container: container.name,
    state: state?.status ?? container.state,
    health: state?.health ?? '-',
    image: container.image,
    ports: ports.map((port) => `${port.hostIp}:${port.hostPort}->${port.target}`),
    ...(started ? { uptimeSeconds: Math.max(0, Math.round((now - started) / 1000)) } : {}),
  };
}

export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
