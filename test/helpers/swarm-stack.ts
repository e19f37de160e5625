import type { StackManifest } from '../stack/global-setup.js';
import type { TestSwarm } from './swarm.js';
import { writeTestStack } from './test-stack.js';

/**
 * mcpgw.yaml for the gateway on a test swarm: LiteLLM (DB mode) × 2 behind the front door on the manager's address,
 * one MCP server (server-everything, `alpha`), the canary model and a declared key `user` granted alpha. Returns the
 * gateway's address as clients reach it.
 */
export async function writeSwarmStack(
  dir: string,
  options: { name: string; images: StackManifest['images']; swarm: TestSwarm; userKey: string },
): Promise<string> {
  const manager = options.swarm.nodes[0];
  if (!manager) throw new Error('the swarm has no node');
  await writeTestStack(dir, {
    name: options.name,
    images: options.images,
    litellmPort: 4000,
    mcp: { alpha: { transport: 'http', port: 48480 } },
    secrets: { MCPGW_KEY_USER: options.userKey },
    extra: {
      host: manager.ip,
      // A host-mode port takes every address of its node.
      bind: '0.0.0.0',
      engine: 'swarm',
      swarm: { manager: options.swarm.managerUrl, nodes: options.swarm.nodes.map((node) => node.url) },
      litellm: { image: options.images.litellmDb, port: 4000, replicas: 2 },
      probe_model: 'canary',
      keys: [{ alias: 'user', mcp_servers: ['alpha'] }],
    },
  });
  return `http://${manager.ip}:4000`;
}
