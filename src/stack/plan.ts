import type { ContainerConfig, ContainerSpec, ContainerSummary } from '../docker/containers.js';
import type { NetworkInfo } from '../docker/networks.js';
import { runDrift } from './drift.js';
import { hardeningGaps } from './hardening.js';
import { CONFIG_HASH_LABEL, SERVICE_LABEL } from './labels.js';
import type { NetworkModel, ServiceModel } from './model.js';

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
  /** recreate: it exists without `internal` as desired, so it is removed (its containers detached) and made again. */
  networks: { name: string; action: 'create' | 'recreate' | 'keep' | 'missing-external' }[];
  volumes: { name: string; action: 'create' | 'keep' }[];
  services: ServicePlan[];
  orphans: ContainerSummary[];
  /** Containers that hold one of our names but are not labelled as ours: never touched, always reported. */
  conflicts: ContainerSummary[];
  /** Networks of this stack the model no longer uses (the old shared MCP network), removed once nothing is on them. */
  retired: string[];
}

export interface ActualState {
  /** Containers labelled with this stack. */
  containers: ContainerSummary[];
  /** Containers with one of the desired names that are not labelled with this stack. */
  foreign: ContainerSummary[];
  networks: Map<string, Pick<NetworkInfo, 'internal'>>;
  volumes: Set<string>;
  /** The model's retired networks that exist and carry this stack's label. */
  retired: string[];
  /**
   * How each of our containers was created to run and the networks it is on now, by id, as the engine reports them.
   * Compared with the spec as they are, not through the hash: attachments change after creation (`docker network
   * connect`/`disconnect`, an engine restart losing one), and a container made again by hand keeps the labels it
   * copied whatever else it changed.
   */
  configs: Map<string, ContainerConfig>;
}

/** A service as `up` would create its container now: the spec, the id of its image here (when present), their hash. */
export interface DesiredContainer {
  service: ServiceModel;
  spec: ContainerSpec;
  imageId?: string;
  hash: string;
}

/** The name an upgrade gives the LiteLLM container it replaced, until down or the next upgrade removes it. */
export const PREVIOUS_SUFFIX = '-previous';

export function isPreviousContainer(name: string): boolean {
  return name.endsWith(PREVIOUS_SUFFIX);
}

/** Desired (model + hashes) against actual (labelled objects): what `up` must do. Pure, so `--dry-run` shows it. */
export function planStack(desired: DesiredContainer[], networks: NetworkModel[], volumes: string[], actual: ActualState): StackPlan {
  const networkPlan = networks.map((network) => {
    const found = actual.networks.get(network.name);
    const action: StackPlan['networks'][number]['action'] = !found
      ? network.external
        ? 'missing-external'
        : 'create'
      : !network.external && found.internal !== network.internal
        ? 'recreate'
        : 'keep';
    return { name: network.name, action };
  });
  const remade = new Set(networkPlan.filter((network) => network.action === 'recreate').map((network) => network.name));
  // The LiteLLM container an upgrade replaced is kept, stopped, as `<name>-previous` for its rollback: not the
  // service's container and not an orphan (down removes it, or the next upgrade's cut-over).
  const current = actual.containers.filter((container) => !isPreviousContainer(container.name));
  const byService = new Map(current.map((container) => [container.labels[SERVICE_LABEL] ?? '', container]));
  const services = desired.map(({ service, spec, imageId, hash }): ServicePlan => {
    const existing = byService.get(service.name);
    if (!existing) return { service, hash, action: 'create', reason: 'not created yet' };
    const base = { service, hash, existingId: existing.id };
    if (existing.labels[CONFIG_HASH_LABEL] !== hash) return { ...base, action: 'recreate', reason: 'configuration or image changed' };
    const config = actual.configs.get(existing.id);
    // Gone between the listing and the inspection: whatever it was, it is made again.
    if (!config) return { ...base, action: 'recreate', reason: 'it could not be inspected' };
    const gaps = hardeningGaps(service, config);
    if (gaps.length > 0) return { ...base, action: 'recreate', reason: `lacks its hardening: ${gaps.join('; ')}` };
    const replaced = service.networks.filter((name) => remade.has(name));
    if (replaced.length > 0) return { ...base, action: 'recreate', reason: `its network ${replaced.join(', ')} is made again` };
    const drift = runDrift(spec, imageId, config);
    if (drift.length > 0) return { ...base, action: 'recreate', reason: drift.join('; ') };
    if (existing.state !== 'running') return { ...base, action: 'start', reason: `container is ${existing.state}` };
    return { ...base, action: 'keep', reason: 'up to date and running' };
  });
  const wanted = new Set(desired.map(({ service }) => service.name));
  return {
    networks: networkPlan,
    volumes: volumes.map((name) => ({ name, action: actual.volumes.has(name) ? 'keep' : 'create' })),
    services,
    orphans: current.filter((container) => !wanted.has(container.labels[SERVICE_LABEL] ?? '')),
    conflicts: actual.foreign,
    retired: actual.retired,
  };
}

export function planIsNoop(plan: StackPlan): boolean {
  return (
    plan.networks.every((network) => network.action === 'keep') &&
    plan.volumes.every((volume) => volume.action === 'keep') &&
    plan.services.every((service) => service.action === 'keep') &&
    plan.orphans.length === 0 &&
    plan.retired.length === 0
  );
}
