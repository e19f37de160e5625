import { litellmService, spawnedInLiteLLM } from '../../stack/model.js';
import { pass, warn, type Check } from '../types.js';

/**
 * A stdio server LiteLLM spawns runs in LiteLLM's container as LiteLLM's user, so it reads /proc/1/environ:
 * every secret LiteLLM has. mcpgw does that only when mcpgw.yaml insists (`inside_litellm: true`).
 */
export const securityStdioInsideLitellm: Check = {
  id: 'security.stdio-inside-litellm',
  title: "no stdio server runs inside LiteLLM's container, where it can read LiteLLM's secrets",
  area: 'security',
  needs: ['config'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const inside = Object.entries(config.mcp_servers)
      .filter(([, server]) => spawnedInLiteLLM(server))
      .map(([name]) => name);
    if (inside.length === 0) return pass('every stdio server runs in a container of its own, behind the bridge');
    const secrets = litellmService(await ctx.model()).secretEnv.map((env) => env.name);
    return warn(
      inside.map((name) => `mcp_servers.${name}: inside_litellm: true`),
      inside.map((name) => ({
        cause: `${name} runs inside LiteLLM's container and can read its environment (/proc/1/environ): ${secrets.join(', ')}`,
        fix: `remove inside_litellm from mcp_servers.${name} and give it an image (or build) and a port, so it runs in its own container behind mcpgw's bridge`,
      })),
    );
  },
};
