import type { ContainerHardening, ContainerSummary } from '../docker/containers.js';
import type { NetworkInfo } from '../docker/networks.js';
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
  /** How each of our containers runs, by id (a container created before mcpgw hardened them lacks it). */
  hardening: Map<string, ContainerHardening>;
  /**
   * The networks each of our containers is on now, by id. Attachments change after creation (`docker network
   * connect`/`disconnect`, an engine restart losing one), so they are compared as they are, not through the hash.
   */
  attached: Map<string, string[]>;
}

/** The name an upgrade gives the LiteLLM container it replaced, until down or the next upgrade removes it. */
export const PREVIOUS_SUFFIX = '-previous';

export function isPreviousContainer(name: string): boolean {
  return name.endsWith(PREVIOUS_SUFFIX);
}

/** Desired (model + hashes) against actual (labelled objects): what `up` must do. Pure, so `--dry-run` shows it. */
export function planStack(desired: { service: ServiceModel; hash: string }[], networks: NetworkModel[], volumes: string[], actual: ActualState): StackPlan {
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
  const services = desired.map(({ service, hash }): ServicePlan => {
    const existing = byService.get(service.name);
    if (!existing) return { service, hash, action: 'create', reason: 'not created yet' };
    const base = { service, hash, existingId: existing.id };
    if (existing.labels[CONFIG_HASH_LABEL] !== hash) return { ...base, action: 'recreate', reason: 'configuration or image changed' };
    const gaps = hardeningGaps(service, actual.hardening.get(existing.id) ?? { user: '', capDrop: [], capAdd: [], securityOpt: [] });
    if (gaps.length > 0) return { ...base, action: 'recreate', reason: `lacks its hardening: ${gaps.join('; ')}` };
    const replaced = service.networks.filter((name) => remade.has(name));
    if (replaced.length > 0) return { ...base, action: 'recreate', reason: `its network ${replaced.join(', ')} is made again` };
    const drift = attachmentDrift(service.networks, actual.attached.get(existing.id));
    if (drift) return { ...base, action: 'recreate', reason: drift };
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

/** How a container's networks differ from its service's, in words; undefined when they are the same. */
function attachmentDrift(wanted: string[], on: string[] | undefined): string | undefined {
  if (on === undefined) return undefined;
  const missing = wanted.filter((name) => !on.includes(name));
  const extra = on.filter((name) => !wanted.includes(name));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts = [...(missing.length ? [`not on ${missing.join(', ')}`] : []), ...(extra.length ? [`also on ${extra.join(', ')}`] : [])];
  return `${parts.join(', ')}: its networks were changed after it was created`;
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
