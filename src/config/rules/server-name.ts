import type { ConfigIssue } from '../../errors.js';
import { mcpServiceName } from '../names.js';

/** Docker resolves containers by name on the stack network: a name is one DNS label. */
const MAX_DNS_LABEL = 63;

/** The server's container name is also its DNS name on the stack network: one DNS label, at most 63 characters. */
export function checkServerName(stack: string, name: string, issues: ConfigIssue[]): void {
  const container = `${stack}-${mcpServiceName(name)}`;
  if (container.length > MAX_DNS_LABEL) {
    issues.push({
      path: `mcp_servers.${name}`,
      message:
        `the name is too long: its container ${container.slice(0, 20)}… would have ` +
        `${container.length} characters, and a DNS name has at most ${MAX_DNS_LABEL}`,
      fix: `shorten the server name to at most ${Math.max(1, MAX_DNS_LABEL - container.length + name.length)} characters`,
    });
  }
}
