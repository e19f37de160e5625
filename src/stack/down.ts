import type { ContainerSummary } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { SERVICE_LABEL, STACK_LABEL } from './labels.js';
import { LITELLM_SERVICE, type StackModel } from './model.js';

export interface DownReport {
  removedContainers: string[];
  removedNetworks: string[];
  keptNetworks: { name: string; reason: string }[];
  removedVolumes: string[];
}

/**
 * Removes what mcpgw created for this stack, found by label: containers, then networks nobody else uses, then
 * (only when asked) volumes. Foreign containers and shared external networks are never touched.
 */
export async function stackDown(engine: Engine, model: StackModel, options: { volumes: boolean }): Promise<DownReport> {
  const report: DownReport = { removedContainers: [], removedNetworks: [], keptNetworks: [], removedVolumes: [] };
  const dependents = new Set(model.services.filter((service) => service.dependsOn.length > 0).map((service) => service.containerName));
  // A server dropped from mcpgw.yaml since the last `up` still runs, on a network the model no longer names.
  const joined = await joinedNetworks(engine, model.name);
  report.removedContainers = await removeContainers(engine, model.name, (container) => dependents.has(container.name));
  for (const network of model.networks) await removeNetwork(engine, model.name, network, report, true);
  // A retired network, or one a container joined, that someone else owns is none of this stack's business.
  const named = new Set(model.networks.map((network) => network.name));
  for (const name of new Set([...model.retiredNetworks, ...joined])) {
    if (!named.has(name)) await removeNetwork(engine, model.name, { name, external: false }, report, false);
  }
  if (options.volumes) report.removedVolumes = await removeVolumes(engine, model.name);
  return report;
}

/**
 * `down` when mcpgw.yaml does not validate, from the labels alone: the stack's containers (LiteLLM first, as
 * compose would), then each network they were on that carries the stack's label and nothing else uses, then (only
 * when asked) the stack's volumes.
 */
export async function labelledDown(engine: Engine, stack: string, options: { volumes: boolean }): Promise<DownReport> {
  const report: DownReport = { removedContainers: [], removedNetworks: [], keptNetworks: [], removedVolumes: [] };
  const networks = await joinedNetworks(engine, stack);
  report.removedContainers = await removeContainers(engine, stack, (container) => container.labels[SERVICE_LABEL] === LITELLM_SERVICE);
  // A network of another owner that a container joined (`networks:`) is not reported: nothing says it is this stack's.
  for (const name of [...networks].sort()) await removeNetwork(engine, stack, { name, external: false }, report, false);
  if (options.volumes) report.removedVolumes = await removeVolumes(engine, stack);
  return report;
}

/** The networks the stack's containers are on now. */
async function joinedNetworks(engine: Engine, stack: string): Promise<Set<string>> {
  const networks = new Set<string>();
  for (const container of await engine.listContainers([`${STACK_LABEL}=${stack}`]))
    for (const name of (await engine.containerNetworks(container.id)) ?? []) networks.add(name);
  return networks;
}

/**
 * Removes each of `names` that carries the stack's label and that nothing is attached to any more (say, the
 * network of a server `up` just removed, once LiteLLM left it); what it removed.
 */
export async function removeUnusedStackNetworks(engine: Engine, stack: string, names: Iterable<string>): Promise<string[]> {
  const report: DownReport = { removedContainers: [], removedNetworks: [], keptNetworks: [], removedVolumes: [] };
  for (const name of [...new Set(names)].sort()) await removeNetwork(engine, stack, { name, external: false }, report, false);
  return report.removedNetworks;
}

/**
 * The stack's containers, as compose does: what depends on the others first (LiteLLM), then the rest at once, so a
 * container that waits out its stop timeout (a process that ignores SIGTERM as PID 1) costs that timeout once.
 */
async function removeContainers(engine: Engine, stack: string, dependent: (container: ContainerSummary) => boolean): Promise<string[]> {
  const containers = await engine.listContainers([`${STACK_LABEL}=${stack}`]);
  const tiers = [containers.filter(dependent), containers.filter((container) => !dependent(container))];
  for (const tier of tiers) {
    await Promise.all(
      tier.map(async (container) => {
        await engine.stopContainer(container.id);
        await engine.removeContainer(container.id);
      }),
    );
  }
  return tiers.flat().map((container) => container.name);
}

/** A network of the stack goes once nothing is attached; another's (or an external one) stays, said when `sayForeign`. */
async function removeNetwork(
  engine: Engine,
  stack: string,
  network: { name: string; external: boolean },
  report: DownReport,
  sayForeign: boolean,
): Promise<void> {
  const found = await engine.networkByName(network.name);
  if (!found) return;
  if (network.external || found.labels[STACK_LABEL] !== stack) {
    if (sayForeign) report.keptNetworks.push({ name: network.name, reason: 'not created by this stack' });
  } else if (found.containers.length > 0) {
    report.keptNetworks.push({ name: network.name, reason: `${found.containers.length} other container(s) still attached` });
  } else {
    await engine.removeNetwork(network.name);
    report.removedNetworks.push(network.name);
  }
}

async function removeVolumes(engine: Engine, stack: string): Promise<string[]> {
  const volumes = await engine.listVolumes([`${STACK_LABEL}=${stack}`]);
  for (const volume of volumes) await engine.removeVolume(volume);
  return volumes;
}
