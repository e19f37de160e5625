import type { ConfigIssue } from '../../errors.js';
import { parseRange } from '../port-range.js';
import { DEFAULT_MCP_PORT_RANGE } from '../schema.js';
import { record } from './raw.js';

/** mcp_port_range as [low, high]; an inverted or impossible range is reported (and the default used meanwhile). */
export function checkPortRange(value: unknown, issues: ConfigIssue[]): [number, number] | undefined {
  if (typeof value !== 'string') return parseRange(DEFAULT_MCP_PORT_RANGE);
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (!match) return undefined; // the schema reports the form
  const [low, high] = [Number(match[1]), Number(match[2])];
  if (low > high) {
    issues.push({ path: 'mcp_port_range', message: `${value} is inverted: the lower port comes first`, fix: `write ${high}-${low}` });
    return undefined;
  }
  if (low < 1 || high > 65535) {
    issues.push({ path: 'mcp_port_range', message: `${value} is outside 1–65535`, fix: 'use a range such as 48000-48999' });
    return undefined;
  }
  return [low, high];
}

/** Every published port is one service's, and each MCP server's lies in mcp_port_range (when that one is usable). */
export function checkPorts(
  litellm: Record<string, unknown>,
  postgres: Record<string, unknown>,
  servers: Record<string, unknown>,
  range: [number, number] | undefined,
  issues: ConfigIssue[],
): void {
  const owners = new Map<number, string>();
  const claim = (port: unknown, path: string) => {
    if (typeof port !== 'number') return;
    const owner = owners.get(port);
    if (owner) issues.push({ path, message: `port ${port} is already used by ${owner}`, fix: 'give each port its own number' });
    else owners.set(port, path);
  };
  claim(litellm.port ?? 4000, 'litellm.port');
  claim(postgres.host_port, 'postgres.host_port');
  for (const [name, value] of Object.entries(servers)) {
    const server = record(value) ?? {};
    const path = `mcp_servers.${name}.port`;
    if (range && typeof server.port === 'number' && (server.port < range[0] || server.port > range[1])) {
      issues.push({
        path,
        message: `${server.port} is outside ${range[0]}–${range[1]}`,
        fix: `pick a free port in ${range[0]}–${range[1]} (or change mcp_port_range)`,
      });
    }
    claim(server.port, path);
  }
}
