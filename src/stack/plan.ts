import type { ContainerSummary } from '../docker/engine.js';
import { CONFIG_HASH_LABEL, SERVICE_LABEL } from './labels.js';
import type { ServiceModel } from './model.js';

export type ServiceAction = 'create' | 'recreate' | 'start' | 'keep';

export interface ServicePlan {
  service: ServiceModel;
  action: ServiceAction;
  hash: string;
  /** The existing container, when there is one. */
  existingId?: string;
  reason: string;
}

export interface StackPlan {
  networks: { name: string; action: 'create' | 'keep' | 'missing-external' }[];
  volumes: { name: string; action: 'create' | 'keep' }[];
  services: ServicePlan[];
  orphans: ContainerSummary[];
  /** Containers that hold one of our names but are not labelled as ours: never touched, always reported. */
  conflicts: ContainerSummary[];
}

export interface ActualState {
  /** Containers labelled with this stack. */
  containers: ContainerSummary[];
  /** Containers with one of the desired names that are not labelled with this stack. */
  foreign: ContainerSummary[];
  networks: Set<string>;
  volumes: Set<string>;
}

/** Desired (model + hashes) against actual (labelled objects): what `up` must do. Pure, so `--dry-run` shows it. */
export function planStack(
  desired: { service: ServiceModel; hash: string }[],
  networks: { name: string; external: boolean }[],
  volumes: string[],
  actual: ActualState,
): StackPlan {
  const byService = new Map(actual.containers.map((container) => [container.labels[SERVICE_LABEL] ?? '', container]));
  const services = desired.map(({ service, hash }): ServicePlan => {
    const existing = byService.get(service.name);
    if (!existing) return { service, hash, action: 'create', reason: 'not created yet' };
    const base = { service, hash, existingId: existing.id };
    if (existing.labels[CONFIG_HASH_LABEL] !== hash) return { ...base, action: 'recreate', reason: 'configuration or image changed' };
    if (existing.state !== 'running') return { ...base, action: 'start', reason: `container is ${existing.state}` };
    return { ...base, action: 'keep', reason: 'up to date and running' };
  });
  const wanted = new Set(desired.map(({ service }) => service.name));
  return {
    networks: networks.map((network) => ({
      name: network.name,
      action: actual.networks.has(network.name) ? 'keep' : network.external ? 'missing-external' : 'create',
    })),
    volumes: volumes.map((name) => ({ name, action: actual.volumes.has(name) ? 'keep' : 'create' })),
    services,
    orphans: actual.containers.filter((container) => !wanted.has(container.labels[SERVICE_LABEL] ?? '')),
    conflicts: actual.foreign,
  };
}

export function planIsNoop(plan: StackPlan): boolean {
  return (
    plan.networks.every((network) => network.action === 'keep') &&
    plan.volumes.every((volume) => volume.action === 'keep') &&
    plan.services.every((service) => service.action === 'keep') &&
    plan.orphans.length === 0
  );
}
