import type { ConfigIssue } from '../../errors.js';
import { checkServerUrl, checkUrlPath } from './server-url.js';

/**
 * The fields an MCP server needs and takes for its transport: a stdio server runs behind mcpgw's bridge in a
 * container of its own (image or build, port, command) or inside LiteLLM's; an sse or http server is a container
 * mcpgw runs (image, port) or an existing one (url, whose address and path are checked too).
 */
export function checkServerShape(name: string, server: Record<string, unknown>, lanOnly: boolean, issues: ConfigIssue[]): void {
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  const transport = server.transport;
  // With build, the image is the one mcpgw builds (the schema fills it in).
  const hasImage = typeof server.image === 'string' || server.build !== undefined;
  const hasUrl = typeof server.url === 'string';
  if (transport === 'stdio') {
    const inside = server.inside_litellm === true;
    // A bridged server has its own container and port; mcpgw's bridge fixes the path (/mcp).
    const foreign = inside
      ? (['image', 'build', 'bridge', 'port', 'container_port', 'publish', 'path', 'url', 'host_header'] as const)
      : (['path', 'url'] as const);
    for (const field of foreign) {
      if (server[field] !== undefined) {
        issues.push(
          inside
            ? {
                path: at(field),
                message: 'does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
                fix: `remove ${field}, or remove inside_litellm to run the server in its own container`,
              }
            : { path: at(field), message: 'does not apply to a bridged stdio server (its bridge serves /mcp)', fix: `remove ${field}` },
        );
      }
    }
    if (!inside && !hasImage)
      issues.push({
        path: `mcp_servers.${name}`,
        message: "a stdio server runs in a container of its own, behind mcpgw's bridge, and this one names no image",
        fix:
          'add build: { npm: "PACKAGE@X.Y.Z" } or { pypi: "PACKAGE==X.Y.Z" } (mcpgw builds the image with the server and its bridge from ' +
          'the package registry; `mcp add --npm/--pypi` writes it) and port: 48xxx, or image: IMAGE if you have one with node and the command; ' +
          "or, only if it must, inside_litellm: true to have LiteLLM spawn it in its own container, where it can read LiteLLM's master key, " +
          'salt key and DATABASE_URL',
      });
    if (!inside && hasImage && server.port === undefined)
      issues.push({ path: at('port'), message: 'is required for a bridged stdio server', fix: 'pick a free port in the MCP range, e.g. 48010' });
    if (server.command === undefined) issues.push({ path: at('command'), message: 'is required for a stdio server', fix: 'set the command to run, e.g. npx' });
    const args = Array.isArray(server.args) ? server.args : [];
    args.forEach((arg, index) => {
      if (typeof arg === 'string' && arg.includes('os.environ/')) {
        issues.push({
          path: `${at('args')}[${index}]`,
          message: 'LiteLLM does not resolve os.environ/ inside args (only whole values in mappings)',
          fix: 'pass the secret through env: { VAR: SECRET_NAME } and let the server read VAR',
        });
      }
    });
    return;
  }
  if (transport !== 'sse' && transport !== 'http') return;
  for (const field of ['bridge', 'inside_litellm'] as const) {
    if (server[field] !== undefined)
      issues.push({ path: at(field), message: `applies only to stdio servers (this one is ${transport})`, fix: `remove ${field}` });
  }
  if (hasImage && hasUrl) {
    issues.push({
      path: at('url'),
      message: 'cannot be combined with image',
      fix: 'use image (mcpgw runs the container) or url (an existing server), not both',
    });
  } else if (!hasImage && !hasUrl) {
    issues.push({
      path: `mcp_servers.${name}`,
      message: `needs image (a container mcpgw runs) or url (an existing ${transport} server)`,
      fix: 'add image: IMAGE and port: 48xxx, or url: http://host:port/path',
    });
  }
  // With both image and url the conflict above is the finding; a missing port would only be noise.
  if (hasImage && !hasUrl && server.port === undefined) {
    issues.push({ path: at('port'), message: 'is required when mcpgw runs the container', fix: 'pick a free port in the MCP range, e.g. 48010' });
  }
  if (hasUrl) {
    for (const field of ['port', 'container_port', 'path', 'command'] as const) {
      if (server[field] !== undefined) issues.push({ path: at(field), message: 'does not apply with url', fix: 'put the port and path in the url itself' });
    }
    if (server.publish !== undefined)
      issues.push({ path: at('publish'), message: 'does not apply with url (mcpgw runs no container for it)', fix: 'remove publish' });
    const url = String(server.url);
    if (url.includes('${')) return; // already reported as an unresolved variable
    if (!checkServerUrl(url, lanOnly, at('url'), issues)) return;
    checkUrlPath(url, transport, at('url'), issues);
  }
  if (hasImage && typeof server.path === 'string') checkUrlPath(`http://x${server.path}`, transport, at('path'), issues);
}
