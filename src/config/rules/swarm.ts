import type { ConfigIssue } from '../../errors.js';
import { record } from './raw.js';

/**
 * `engine:`, `swarm:` and `litellm.replicas` together: replicas beyond one need Swarm (one engine runs one LiteLLM
 * behind port 4000), and a swarm needs its nodes. Reads the raw document, as every rule does.
 */
export function checkSwarm(doc: Record<string, unknown>, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
  const swarm = doc.engine === 'swarm';
  if (!swarm && typeof litellm.replicas === 'number' && litellm.replicas > 1) {
    issues.push({
      path: 'litellm.replicas',
      message: `${litellm.replicas} replicas need a Docker Swarm: on one engine LiteLLM runs once, behind port ${String(litellm.port ?? 4000)}`,
      fix: 'set engine: swarm with a swarm: block (see README, "From one box to three"), or replicas: 1',
    });
  }
  if (swarm && doc.swarm === undefined) {
    issues.push({
      path: 'swarm',
      message: 'is required with engine: swarm',
      fix: 'add swarm: { nodes: [tcp://node1:2375, …] } listing every node, the manager included',
    });
  }
  if (!swarm && doc.swarm !== undefined) {
    issues.push({ path: 'swarm', message: 'applies to engine: swarm only', fix: 'set engine: swarm, or remove the swarm: block' });
  }
  if (swarm) checkUnhonoured(doc, issues);
  if (swarm && doc.adopted !== undefined) {
    issues.push({
      path: 'adopted',
      message: 'an adopted deployment runs on one engine under its own compose project',
      fix: 'run `mcpgw upgrade` on it as it is first; move it to a swarm afterwards with a backup and a restore',
    });
  }
}

/**
 * What a swarm cannot do as mcpgw.yaml asks. A published port there is `mode: host` on the node that runs the task,
 * on every address of that node: it cannot be held to one address (`bind`, `mcp_bind`), so nothing but the front
 * door is published, and MCP servers and Postgres stay reachable over their overlay networks alone. Nor can a
 * command LiteLLM spawns be one server for all replicas.
 */
function checkUnhonoured(doc: Record<string, unknown>, issues: ConfigIssue[]): void {
  if (typeof doc.bind === 'string' && doc.bind !== '0.0.0.0') {
    issues.push({
      path: 'bind',
      message: `a swarm publishes the front door on every address of the node that runs it, not on ${doc.bind} alone`,
      fix: 'remove bind (and keep the port from other networks with the firewall of that node), or use engine: compose',
    });
  }
  for (const [name, server] of Object.entries(record(doc.mcp_servers) ?? {})) {
    if (record(server)?.publish === true) {
      issues.push({
        path: `mcp_servers.${name}.publish`,
        message: 'a swarm would publish the server on every address of its node, on the LAN',
        fix: 'remove publish: LiteLLM reaches the server over its overlay network; `docker exec` into the task to reach it yourself',
      });
    }
    if (record(server)?.inside_litellm === true) {
      issues.push({
        path: `mcp_servers.${name}.inside_litellm`,
        message: 'on a swarm each LiteLLM replica would spawn its own copy of the command, each with its own state',
        fix: 'leave inside_litellm out: the server then runs once, in its own container behind the bridge, for every replica',
      });
    }
  }
  if (record(doc.postgres)?.host_port !== undefined) {
    issues.push({
      path: 'postgres.host_port',
      message: 'a swarm would publish Postgres on every address of its node, on the LAN, not on 127.0.0.1',
      fix: 'remove host_port: the database stays on its overlay network, reached by the stack alone',
    });
  }
}
