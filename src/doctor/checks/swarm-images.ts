import { StepFailed } from '../../errors.js';
import { dataNodeOf } from '../../swarm/deploy.js';
import { imagePlacements, imagesOnNodes, type ImageLoadPlan } from '../../swarm/images.js';
import { fail, pass, warn, type Cause, type Check, type CheckOutcome } from '../types.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * Each image on the nodes that may run it, with this machine's id: a node that lacks it, or has another build under
 * its name, fails naming node and image (Swarm does not move images: a task placed there cannot start, or runs other
 * bits than its siblings). Nodes mcpgw.yaml lists that do not answer are a warning: their images cannot be read.
 */
export function judgeImages(plans: readonly ImageLoadPlan[], hostname: (url: string) => string, unreachable: readonly string[]): CheckOutcome {
  const evidence = plans.map((plan) => `${plan.image} (${short(plan.id)}) on ${plan.present.map(hostname).join(', ') || 'no node'}`);
  const causes: Cause[] = plans.flatMap((plan) =>
    plan.load.map((entry) => ({
      cause: `node ${hostname(entry.node)} ${entry.current ? `has another build of ${plan.image} (${short(entry.current)}, here ${short(plan.id)})` : `lacks ${plan.image}`}`,
      fix: "`mcpgw up` puts every image on the nodes that may run it, with this machine's id (nodes that have it are skipped)",
    })),
  );
  if (causes.length > 0) return fail(evidence, causes);
  if (unreachable.length > 0)
    return warn(evidence, [
      {
        cause: `${unreachable.join(', ')} did not answer: their images are not known`,
        fix: "start Docker on that node, or correct its URL in mcpgw.yaml's swarm.nodes",
      },
    ]);
  return pass(...evidence);
}

export const swarmImages: Check = {
  id: 'swarm.images',
  title: "every node that may run a service has its image, with this machine's id (LiteLLM's on every node, the pinned services' on the data node)",
  area: 'swarm',
  needs: ['config', 'docker', 'swarm'],
  only: { engine: 'swarm', why: 'one engine runs the images it has; no node to put them on' },
  async run(ctx) {
    const [{ cluster, model }, local] = await Promise.all([ctx.swarm(), ctx.docker()]);
    const dockerAt = async (url: string) => {
      const node = cluster.nodes.find((entry) => entry.url === url);
      if (!node) throw new Error(`${url} is not a node of the swarm mcpgw reaches`);
      return node.engine;
    };
    const plans: ImageLoadPlan[] = [];
    try {
      const { node: dataNode } = await dataNodeOf(cluster, model.dataNodeLabel);
      for (const placement of imagePlacements(
        model,
        cluster.nodes.map((entry) => entry.url),
        dataNode.url,
      ))
        plans.push(...(await imagesOnNodes(placement.images, placement.nodes, { local, dockerAt })).plans);
    } catch (error) {
      // An image this machine does not have cannot be compared (nor put on the nodes), nor a data node that is not one: findings.
      if (error instanceof StepFailed) return fail(error.message, [{ cause: error.message, fix: error.hint ?? '`mcpgw up`' }]);
      throw error;
    }
    const hostname = (url: string) => cluster.nodes.find((entry) => entry.url === url)?.node.hostname ?? url;
    return judgeImages(
      plans,
      hostname,
      cluster.unreachable.map((entry) => entry.url),
    );
  },
};
