import { checkUrlPath } from '../../config/rules/server-url.js';
import type { ConfigIssue } from '../../errors.js';
import { DEPLOYED, renderedLitellmConfig, serversOf } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

export const configServerPaths: Check = {
  id: 'config.server-paths',
  title: "each MCP server's URL path matches its transport (/sse for sse, /mcp for http)",
  area: 'config',
  needs: ['config', 'rendered'],
  async run(ctx) {
    const servers = serversOf(await renderedLitellmConfig(ctx));
    const issues: ConfigIssue[] = [];
    const seen: string[] = [];
    for (const [name, entry] of servers) {
      if (typeof entry.url !== 'string') continue;
      // Without a transport LiteLLM speaks streamable HTTP (load_servers_from_config's default in 1.77.3 and 1.108.7).
      const transport = entry.transport === 'sse' ? 'sse' : 'http';
      seen.push(`${name}: ${transport} ${entry.url}`);
      checkUrlPath(entry.url, transport, `mcp_servers.${name}.url`, issues);
    }
    if (issues.length === 0) return pass(seen.join(', ') || 'no MCP server with a url');
    return fail(
      issues.map((issue) => `${DEPLOYED} ${issue.path}: ${issue.message}`),
      issues.map((issue) => ({
        cause: `LiteLLM speaks the wrong protocol to ${issue.path.split('.')[1]}: it lists no tools from it`,
        fix: `${issue.fix ?? ''} in mcpgw.yaml, then \`mcpgw up\``.trim(),
      })),
    );
  },
};
