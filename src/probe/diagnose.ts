import { mcpInitialize, sseEndpoint } from '../docker/readiness.js';
import type { Cause } from './types.js';

/** What the probe knows about a server beyond the gateway, to explain why the gateway lists no tools from it. */
export interface ServerTarget {
  name: string;
  transport: 'sse' | 'http' | 'stdio';
  /** Container (and its compose service) mcpgw runs for it; absent for url and stdio servers. */
  container?: { name: string; service: string };
  /** The server's own endpoint as reachable from this machine (published port + path, or its url). */
  directUrl?: string;
  declaredProbe?: { tool: string; arguments: Record<string, unknown> };
}

export interface ContainerLookup {
  /** undefined when the container does not exist. */
  containerState(name: string): Promise<{ running: boolean; status: string; exitCode?: number } | undefined>;
}

const SPEAKERS = {
  sse: { check: sseEndpoint, path: '/sse', label: 'SSE' },
  http: { check: mcpInitialize, path: '/mcp', label: 'streamable HTTP' },
} as const;

/** Finds why a server is unusable: container absent or stopped, or it speaks another transport or path. */
export async function diagnoseServer(server: ServerTarget, containers: ContainerLookup | undefined): Promise<Cause[]> {
  if (server.transport === 'stdio') {
    return [{ cause: `${server.name} is a stdio server LiteLLM spawns itself; the command failed or is missing in the LiteLLM container`, fix: '`mcpgw logs litellm` shows the spawn error; use a bridge container if the command is not in the image' }];
  }
  if (server.container && containers) {
    const { name, service } = server.container;
    const state = await containers.containerState(name).catch(() => undefined);
    if (!state) return [{ cause: `container ${name} does not exist`, fix: 'run `mcpgw up`' }];
    if (!state.running) {
      return [{ cause: `container ${name} is ${state.status}${state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : ''}`, fix: `\`mcpgw logs ${service}\` shows why; \`mcpgw up\` starts it again` }];
    }
  }
  if (!server.directUrl) return [{ cause: `${server.name} answers the gateway with no tools`, fix: '`mcpgw logs litellm` shows the MCP error' }];
  const configured = SPEAKERS[server.transport];
  try {
    await configured.check(server.directUrl);
    return [{ cause: `${server.name} answers ${configured.label} at ${server.directUrl}, yet LiteLLM lists no tools from it`, fix: '`mcpgw logs litellm` shows the MCP error (LiteLLM reaches it by its container name on the MCP network)' }];
  } catch (error) {
    const origin = new URL(server.directUrl).origin;
    for (const [transport, other] of Object.entries(SPEAKERS)) {
      if (transport === server.transport) continue;
      const url = `${origin}${other.path}`;
      if (await other.check(url).then(() => true, () => false)) {
        return [{ cause: `${server.name} is configured as ${server.transport} (${configured.label} at ${new URL(server.directUrl).pathname}) but speaks ${other.label} at ${other.path}`, fix: `set mcp_servers.${server.name}.transport: ${transport} (path ${other.path}), then \`mcpgw up\`` }];
      }
    }
    return [{ cause: `${server.name} does not answer ${configured.label} at ${server.directUrl}: ${(error as Error).message}`, fix: `check mcp_servers.${server.name} (transport, port, path) and the server's logs` }];
  }
}
