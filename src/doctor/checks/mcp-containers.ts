import { containerDown, directAnswers } from '../mcp-servers.js';
import { fail, pass, type Cause, type Check } from '../types.js';

export const mcpContainers: Check = {
  id: 'mcp.containers',
  title: "each MCP server's container is running and healthy",
  area: 'mcp',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "one engine's MCP containers; swarm.tasks judges every service's tasks" },
  async run(ctx) {
    const docker = await ctx.docker();
    const answers = await directAnswers(ctx);
    const evidence: string[] = [];
    const causes: Cause[] = [];
    for (const answer of answers) {
      const container = answer.target.container;
      if (!container) continue;
      if (containerDown(answer)) {
        evidence.push(`${container.name}: not running`);
        causes.push(...answer.causes);
        continue;
      }
      const state = await docker.containerState(container.name);
      evidence.push(`${container.name}: ${state?.status ?? 'absent'}${state?.health ? ` (${state.health})` : ''}`);
      if (state?.health === 'unhealthy') causes.push({ cause: `${container.name} reports itself unhealthy`, fix: `\`mcpgw logs ${container.service}\`` });
    }
    if (evidence.length === 0) evidence.push('no MCP server runs in a container of this stack');
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
