import type { McpgwConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { gatewayTransport, litellmEndpoints, mcpServerService, type StackModel } from '../stack/model.js';
import type { ServerTarget } from './diagnose.js';

/** The declared MCP servers as the probe and doctor reach them: container, LiteLLM's endpoint, declared probe tool. */
export function serverTargets(config: McpgwConfig, model: StackModel, only?: string): ServerTarget[] {
  const names = Object.keys(config.mcp_servers);
  if (only && !names.includes(only))
    throw new UserError(`unknown MCP server "${only}"`, names.length ? `servers in mcpgw.yaml: ${names.join(', ')}` : 'declare it under mcp_servers first');
  const endpoints = litellmEndpoints(model);
  return names
    .filter((name) => !only || name === only)
    .map((name) => {
      const server = config.mcp_servers[name] as McpgwConfig['mcp_servers'][string];
      const service = mcpServerService(model, name);
      const endpoint = endpoints.find((candidate) => candidate.name === name);
      return {
        name,
        // A bridged stdio server is diagnosed as what LiteLLM talks to: its container's streamable http.
        transport: gatewayTransport(server),
        ...(service ? { container: { name: service.containerName, service: service.name } } : {}),
        ...(endpoint ? { endpoint } : {}),
        role: service ? { service: service.name } : {},
        ...(server.probe ? { declaredProbe: server.probe } : {}),
      };
    });
}
