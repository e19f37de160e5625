import type { LoadedConfig } from '../config/load.js';
import type { Secrets } from '../config/secrets.js';
import { bundledKeysUrl, externalDatabaseUrl } from '../db/connect.js';
import { openTunnel } from '../docker/tunnel.js';
import { StepFailed } from '../errors.js';
import { LITELLM_SERVICE, POSTGRES_SERVICE } from '../stack/model.js';
import { type Cluster, type ClusterNode, nodeEngine } from './cluster.js';
import { type RunningTask, runningTasks, swarmServiceName } from './converge.js';

/**
 * LiteLLM's database as mcpgw reaches it on a swarm: through a loopback tunnel into a running task (src/docker/
 * tunnel.ts), since the stack's overlay networks route to no address of this machine. Bundled: into the Postgres
 * task, to its own loopback, as mcpgw's keys role. External: into a LiteLLM replica, to the URL's host as LiteLLM
 * resolves it, as LiteLLM's own URL. `close` ends the tunnel.
 */
export async function swarmDatabaseUrl(cluster: Cluster, loaded: LoadedConfig, secrets: Secrets): Promise<{ url: string; close: () => Promise<void> }> {
  const { name, postgres } = loaded.config;
  const { task, node } = await runningTaskOf(cluster, name, postgres.mode === 'bundled' ? POSTGRES_SERVICE : LITELLM_SERVICE);
  if (postgres.mode === 'bundled') {
    const tunnel = await openTunnel(node.engine, task.containerId, { host: '127.0.0.1', port: 5432 });
    return { url: bundledKeysUrl(secrets, tunnel.host, tunnel.port, postgres.database), close: tunnel.close };
  }
  const url = new URL(externalDatabaseUrl(loaded, secrets));
  const tunnel = await openTunnel(node.engine, task.containerId, { host: url.hostname, port: Number(url.port || 5432) });
  url.hostname = tunnel.host;
  url.port = String(tunnel.port);
  return { url: url.toString(), close: tunnel.close };
}

/** A running task of one of the stack's services on a node mcpgw reaches, with that node (e.g. where its Postgres runs). */
export async function runningTaskOf(cluster: Cluster, stack: string, service: string): Promise<{ task: RunningTask; node: ClusterNode }> {
  const swarmName = swarmServiceName(stack, service);
  const [task] = await runningTasks(cluster, swarmName);
  const node = task ? nodeEngine(cluster, task.task.nodeId) : undefined;
  if (!task || !node) {
    throw new StepFailed(
      `no task of ${swarmName} runs on a node mcpgw reaches, so LiteLLM's database cannot be reached`,
      'run `mcpgw up`; `mcpgw status` shows the tasks',
    );
  }
  return { task, node };
}
