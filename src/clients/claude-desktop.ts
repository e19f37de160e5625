import path from 'node:path';
import { KEY_HEADER } from '../gateway/key-header.js';
import { authEnvVar, bearer } from './auth.js';
import { setJsonMember } from './json-edit.js';
import { appConfigDir } from './paths.js';
import { serverEntries, stringMembers } from './servers.js';
import type { ClientFormat, ClientPlace, ClientRequest, ServerEntry } from './types.js';

function configFile(place: ClientPlace): string {
  return path.join(appConfigDir(place, 'Claude'), 'claude_desktop_config.json');
}

/**
 * An mcp-remote entry: the first URL argument is the server, each `--header Name:value` a header whose `${VAR}`
 * mcp-remote fills from its environment, which the entry's env block sets.
 */
function readBridge(entry: Record<string, unknown>): Omit<ServerEntry, 'at'> {
  const args = Array.isArray(entry.args) ? entry.args.filter((arg): arg is string => typeof arg === 'string') : [];
  const env = stringMembers(entry.env);
  const url = args.find((arg) => /^https?:\/\//.test(arg));
  const headers = args.flatMap((arg, index) => {
    const header = args[index - 1] === '--header' ? /^([^:]+):(.*)$/.exec(arg) : null;
    return header ? [[header[1] as string, (header[2] as string).replace(/\$\{([^}]+)\}/g, (reference, name: string) => env[name] ?? reference)] as const] : [];
  });
  return { ...(url ? { url } : {}), headers: Object.fromEntries(headers) };
}

/** The mcp-remote release the integration tier runs; pinned so the bridge users get is the one tested. */
export const MCP_REMOTE_VERSION = '0.15.1';

/**
 * Claude Desktop starts stdio servers only, so the gateway is reached through the mcp-remote bridge. The header
 * value comes from the entry's own env block (mcp-remote expands `${VAR}` in --header itself): a space inside
 * an argument is mangled on some platforms. mcp-remote refuses plain http unless --allow-http is given, and
 * http-only skips its SSE fallback (LiteLLM's /mcp/ is streamable HTTP).
 */
export const claudeDesktop: ClientFormat = {
  id: 'claude-desktop',
  title: 'Claude Desktop',
  scopes: ['user'],
  defaultScope: 'user',
  files: (place) => [{ scope: 'user', file: configFile(place), syntax: 'json', servers: (doc) => serverEntries('mcpServers', doc.mcpServers, readBridge) }],
  plan(request: ClientRequest) {
    const envVar = authEnvVar(request.name);
    const insecure = new URL(request.url).protocol === 'http:' ? ['--allow-http'] : [];
    const entry = {
      command: 'npx',
      args: ['-y', `mcp-remote@${MCP_REMOTE_VERSION}`, request.url, ...insecure, '--transport', 'http-only', '--header', `${KEY_HEADER}:\${${envVar}}`],
      env: { [envVar]: bearer(request.key) },
    };
    const file = configFile(request);
    const notes = ['restart Claude Desktop to load the server; it runs the bridge with npx, so Node.js must be installed'];
    if (request.platform !== 'darwin' && request.platform !== 'win32')
      notes.push(`Claude Desktop ships for macOS and Windows; ${file} is the path the Linux community builds read`);
    return {
      client: 'claude-desktop',
      scope: 'user',
      snippet: JSON.stringify({ mcpServers: { [request.name]: entry } }, null, 2),
      target: { file, holdsKey: true, edit: (existing, shown) => setJsonMember(existing, shown, { comments: false }, ['mcpServers'], request.name, entry) },
      notes,
    };
  },
};
