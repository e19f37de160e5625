import path from 'node:path';
import { authEnvVar, exportNote, KEY_HEADER } from './auth.js';
import { renderTomlTable, setTomlTable } from './toml-edit.js';
import type { ClientFormat, ClientRequest } from './types.js';

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
  plan(request: ClientRequest) {
    const envVar = authEnvVar(request.name);
    const table = { url: request.url, env_http_headers: { [KEY_HEADER]: envVar } };
    const home = request.env.CODEX_HOME ?? path.join(request.home, '.codex');
    const file = request.scope === 'user' ? path.join(home, 'config.toml') : path.join(request.cwd, '.codex', 'config.toml');
    const notes = [exportNote(envVar, 'Codex'), 'check with `codex mcp get ' + request.name + '` (codex mcp list does not connect; /mcp inside codex does)'];
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
