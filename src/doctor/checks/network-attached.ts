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
    const existing = new Set((await Promise.all(model.networks.map(async (network) => ((await docker.networkByName(network.name)) ? network.name : undefined)))).filter(Boolean));
    const evidence: string[] = [];
    const causes: Cause[] = [];
    await Promise.all(
      model.services.map(async (service) => {
        const attached = await docker.containerNetworks(service.containerName);
        if (!attached) {
          evidence.push(`${service.containerName}: absent`);
          return;
        }
        const missing = service.networks.filter((network) => existing.has(network) && !attached.includes(network));
        evidence.push(`${service.containerName}: ${attached.join(', ') || 'no network'}`);
        for (const network of missing) {
          causes.push({
            cause: `${service.containerName} is not attached to ${network}: ${service.role === 'litellm' ? (network === model.networks[0]?.name ? 'LiteLLM cannot reach the MCP servers' : 'LiteLLM cannot reach Postgres') : `${service.name} is unreachable for LiteLLM`}`,
            fix: `docker network connect --alias ${service.name} ${network} ${service.containerName} (or \`mcpgw up\`, which recreates it attached)`,
          });
        }
      }),
    );
    evidence.sort();
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
