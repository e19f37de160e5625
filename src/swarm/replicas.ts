import { declaredKeyValues } from '../config/key-secrets.js';
import type { McpgwConfig } from '../config/schema.js';
import type { Secrets } from '../config/secrets.js';
import type { SqlClient } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { renderLiteLLMConfig } from '../render/litellm-config.js';
import { loadTemplates } from '../render/templates.js';
import type { StackModel } from '../stack/model.js';
import type { Cluster } from './cluster.js';
import { replicaExpectations, type ReplicaExpectations } from './replica-findings.js';
import { readHeartbeats, readReplica, replicaPlaces, type ReplicaView, type WorkerHeartbeats } from './replica-view.js';

/** Every replica as read from inside its container, LiteLLM's worker heartbeats, and what mcpgw.yaml expects. */
export interface StackReplicas {
  views: ReplicaView[];
  heartbeats: WorkerHeartbeats[] | Error;
  expect: ReplicaExpectations;
}

export interface StackReplicaSources {
  config: McpgwConfig;
  model: StackModel;
  secrets: Secrets;
  /** The engine the stack runs on (one engine: its LiteLLM container's). */
  engine: () => Promise<Engine>;
  env: Readonly<Record<string, string | undefined>>;
  /** LiteLLM's database, for its heartbeat rows; a failure to connect is reported, not thrown. */
  database: () => Promise<SqlClient>;
  /** Deadline of each request a replica is asked. */
  timeoutMs: number;
  /** engine: swarm: the swarm its replicas are tasks of. */
  cluster?: Cluster;
}

/** Reads every replica side by side (the master key and declared keys from the secrets file) and the heartbeats. */
export async function readStackReplicas(sources: StackReplicaSources): Promise<StackReplicas> {
  const { config, model, secrets } = sources;
  const ask = { masterKey: secrets.get(config.litellm.master_key) ?? '', keys: declaredKeyValues(config, secrets), timeoutMs: sources.timeoutMs };
  const places = await replicaPlaces(config, model, sources.engine, sources.env, sources.cluster);
  const [views, heartbeats] = await Promise.all([
    Promise.all(places.map((place) => readReplica(place, ask))),
    sources
      .database()
      .then(readHeartbeats)
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
  ]);
  return { views, heartbeats, expect: replicaExpectations(config, model, renderLiteLLMConfig(model, loadTemplates())) };
}
