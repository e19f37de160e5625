import { attachments } from '../attachments.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const networkAttached: Check = {
  id: 'network.attached',
  title: 'each container is attached to the networks it needs',
  area: 'network',
  needs: ['config', 'docker'],
  async run(ctx) {
    const model = await ctx.model();
    const docker = await ctx.docker();
    // A network that does not exist is network.exists' failure; here only attachments to existing ones count.
    const existing = new Set(
      (await Promise.all(model.networks.map(async (network) => ((await docker.networkByName(network.name)) ? network.name : undefined)))).filter(Boolean),
    );
    const evidence: string[] = [];
    const causes: Cause[] = [];
    for (const { service, attached, missing } of await attachments(ctx)) {
      evidence.push(`${service.containerName}: ${attached ? attached.join(', ') || 'no network' : 'absent'}`);
      for (const network of missing.filter((name) => existing.has(name))) {
        const effect =
          service.role !== 'litellm'
            ? `LiteLLM cannot reach ${service.name}`
            : network === model.networks[0]?.name
              ? 'LiteLLM cannot reach the MCP servers'
              : 'LiteLLM cannot reach Postgres';
        causes.push({
          cause: `${service.containerName} is not attached to ${network}: ${effect}`,
          fix: `docker network connect --alias ${service.name} ${network} ${service.containerName} (or \`mcpgw up\`, which recreates it attached)`,
        });
      }
    }
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
