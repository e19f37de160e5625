import type { SqlClient } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { judgeReplicas, type ReplicaFinding } from '../swarm/replica-findings.js';
import type { ReplicaView } from '../swarm/replica-view.js';
import { readStackReplicas } from '../swarm/replicas.js';
import type { OpContext } from './context.js';
import { reachDatabase } from './key-store.js';
import type { LoadedStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

export interface ReplicaJudgment {
  views: ReplicaView[];
  findings: ReplicaFinding[];
}

/** Reads every replica from inside its container and LiteLLM's worker heartbeats, and judges them against mcpgw.yaml. */
export async function judgeStackReplicas(ctx: OpContext, stack: LoadedStack, timeoutMs: number, engine: () => Promise<Engine>): Promise<ReplicaJudgment> {
  let db: SqlClient | undefined;
  let close: () => Promise<void> = async () => undefined;
  const database = async () => {
    const reached = await reachDatabase(ctx, stack, engine);
    close = reached.close;
    ctx.ui.addSecrets([reached.url]);
    db = await ctx.deps.database(reached.url);
    return db;
  };
  try {
    const read = await readStackReplicas({
      config: stack.loaded.config,
      model: stack.model,
      secrets: stack.secrets,
      engine,
      env: ctx.deps.env,
      database,
      timeoutMs,
      ...(isSwarm(stack) ? { cluster: (await swarmTarget(ctx, stack)).cluster } : {}),
    });
    return { views: read.views, findings: judgeReplicas(read.views, read.heartbeats, read.expect) };
  } finally {
    await db?.end();
    await close();
  }
}
