import { attachments } from '../attachments.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const networkAttached: Check = {
  id: 'network.attached',
  title: 'each container is attached to the networks it needs',
  area: 'network',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "one engine's containers on their networks; on a swarm each task is attached by Swarm (swarm.tasks)" },
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
        // Every network joins LiteLLM and the one service it serves.
        const effect = `LiteLLM cannot reach ${service.role !== 'litellm' ? service.name : (model.networks.find((entry) => entry.name === network)?.serves ?? network)}`;
        causes.push({
          cause: `${service.containerName} is not attached to ${network}: ${effect}`,
          fix: `docker network connect --alias ${service.name} ${network} ${service.containerName} (or \`mcpgw up\`, which recreates it attached)`,
        });
      }
    }
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
