import type { ConfigIssue } from '../../errors.js';
import { PACKAGE_DATA_DIR } from '../../images/builtin.js';
import { record } from './raw.js';

/**
 * `volumes:` of an MCP server: only where mcpgw runs its container, one volume per directory, and in an image mcpgw
 * builds (its user is nobody) on the one directory nobody owns there, so the volume starts out writable for it.
 */
export function checkServerVolumes(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const volumes = record(server.volumes);
  if (!volumes) return;
  const at = (volume: string) => `mcp_servers.${name}.volumes.${volume}`;
  if (server.url !== undefined || server.inside_litellm === true)
    return void issues.push({
      path: `mcp_servers.${name}.volumes`,
      message: 'applies only to a server mcpgw runs a container for (not with url or inside_litellm)',
      fix: 'remove volumes',
    });
  const seen = new Map<string, string>();
  for (const [volume, target] of Object.entries(volumes)) {
    const other = seen.get(String(target));
    if (other) issues.push({ path: at(volume), message: `mounts on ${String(target)}, as ${other} does`, fix: 'give each volume its own directory' });
    seen.set(String(target), volume);
    // A target that is no absolute directory is the schema's finding.
    if (server.build !== undefined && String(target).startsWith('/') && target !== PACKAGE_DATA_DIR)
      issues.push({
        path: at(volume),
        message: `is mounted on ${String(target)}, where the server (nobody, in the image mcpgw builds) cannot write`,
        fix: `mount it on ${PACKAGE_DATA_DIR}, the directory that image gives its user, and point the server there`,
      });
  }
}
