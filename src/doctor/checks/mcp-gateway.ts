import { checkAggregate } from '../../probe/mcp-level.js';
import { directAnswers, gatewayServers } from '../mcp-servers.js';
import { fail, pass, warn, type Check } from '../types.js';

export const mcpGateway: Check = {
  id: 'mcp.gateway',
  title: 'through the gateway a key sees each server\'s tools and a tool call executes',
  area: 'mcp',
  needs: ['config', 'gateway', 'database'],
  async run(ctx) {
    if (Object.keys((await ctx.loaded()).config.mcp_servers).length === 0) return pass('mcpgw.yaml declares no MCP server');
    const aggregateCheck = async () => checkAggregate({ baseUrl: await ctx.gatewayUrl(), key: await ctx.gatewayKey(), timeoutMs: ctx.deps.requestTimeoutMs, nonce: () => ctx.nonce(), diagnose: async () => [] });
    const [servers, direct, aggregate] = await Promise.all([gatewayServers(ctx), directAnswers(ctx), aggregateCheck()]);
    // A server whose own endpoint already fails is mcp.containers' or mcp.transport's finding: noted, not failed again.
    const knownBroken = new Set(direct.filter((answer) => answer.ok === false).map((answer) => answer.target.name));
    const evidence = [`/mcp/: ${aggregate.evidence.join('; ')}`, ...servers.map((server) => `${server.name}: ${server.outcome.evidence.join('; ')}`)];
    const failed = servers.filter((server) => server.outcome.status === 'fail' && !knownBroken.has(server.name));
    const causes = failed.flatMap((server) => server.outcome.causes ?? []);
    if (aggregate.status === 'fail' && knownBroken.size < servers.length) causes.push(...(aggregate.causes ?? []));
    if (causes.length > 0) return fail(evidence, causes);
    const lesser = servers.filter((server) => server.outcome.status === 'warn' || knownBroken.has(server.name));
    if (lesser.length > 0) {
      return warn(evidence, lesser.flatMap((server) => (knownBroken.has(server.name) ? [{ cause: `${server.name} is down on its own endpoint`, fix: 'see mcp.containers / mcp.transport' }] : (server.outcome.causes ?? []))));
    }
    return pass(...evidence);
  },
};
