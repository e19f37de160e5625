import { containerDown, directAnswers } from '../mcp-servers.js';
import { SERVICE_LABEL } from '../../stack/labels.js';
import { mcpServiceName } from '../../stack/model.js';
import type { DoctorContext } from '../context.js';
import { fail, pass, type Cause, type CheckOutcome, type Check } from '../types.js';

export const mcpContainers: Check = {
  id: 'mcp.containers',
  title: "each MCP server's container is running and healthy",
  area: 'mcp',
  // Without a valid mcpgw.yaml, the containers labelled with the stack as MCP servers.
  needs: ['docker'],
  only: { engine: 'compose', why: "one engine's MCP containers; swarm.tasks judges every service's tasks" },
  async run(ctx) {
    if (!(await ctx.place()).valid) return labelledMcpContainers(ctx);
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

/** What runs when mcpgw.yaml does not validate: each container labelled with the stack as an MCP server, running and not unhealthy. */
async function labelledMcpContainers(ctx: DoctorContext): Promise<CheckOutcome> {
  const docker = await ctx.docker();
  const prefix = mcpServiceName('');
  const servers = (await ctx.containers()).filter((container) => container.labels[SERVICE_LABEL]?.startsWith(prefix));
  const evidence: string[] = [];
  const causes: Cause[] = [];
  for (const container of servers) {
    const state = await docker.containerState(container.id);
    const service = container.labels[SERVICE_LABEL] ?? container.name;
    evidence.push(`${container.name}: ${state?.status ?? 'absent'}${state?.health ? ` (${state.health})` : ''}`);
    if (!state?.running)
      causes.push({ cause: `${container.name} is not running`, fix: `\`mcpgw logs ${service}\` shows why; \`mcpgw up\` once mcpgw.yaml is fixed` });
    else if (state.health === 'unhealthy') causes.push({ cause: `${container.name} reports itself unhealthy`, fix: `\`mcpgw logs ${service}\`` });
  }
  evidence.unshift(
    `${servers.length} container(s) labelled as MCP servers of the stack (mcpgw.yaml does not validate: the servers it declares are not compared)`,
  );
  return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
}
