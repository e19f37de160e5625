import type { StackCli } from '../docker/stack-cli.js';
import type { DownReport } from '../stack/down.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import type { Cluster } from './cluster.js';

/** Label `docker stack deploy` puts on every service, network, secret and config of a stack. */
const STACK_NAMESPACE = 'com.docker.stack.namespace';

/**
 * `docker stack rm`, then waits until Swarm has stopped every task (LiteLLM's graceful shutdown included) and the
 * stack's networks are gone from every node, so a following `up` starts clean. With `volumes`, the stack's volumes
 * are removed on every node that has them, and the data label with them: the data no longer lives anywhere.
 */
export async function swarmDown(
  cluster: Cluster,
  cli: StackCli,
  stack: string,
  options: { volumes: string[] | false; dataNodeLabel: string; clock: Clock },
): Promise<DownReport> {
  const report: DownReport = { removedContainers: [], removedNetworks: [], keptNetworks: [], removedVolumes: [] };
  const services = await cluster.manager.swarm().services([`${STACK_NAMESPACE}=${stack}`]);
  report.removedContainers.push(...services.map((service) => service.name));
  await cli.remove(stack);
  const containers = async () =>
    (await Promise.all(cluster.nodes.map(async (entry) => ({ entry, list: await entry.engine.listContainers([`${STACK_NAMESPACE}=${stack}`]) })))).flat();
  await waitUntil(
    `the tasks of stack ${stack} to stop`,
    async () => {
      const running = (await containers()).flatMap(({ list }) => list.filter((container) => !['exited', 'dead', 'created'].includes(container.state)));
      if (running.length > 0) throw new Error(`${running.length} container(s) still stopping: ${running.map((container) => container.name).join(', ')}`);
      return true;
    },
    { timeoutMs: 120_000, clock: options.clock },
  );
  // Stopped task containers Swarm has not reaped yet (a node that was down when their tasks ended keeps them until
  // its agent catches up): the stack's own, and in the way of its volumes.
  for (const { entry, list } of await containers()) {
    for (const container of list) await entry.engine.removeContainer(container.id);
  }
  if (options.volumes) {
    for (const entry of cluster.nodes) {
      for (const volume of options.volumes) {
        if (!(await entry.engine.volumeExists(volume))) continue;
        // A stopped task's container may hold the volume a moment longer while its node cleans it up.
        await waitUntil(
          `volume ${volume} on ${entry.node.hostname}`,
          async () => {
            await entry.engine.removeVolume(volume);
            return true;
          },
          { timeoutMs: 30_000, clock: options.clock },
        );
        report.removedVolumes.push(`${volume} (${entry.node.hostname})`);
      }
    }
    const labelled = (await cluster.manager.swarm().nodes()).filter((node) => node.labels[options.dataNodeLabel] !== undefined);
    for (const node of labelled) await cluster.manager.swarm().unlabelNode(node.id, options.dataNodeLabel);
  }
  return report;
}
