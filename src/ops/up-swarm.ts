import type { Engine } from '../docker/engine.js';
import { StackCli } from '../docker/stack-cli.js';
import { StepFailed } from '../errors.js';
import { connectCluster } from '../swarm/cluster.js';
import { deployStaged, type SwarmDeployReport } from '../swarm/deploy.js';
import type { Stage } from '../swarm/stages.js';
import type { Progress } from '../ui/progress.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';

const SWARM_STACK_FILE = 'swarm/stack.yml';
const stageOfService = (name: string): Stage => (name === 'litellm-migrate' ? 'migrate' : name === 'litellm' || name === 'front-door' ? 'serve' : 'data');

/**
 * `up` on a swarm, once the files are rendered and the images are present here: the swarm proven to be the one
 * mcpgw.yaml names, the stack's images put on every node, then the staged deploy (src/swarm/deploy.ts).
 */
export async function upOnSwarm(ctx: OpContext, stack: LoadedStack, local: Engine, progress: Progress): Promise<SwarmDeployReport> {
  const { deps } = ctx;
  const swarm = stack.loaded.config.swarm;
  if (!swarm) throw new Error('engine: swarm without a swarm: block passed validation');
  const step = progress.start('swarm');
  const cluster = await connectCluster(swarm, deps.env, deps.dockerAt).catch((error: unknown) => {
    step.fail('not the swarm mcpgw.yaml names');
    throw error;
  });
  step.succeed(`manager ${cluster.managerNode.hostname}, nodes ${cluster.nodes.map((entry) => entry.node.hostname).join(', ')}`);
  const file = stack.files.find((entry) => entry.path === SWARM_STACK_FILE);
  if (!file) throw new StepFailed(`${SWARM_STACK_FILE} was not rendered`);
  void local;
  return deployStaged(
    { cluster, cli: new StackCli(await deps.hostShell(), cluster.managerUrl), clock: deps.clock, signal: deps.signal, progress },
    { model: stack.model, secrets: stack.secrets, stackPath: `${stack.loaded.dir}/${SWARM_STACK_FILE}`, stackText: file.content, stageOf: stageOfService },
  );
}
