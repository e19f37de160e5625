import { DEPLOYED, renderedLitellmConfig, serversOf } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

export const configTransport: Check = {
  id: 'config.transport-explicit',
  title: 'every MCP server in config.yaml names its transport',
  area: 'config',
  needs: ['config', 'rendered'],
  async run(ctx) {
    const servers = serversOf(await renderedLitellmConfig(ctx));
    const implicit = servers.filter(([, entry]) => typeof entry.transport !== 'string').map(([name]) => name);
    if (implicit.length === 0) return pass(servers.map(([name, entry]) => `${name}: ${String(entry.transport)}`).join(', ') || 'no MCP server declared');
    return fail(
      implicit.map((name) => `${DEPLOYED} mcp_servers.${name} has no transport`),
      [
        {
          cause:
            'LiteLLM takes a config.yaml server without transport as http (streamable HTTP; load_servers_from_config in 1.77.3 and 1.108.7), ' +
            'so an SSE server fails, and the server id it derives changes once you add one (grants stop matching)',
          fix: `set mcp_servers.<name>.transport (sse | http | stdio) in mcpgw.yaml, then \`mcpgw up\` and \`mcpgw keys sync\``,
        },
      ],
    );
  },
};
