import type { Engine } from '../docker/engine.js';
import { STACK_LABEL } from './labels.js';
import type { StackModel } from './model.js';

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
  const label = `${STACK_LABEL}=${model.name}`;
  const report: DownReport = { removedContainers: [], removedNetworks: [], keptNetworks: [], removedVolumes: [] };
  // As compose does: what depends on the others first (LiteLLM), then the rest at once, so a container that waits
  // out its stop timeout (a process that ignores SIGTERM as PID 1) costs that timeout once, not once per container.
  const containers = await engine.listContainers([label]);
  const dependents = new Set(model.services.filter((service) => service.dependsOn.length > 0).map((service) => service.containerName));
  const tiers = [containers.filter((c) => dependents.has(c.name)), containers.filter((c) => !dependents.has(c.name))];
  for (const tier of tiers) {
    await Promise.all(
      tier.map(async (container) => {
        await engine.stopContainer(container.id);
        await engine.removeContainer(container.id);
      }),
    );
  }
  report.removedContainers.push(...tiers.flat().map((container) => container.name));
  const retired = model.retiredNetworks.map((name) => ({ name, external: false }));
  for (const network of [...model.networks, ...retired]) {
    const found = await engine.networkByName(network.name);
    if (!found) continue;
    if (network.external || found.labels[STACK_LABEL] !== model.name) {
      // A retired network someone else owns is none of this stack's business.
      if (retired.includes(network)) continue;
      report.keptNetworks.push({ name: network.name, reason: 'not created by this stack' });
    } else if (found.containers.length > 0) {
      report.keptNetworks.push({ name: network.name, reason: `${found.containers.length} other container(s) still attached` });
    } else {
      await engine.removeNetwork(network.name);
      report.removedNetworks.push(network.name);
    }
  }
  if (options.volumes) {
    for (const volume of await engine.listVolumes([label])) {
      await engine.removeVolume(volume);
      report.removedVolumes.push(volume);
    }
  }
  return report;
}
