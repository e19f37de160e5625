import { cutOffServers } from '../attachments.js';
import { containerDown, directAnswers } from '../mcp-servers.js';
import { fail, pass, type Check } from '../types.js';

export const mcpTransport: Check = {
  id: 'mcp.transport',
  title: "from LiteLLM's network, each MCP server answers config.yaml's URL and headers with a session and its tools",
  area: 'mcp',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "asked from LiteLLM's container on this engine; on a swarm mcp.gateway asks each server through the front door" },
  async run(ctx) {
    // A stopped container is mcp.containers' finding; one cut off LiteLLM's network is network.exists' or
    // network.attached's finding.
    const cutOff = await cutOffServers(ctx);
    const answers = (await directAnswers(ctx)).filter((answer) => !containerDown(answer) && !cutOff.has(answer.target.container?.service ?? ''));
    const broken = answers.filter((answer) => answer.ok === false);
    const evidence = answers.map((answer) => answer.seen);
    if (evidence.length === 0) evidence.push("no MCP server to ask (stopped containers are mcp.containers' finding)");
    return broken.length === 0
      ? pass(...evidence)
      : fail(
          evidence,
          broken.flatMap((answer) => answer.causes),
        );
  },
};
