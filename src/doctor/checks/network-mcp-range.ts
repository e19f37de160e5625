import { DEFAULT_MCP_PORT_RANGE } from '../../config/schema.js';
import { parseRange } from '../../config/port-range.js';
import { pass, warn, type Check } from '../types.js';

export const networkMcpRange: Check = {
  id: 'network.mcp-range',
  title: 'MCP ports are in the 48xxx range',
  area: 'network',
  needs: ['config'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const [low, high] = parseRange(DEFAULT_MCP_PORT_RANGE) as [number, number];
    const ports = Object.entries(config.mcp_servers).flatMap(([name, server]) => (server.port === undefined ? [] : [{ name, port: server.port }]));
    const outside = ports.filter(({ port }) => port < low || port > high);
    const evidence = ports.map(({ name, port }) => `${name}: ${port}`).join(', ') || 'no MCP port';
    if (outside.length === 0) return pass(evidence);
    return warn(evidence, [
      {
        cause: `${outside.map(({ name, port }) => `${name} (${port})`).join(', ')} outside ${DEFAULT_MCP_PORT_RANGE} (mcp_port_range is ${config.mcp_port_range})`,
        fix: 'the house rule keeps MCP services on 48000–48999: move them there and reset mcp_port_range',
      },
    ]);
  },
};
