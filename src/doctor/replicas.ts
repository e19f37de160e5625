import { judgesReplicas, REPLICA_TITLES, type ReplicaFinding } from '../swarm/replica-findings.js';
import { readStackReplicas, type StackReplicas } from '../swarm/replicas.js';
import type { DoctorContext } from './context.js';
import { skip, type Check } from './types.js';

/** Read once for all the replicas.* checks; undefined when the stack is not judged replica by replica. */
function replicaState(ctx: DoctorContext): Promise<StackReplicas | undefined> {
  return ctx.once('replicas', async () => {
    const { config } = await ctx.loaded();
    if (!ctx.deps.replicas && !judgesReplicas(config)) return undefined;
    const [secrets, model, swarm] = await Promise.all([ctx.secrets(), ctx.model(), ctx.swarmIfAny()]);
    return readStackReplicas({
      config,
      model,
      secrets,
      engine: () => ctx.docker(),
      env: ctx.env,
      database: () => ctx.db(),
      timeoutMs: ctx.deps.requestTimeoutMs,
      ...(swarm ? { cluster: swarm.cluster } : {}),
    });
  });
}

/** A replicas.* check: one judgment of src/swarm/replica-findings.ts over the shared read. */
export function replicaCheck(id: ReplicaFinding['id'], judge: (state: StackReplicas) => ReplicaFinding): Check {
  return {
    id,
    title: REPLICA_TITLES[id],
    area: 'replicas',
    needs: ['config', 'secrets', 'docker', 'swarm'],
    async run(ctx) {
      const state = await replicaState(ctx);
      if (!state) return skip('one LiteLLM on one engine (litellm.replicas: 1, engine: compose): `mcpgw doctor --replicas` judges it anyway');
      return judge(state).outcome;
    },
  };
}
