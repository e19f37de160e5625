import { checkLlm } from '../../probe/llm-level.js';
import { probeModelName } from '../../stack/model.js';
import { gatewayView } from '../mcp-servers.js';
import { skip, type Check } from '../types.js';

export const mcpLlm: Check = {
  id: 'mcp.llm',
  title: 'the model calls an MCP tool, LiteLLM executes it and the turn ends at stop',
  area: 'mcp',
  needs: ['config', 'gateway', 'database', 'online'],
  async run(ctx) {
    const model = probeModelName((await ctx.loaded()).config);
    if (!model) return skip('mcpgw.yaml declares no model (probe_model: canary needs no provider key)');
    const proven = (await gatewayView(ctx)).servers.find((server) => server.proven)?.proven;
    if (!proven) return skip('no MCP tool executed through the gateway (see mcp.gateway)');
    const version = await ctx.litellmVersion();
    return checkLlm(
      {
        baseUrl: await ctx.gatewayUrl(),
        key: await ctx.gatewayKey(),
        model,
        timeoutMs: ctx.deps.requestTimeoutMs,
        nonce: () => ctx.nonce(),
        ...(version ? { version: version.version } : {}),
      },
      'chat',
      proven,
    );
  },
};
