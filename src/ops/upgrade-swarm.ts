import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { LITELLM_SERVICE } from '../stack/model.js';
import { runningTasks, swarmServiceName } from '../swarm/converge.js';
import type { CutoverEngineSteps } from '../upgrade/cutover.js';
import type { Progress } from '../ui/progress.js';
import { swarmLiteLLM } from './backup.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';
import { swarmTarget } from './swarm-target.js';
import { upOnSwarm } from './up-swarm.js';

/** LiteLLM as it serves on a swarm: its service, the image its spec names, and how many of its replicas run. */
export interface SwarmServing {
  service: string;
  image: string;
  running: number;
  wanted: number;
}

export async function servingOnSwarm(ctx: OpContext, stack: LoadedStack): Promise<SwarmServing | undefined> {
  const { cluster } = await swarmTarget(ctx, stack);
  const service = swarmServiceName(stack.model.name, LITELLM_SERVICE);
  const spec = await cluster.manager.swarm().service(service);
  if (!spec) return undefined;
  const running = await runningTasks(cluster, service);
  return { service, image: spec.image.split('@')[0] ?? spec.image, running: running.length, wanted: spec.replicas ?? 1 };
}

/** What the swarm's cut-over needs besides the steps both engines share (keys, probe, the database's restore). */
export interface SwarmCutoverPlace {
  engine: Engine;
  stack: LoadedStack;
  targetStack: LoadedStack;
  serving: SwarmServing;
  progress: Progress;
  /** The migrations the target applied on the real database (the ledger read again). */
  migrationsApplied(): Promise<number>;
}

/**
 * The cut-over's engine steps on a swarm, each a deploy of the stack file's stages (src/ops/up-swarm.ts): the target's
 * migration job while the old replicas serve; then the roll of the replicas to the target, one at a time behind the
 * front door (Swarm rolls back a replica that fails); undone by deploying the old stack file's serve stage again.
 */
export function swarmEngineSteps(ctx: OpContext, place: SwarmCutoverPlace): CutoverEngineSteps {
  const { engine, stack, targetStack, serving, progress } = place;
  const redeployOld = async () => {
    const report = await upOnSwarm(ctx, stack, engine, progress, ['serve']);
    const replicas = report.services.find((entry) => entry.service === LITELLM_SERVICE)?.tasks.length ?? 0;
    return `${replicas} replica(s) of ${serving.image} serve behind the front door`;
  };
  return {
    migrate: async () => {
      await upOnSwarm(ctx, targetStack, engine, progress, ['data', 'migrate']);
      return place.migrationsApplied();
    },
    prepareNew: async () => `the ${serving.running} old replica(s) serve on; Swarm starts each new one beside an old one`,
    retireOld: async () => 'each old replica stops only once its successor is ready',
    startNew: async () => {
      const started = ctx.deps.clock.now();
      const report = await upOnSwarm(ctx, targetStack, engine, progress, ['serve']);
      const replicas = report.services.find((entry) => entry.service === LITELLM_SERVICE)?.tasks ?? [];
      if (replicas.length === 0) throw new StepFailed(`no replica of ${targetStack.loaded.config.litellm.image} runs`);
      const nodes = [...new Set(replicas.map((task) => task.node))].join(', ');
      return {
        ready: `${replicas.length} replica(s) of ${targetStack.loaded.config.litellm.image} ready on ${nodes}`,
        ownStartMs: ctx.deps.clock.now() - started,
      };
    },
    removeNew: async () => `replicas back on the old spec: ${await redeployOld()}`,
    restoreWithWritersStopped: async (restore) => {
      // As `mcpgw restore` does it: the service scaled to none, then back and routed to, also when the restore failed.
      const litellm = await swarmLiteLLM(ctx, stack, progress);
      await litellm.stop();
      let started: string | undefined;
      try {
        await restore();
      } finally {
        started = await litellm.start();
      }
      return ` (the replicas stopped for it, then back: ${started})`;
    },
    reviveOld: async () => `old replicas checked: ${await redeployOld()}`,
  };
}
