import type { Engine } from '../docker/engine.js';
import { deployStaged, type SwarmDeployReport } from '../swarm/deploy.js';
import { ensureImagesOnNodes } from '../swarm/images.js';
import { stackImages } from '../swarm/stack-file.js';
import type { Progress } from '../ui/progress.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';
import { swarmTarget } from './swarm-target.js';

/**
 * `up` on a swarm, once the files are rendered and the images are present here: the swarm proven to be the one
 * mcpgw.yaml names, the stack's images put on every node with this machine's ids, then the staged deploy
 * (src/swarm/deploy.ts).
 */
export async function upOnSwarm(ctx: OpContext, stack: LoadedStack, local: Engine, progress: Progress): Promise<SwarmDeployReport> {
  const { deps } = ctx;
  const swarmModel = stack.swarm;
  if (!swarmModel) throw new Error('engine: swarm without its swarm model');
  const step = progress.start('swarm');
  const target = await swarmTarget(ctx, stack).catch((error: unknown) => {
    step.fail('not the swarm mcpgw.yaml names');
    throw error;
  });
  const { cluster } = target;
  step.succeed(`manager ${cluster.managerNode.hostname}, nodes ${cluster.nodes.map((entry) => entry.node.hostname).join(', ')}`);
  await ensureImagesOnNodes(
    stackImages(target.stackText),
    cluster.nodes.map((entry) => entry.url),
    { local, dockerAt: deps.dockerAt, progress, clock: deps.clock, signal: deps.signal },
  );
  const stages = new Map(swarmModel.services.map((service) => [service.name, service.stage]));
  return deployStaged(
    { cluster, cli: target.cli, clock: deps.clock, signal: deps.signal, progress },
    {
      model: stack.model,
      secrets: stack.secrets,
      stackPath: target.stackPath,
      stackText: target.stackText,
      dataNodeLabel: swarmModel.dataNodeLabel,
      stageOf: (name) => stages.get(name) ?? 'data',
    },
  );
}
