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
  for (const container of await engine.listContainers([label])) {
    await engine.stopContainer(container.id);
    await engine.removeContainer(container.id);
    report.removedContainers.push(container.name);
  }
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
