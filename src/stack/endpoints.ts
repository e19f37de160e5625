/** A published port: the host address it listens on and its number. */
export interface PublishedPort {
  hostIp: string;
  published: number;
}

/** Where this machine reaches a port published on `hostIp`: the wildcard addresses are reachable on loopback. */
export function reachableHost(hostIp: string): string {
  return hostIp === '0.0.0.0' || hostIp === '::' || hostIp === '' ? '127.0.0.1' : hostIp;
}

/** http://host:port, with an IPv6 literal in brackets (http://[fd00::1]:4000) as URLs require. */
export function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** http://host:port of a published port, as seen from the machine mcpgw runs on. */
export function publishedBaseUrl(port: PublishedPort): string {
  return httpOrigin(reachableHost(port.hostIp), port.published);
}

/**
 * The gateway's MCP endpoint as LAN clients reach it: mcpgw.yaml's host and LiteLLM's published port. The
 * trailing slash matters: older LiteLLM builds answer /mcp with a 307 that some clients do not follow.
 */
export function gatewayMcpUrl(host: string, port: number): string {
  return `${httpOrigin(host, port)}/mcp/`;
}
