import { createServer } from 'node:net';
import { parseRange } from '../config/port-range.js';
import { DEFAULT_MCP_PORT_RANGE, type McpgwConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { reachableHost } from '../stack/endpoints.js';

/** Whether a TCP port can be bound on this machine: a published container port or any listener makes it taken. */
export type PortProbe = (port: number) => Promise<boolean>;

/** Ports mcpgw.yaml already gives out (LiteLLM, Postgres, every MCP server). */
export function declaredPorts(config: McpgwConfig): Set<number> {
  const ports = new Set<number>([config.litellm.port]);
  if (config.postgres.host_port) ports.add(config.postgres.host_port);
  for (const server of Object.values(config.mcp_servers)) if (server.port) ports.add(server.port);
  return ports;
}

/** The lowest port of mcp_port_range that no declared service uses and nothing on this machine listens on. */
export async function pickPort(config: McpgwConfig, isFree: PortProbe): Promise<number> {
  const [low, high] = parseRange(config.mcp_port_range) ?? parseRange(DEFAULT_MCP_PORT_RANGE) ?? [48000, 48999];
  const used = declaredPorts(config);
  for (let port = low; port <= high; port++) {
    if (!used.has(port) && (await isFree(port))) return port;
  }
  throw new UserError(`no free port left in mcp_port_range ${config.mcp_port_range}`, 'widen mcp_port_range in mcpgw.yaml, or pass --port');
}

/** A user-chosen port that something on this machine already listens on is refused before anything is written. */
export async function assertPortFree(port: number, isFree: PortProbe): Promise<void> {
  if (!(await isFree(port))) {
    throw new UserError(`port ${port} is already in use on this machine`, 'pick another port in the MCP range, or leave out --port and mcpgw picks a free one');
  }
}

/**
 * Tries to listen on the address MCP ports are published on. An address this machine does not have (a LAN IP
 * of the Docker host seen from elsewhere) cannot be probed, so only "in use" counts as taken.
 */
export function listenProbe(bindAddress: string): PortProbe {
  const host = bindAddress === '0.0.0.0' || bindAddress === '::' ? bindAddress : reachableHost(bindAddress);
  return (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE' && error.code !== 'EACCES'));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
}
