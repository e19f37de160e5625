import { KEY_HEADER } from '../gateway/key-header.js';
import { bearer } from './auth.js';
import type { ClientFormat, ClientRequest } from './types.js';

/**
 * Open WebUI keeps tool servers in its database, so there is no file to write: mcpgw prints the admin-UI steps
 * (v0.6.31+ speaks MCP streamable HTTP natively) and the TOOL_SERVER_CONNECTIONS value, which Open WebUI reads
 * on first boot only. A connection of type "mcp" needs info.id; the key goes in `headers` because bearer auth
 * would send Authorization instead of LiteLLM's header.
 */
export const openWebui: ClientFormat = {
  id: 'openwebui',
  title: 'Open WebUI',
  scopes: ['user'],
  defaultScope: 'user',
  files: () => [],
  plan(request: ClientRequest) {
    const connection = {
      type: 'mcp',
      url: request.url,
      auth_type: 'none',
      key: '',
      headers: { [KEY_HEADER]: bearer(request.key) },
      config: { enable: true },
      info: { id: request.name, name: request.name, description: 'MCP tools through the LiteLLM gateway' },
    };
    const snippet = [
      'Open WebUI 0.6.31 or newer, as an admin:',
      '  1. Admin Panel → Settings → External Tools → + (Add Connection)',
      '  2. Type: MCP (Streamable HTTP)',
      `  3. URL: ${request.url}`,
      `  4. Auth: None; Headers: {"${KEY_HEADER}": "${bearer(request.key)}"}`,
      `  5. ID: ${request.name}, Name: ${request.name}; Save, then enable the tools in a chat (+ → Tools)`,
      '',
      'Or seed a new instance (read on first boot only) with:',
      `TOOL_SERVER_CONNECTIONS='${JSON.stringify([connection])}'`,
    ].join('\n');
    return {
      client: 'openwebui',
      scope: 'user',
      snippet,
      notes: [
        'seeding through TOOL_SERVER_CONNECTIONS is ignored once the setting is stored in the database: use the admin UI on a running instance',
        'Open WebUI before 0.6.31 has no MCP client: run the mcpo bridge (it turns MCP into OpenAPI) and add it as an OpenAPI tool server instead',
      ],
    };
  },
};
