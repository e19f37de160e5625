import type { PortModel } from './model.js';

/** Where this machine reaches a port published on `hostIp`: the wildcard addresses are reachable on loopback. */
export function reachableHost(hostIp: string): string {
  return hostIp === '0.0.0.0' || hostIp === '::' || hostIp === '' ? '127.0.0.1' : hostIp;
}

/** http://host:port of a published port, as seen from the machine mcpgw runs on. */
export function publishedBaseUrl(port: PortModel): string {
  return `http://${reachableHost(port.hostIp)}:${port.published}`;
}
