import path from 'node:path';
import { KEY_HEADER } from '../gateway/key-header.js';
import { authEnvVar, exportNote } from './auth.js';
import { renderTomlTable, setTomlTable } from './toml-edit.js';
import { serverEntries, stringMembers } from './servers.js';
import type { ClientFormat, ClientPlace, ClientRequest, Scope, ServerEntry } from './types.js';

function configFile(place: ClientPlace, scope: Scope): string {
  return scope === 'user' ? path.join(place.env.CODEX_HOME ?? path.join(place.home, '.codex'), 'config.toml') : path.join(place.cwd, '.codex', 'config.toml');
}

/** A [mcp_servers.<name>] table; a header named in env_http_headers reads as a reference to its variable. */
function readTable(table: Record<string, unknown>): Omit<ServerEntry, 'at'> {
  const fromEnv = Object.entries(stringMembers(table.env_http_headers)).map(([header, variable]) => [header, `\${${variable}}`]);
  return { ...(typeof table.url === 'string' ? { url: table.url } : {}), headers: { ...stringMembers(table.http_headers), ...Object.fromEntries(fromEnv) } };
}

/**
 * Codex CLI: `[mcp_servers.<name>]` in $CODEX_HOME/config.toml (default ~/.codex) or a trusted project's
 * .codex/config.toml. Codex speaks streamable HTTP only (no SSE). `env_http_headers` maps a header to the
 * variable holding its value, so the key never sits in the file (`bearer_token_env_var` would send
 * Authorization, not LiteLLM's header). `codex mcp add` cannot set headers, hence the file edit.
 */
export const codex: ClientFormat = {
  id: 'codex',
  title: 'Codex CLI',
  scopes: ['user', 'project'],
  defaultScope: 'user',
  files: (place) =>
    (['user', 'project'] as const).map((scope) => ({
      scope,
      file: configFile(place, scope),
      syntax: 'toml',
      servers: (doc) => serverEntries('mcp_servers', doc.mcp_servers, readTable),
    })),
  plan(request: ClientRequest) {
    const envVar = authEnvVar(request.name);
    const table = { url: request.url, env_http_headers: { [KEY_HEADER]: envVar } };
    const file = configFile(request, request.scope);
    const check = `check inside Codex: /mcp connects and lists ${request.name}'s tools (\`codex mcp get\` and \`codex mcp list\` only print the entry)`;
    const notes = [exportNote(envVar, 'Codex'), check];
    if (request.scope === 'project') notes.push('Codex reads a project .codex/config.toml only in a project you marked trusted');
    return {
      client: 'codex',
      scope: request.scope,
      snippet: `# ${file}\n${renderTomlTable(['mcp_servers', request.name], table)}`.trimEnd(),
      target: { file, holdsKey: false, edit: (existing, shown) => setTomlTable(existing, shown, 'mcp_servers', request.name, table) },
      envVar,
      notes,
    };
  },
};
