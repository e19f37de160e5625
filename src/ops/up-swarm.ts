import type { Engine } from '../docker/engine.js';
import { swarmStackFile } from '../render/render.js';
import { loadTemplates } from '../render/templates.js';
import { FRONT_DOOR_SERVICE, litellmBaseUrl } from '../stack/model.js';
import { StepFailed } from '../errors.js';
import { swarmServiceName } from '../swarm/converge.js';
import { SWARM_STAGES, type SwarmStage } from '../stack/swarm.js';
import { deployStaged, ensureDataNode, type SwarmDeployReport } from '../swarm/deploy.js';
import { waitForFrontDoor } from '../swarm/front-door.js';
import { ensureImagesOnNodes, imagePlacements } from '../swarm/images.js';
import type { Progress } from '../ui/progress.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';
import { swarmTarget } from './swarm-target.js';

/** HAProxy's DNS hold (2 s) and two health checks 2 s apart per replica, with room for a slow first readiness. */
const FRONT_DOOR_TIMEOUT_MS = 60_000;

/**
 * `up` on a swarm, once the files are rendered and the images are present here: the swarm proven to be the one
 * mcpgw.yaml names, the stack's images put where its tasks may run with this machine's ids (LiteLLM's on every
 * node, the pinned services' on the data node), then the staged deploy (src/swarm/deploy.ts), done when the front door
 * routes to every replica. `upgrade` deploys the stages one at a time: the migration while the old replicas serve, then
 * the roll.
 */
export async function upOnSwarm(
  ctx: OpContext,
  stack: LoadedStack,
  local: Engine,
  progress: Progress,
  stages: readonly SwarmStage[] = SWARM_STAGES,
): Promise<SwarmDeployReport> {
  const { deps } = ctx;
  if (!stack.swarm) throw new Error('engine: swarm without its swarm model');
  const swarmModel = stack.swarm.model;
  const step = progress.start('swarm');
  const target = await swarmTarget(ctx, stack).catch((error: unknown) => {
    step.fail('not the swarm mcpgw.yaml names');
    throw error;
  });
  const { cluster } = target;
  const away = cluster.unreachable.map((entry) => `${entry.url} does not answer`);
  step.succeed([`manager ${cluster.managerNode.hostname}, nodes ${cluster.nodes.map((entry) => entry.node.hostname).join(', ')}`, ...away].join('; '));
  // Pinned services run on the data node only; LiteLLM's replicas (and the migration job) anywhere.
  const dataNode = await ensureDataNode(cluster, swarmModel.dataNodeLabel);
  // The nodes' engines the cluster already holds, not a second connection to each.
  const connected = async (url: string) => cluster.nodes.find((entry) => entry.url === url)?.engine ?? deps.dockerAt(url);
  const imageDeps = { local, dockerAt: connected, progress, clock: deps.clock, signal: deps.signal };
  const placements = imagePlacements(
    swarmModel,
    cluster.nodes.map((entry) => entry.url),
    dataNode.url,
  );
  for (const placement of placements) await ensureImagesOnNodes(placement.images, placement.nodes, imageDeps);
  const rendering = stack.swarm;
  const templates = loadTemplates();
  const byStage = <T>(value: (stage: SwarmStage) => T) => Object.fromEntries(SWARM_STAGES.map((stage) => [stage, value(stage)])) as Record<SwarmStage, T>;
  const report = await deployStaged(
    { cluster, cli: target.cli, clock: deps.clock, signal: deps.signal, progress },
    {
      model: stack.model,
      secrets: stack.secrets,
      stackPath: target.stackPath,
      stageFiles: byStage((stage) => swarmStackFile(rendering, stack.files, stack.secrets, templates, stage)),
      stageServices: byStage((stage) => swarmModel.services.filter((service) => service.stage === stage).map((service) => service.name)),
      dataNode: dataNode.node.hostname,
      stages,
    },
  );
  if (!stages.includes('serve')) return report;
  await frontDoorRoutes(ctx, stack, stack.loaded.config.litellm.replicas, progress);
  return report;
}

/**
 * The front door, as the LAN reaches it, routing to every one of `replicas` (waitForFrontDoor), shown as its own step;
 * resolves what it routes to. `up` ends with it, and a restore once it brought the replicas back.
 */
export async function frontDoorRoutes(ctx: OpContext, stack: LoadedStack, replicas: number, progress: Progress): Promise<string> {
  const door = progress.start('front door');
  try {
    const answered = await waitForFrontDoor(litellmBaseUrl(stack.model), replicas, {
      clock: ctx.deps.clock,
      signal: ctx.deps.signal,
      timeoutMs: FRONT_DOOR_TIMEOUT_MS,
      onProgress: (text) => door.update(text),
    });
    const routes = `routes to ${answered.length} replica(s): ${answered.join(', ')}`;
    door.succeed(routes);
    return routes;
  } catch (error) {
    door.fail((error as Error).message);
    throw new StepFailed(
      (error as Error).message,
      `read what the front door logs, on the manager: \`docker service logs ${swarmServiceName(stack.model.name, FRONT_DOOR_SERVICE)}\``,
    );
  }
}
