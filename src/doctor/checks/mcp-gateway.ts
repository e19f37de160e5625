import { mcpServiceName } from '../../stack/model.js';
import { cutOffServers } from '../attachments.js';
import { CATALOG_REFRESH_FAILED } from '../../gateway/mcp-failure.js';
import { directAnswers, gatewayServers } from '../mcp-servers.js';
import { fail, pass, warn, type Check } from '../types.js';

export const mcpGateway: Check = {
  id: 'mcp.gateway',
  title: "through the gateway a key sees each server's tools and a tool call executes (--offline: tools listed)",
  area: 'mcp',
  needs: ['config', 'gateway', 'database'],
  async run(ctx) {
    if (Object.keys((await ctx.loaded()).config.mcp_servers).length === 0) return pass('mcpgw.yaml declares no MCP server');
    const [{ servers, aggregate }, direct, cutOff] = await Promise.all([gatewayServers(ctx), directAnswers(ctx), cutOffServers(ctx)]);
    // A server whose own endpoint fails (mcp.containers, mcp.transport) or that LiteLLM cannot reach over the
    // network (network.exists, network.attached) is already reported there: noted here, not failed again.
    const knownBroken = new Set([
      ...direct.filter((answer) => answer.ok === false).map((answer) => answer.target.name),
      ...[...cutOff].map((service) => servers.find((server) => mcpServiceName(server.name) === service)?.name ?? service),
    ]);
    const evidence = [`/mcp/: ${aggregate.evidence.join('; ')}`, ...servers.map((server) => `${server.name}: ${server.outcome.evidence.join('; ')}`)];
    // Seen with LiteLLM 1.108.7: while one server is unreachable it may refuse every MCP request with 503
    // "MCP server configuration could not be refreshed": a consequence of that server, warned below.
    const refused = (outcome: { evidence: string[] }) => knownBroken.size > 0 && outcome.evidence.some((line) => CATALOG_REFRESH_FAILED.test(line));
    const failed = servers.filter((server) => server.outcome.status === 'fail' && !knownBroken.has(server.name) && !refused(server.outcome));
    const causes = failed.flatMap((server) => server.outcome.causes ?? []);
    if (aggregate.status === 'fail' && knownBroken.size === 0) causes.push(...(aggregate.causes ?? []));
    if (causes.length > 0) return fail(evidence, causes);
    const lesser = servers.filter((server) => server.outcome.status === 'warn' || knownBroken.has(server.name) || refused(server.outcome));
    if (lesser.length > 0) {
      const down = [...knownBroken];
      return warn(evidence, [
        ...lesser.flatMap((server) =>
          knownBroken.has(server.name)
            ? [{ cause: `${server.name} is down or cut off`, fix: 'see the failing mcp.containers, mcp.transport or network check' }]
            : refused(server.outcome)
              ? []
              : (server.outcome.causes ?? []),
        ),
        ...(aggregate.status === 'fail' || servers.some((server) => refused(server.outcome))
          ? [
              {
                cause: `LiteLLM refuses MCP requests (/mcp/, sometimes every server) while one server is down (${down.join(', ')}): clients lose those tools`,
                fix: `bring ${down.join(', ')} back, or remove it from mcpgw.yaml and \`mcpgw up\``,
              },
            ]
          : []),
      ]);
    }
    return pass(...evidence);
  },
};
