import { declaredKeyValues } from '../config/rules.js';
import { LITELLM_CONFIG_FILE } from '../render/litellm-config.js';
import { judgesReplicas, REPLICA_TITLES, replicaExpectations, type ReplicaExpectations, type ReplicaFinding } from '../swarm/replica-findings.js';
import { readHeartbeats, readReplica, replicaPlaces, type ReplicaView, type WorkerHeartbeats } from '../swarm/replica-view.js';
import type { DoctorContext } from './context.js';
import { skip, type Check } from './types.js';

/** Every replica as read from inside its container, LiteLLM's heartbeats, and what mcpgw.yaml expects. */
export interface ReplicaState {
  views: ReplicaView[];
  heartbeats: WorkerHeartbeats[] | Error;
  expect: ReplicaExpectations;
}

/** Read once for all the replicas.* checks; undefined when the stack is not judged replica by replica. */
function replicaState(ctx: DoctorContext): Promise<ReplicaState | undefined> {
  return ctx.once('replicas', async () => {
    const { config } = await ctx.loaded();
    if (!ctx.deps.replicas && !judgesReplicas(config)) return undefined;
    const [secrets, model, rendered] = await Promise.all([ctx.secrets(), ctx.model(), ctx.rendered()]);
    const ask = { masterKey: secrets.get(config.litellm.master_key) ?? '', keys: declaredKeyValues(config, secrets), timeoutMs: ctx.deps.requestTimeoutMs };
    const places = await replicaPlaces(config, model, () => ctx.docker(), ctx.env);
    const [views, heartbeats] = await Promise.all([
      Promise.all(places.map((place) => readReplica(place, ask))),
      ctx.db().then(readHeartbeats, (error: Error) => error),
    ]);
    const configText = rendered.find((file) => file.path === LITELLM_CONFIG_FILE)?.content ?? '';
    return { views, heartbeats, expect: replicaExpectations(config, model, configText) };
  });
}

/** A replicas.* check: one judgment of src/swarm/replica-findings.ts over the shared read. */
export function replicaCheck(id: ReplicaFinding['id'], judge: (state: ReplicaState) => ReplicaFinding): Check {
  return {
    id,
    title: REPLICA_TITLES[id],
    area: 'replicas',
    needs: ['config', 'secrets', 'docker'],
    async run(ctx) {
      const state = await replicaState(ctx);
      if (!state) return skip('one LiteLLM on one engine (litellm.replicas: 1, engine: compose): `mcpgw doctor --replicas` judges it anyway');
      return judge(state).outcome;
    },
  };
}
