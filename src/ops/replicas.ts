import { declaredKeyValues } from '../config/rules.js';
import { databaseUrl } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { renderLiteLLMConfig } from '../render/litellm-config.js';
import { loadTemplates } from '../render/templates.js';
import { judgeReplicas, replicaExpectations, type ReplicaFinding } from '../swarm/replica-findings.js';
import { readHeartbeats, readReplica, replicaPlaces, type ReplicaView, type WorkerHeartbeats } from '../swarm/replica-view.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';

export interface ReplicaJudgment {
  views: ReplicaView[];
  findings: ReplicaFinding[];
}

/**
 * Reads every replica from inside its container (side by side) and LiteLLM's worker heartbeats from its database,
 * and judges them against mcpgw.yaml.
 */
export async function judgeStackReplicas(ctx: OpContext, stack: LoadedStack, timeoutMs: number, engine: () => Promise<Engine>): Promise<ReplicaJudgment> {
  const { config } = stack.loaded;
  const keys = declaredKeyValues(config, stack.secrets);
  const masterKey = stack.secrets.get(config.litellm.master_key) ?? '';
  ctx.ui.addSecrets([masterKey, ...keys.map((key) => key.key)]);
  const places = await replicaPlaces(config, stack.model, engine, ctx.deps.env);
  const [views, heartbeats] = await Promise.all([
    Promise.all(places.map((place) => readReplica(place, { masterKey, keys, timeoutMs }))),
    stackHeartbeats(ctx, stack, engine),
  ]);
  const expect = replicaExpectations(config, stack.model, renderLiteLLMConfig(stack.model, loadTemplates()));
  return { views, findings: judgeReplicas(views, heartbeats, expect) };
}

async function stackHeartbeats(ctx: OpContext, stack: LoadedStack, engine: () => Promise<Engine>): Promise<WorkerHeartbeats[] | Error> {
  try {
    const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
    ctx.ui.addSecrets([url]);
    const db = await ctx.deps.database(url);
    try {
      return await readHeartbeats(db);
    } finally {
      await db.end();
    }
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
