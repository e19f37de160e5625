import { KEY_HEADER } from '../gateway/key-header.js';
import { bearer } from './auth.js';
import type { ClientFormat, ClientRequest } from './types.js';

/** The environment variable `client-config openwebui --apply` reads Open WebUI's admin token from (never a flag: argv is visible to all). */
export const OPENWEBUI_TOKEN_VAR = 'OPENWEBUI_ADMIN_TOKEN';

/** One entry of Open WebUI's TOOL_SERVER_CONNECTIONS, as its admin API (routers/configs.py) takes and returns it. */
export interface OpenWebuiConnection {
  type: string;
  url: string;
  path: string;
  auth_type: string;
  key: string;
  headers: Record<string, string>;
  config: { enable: boolean; access_grants: { principal_type: string; principal_id: string; permission: string }[] };
  info: { id: string; name: string; description: string };
}

/**
 * The connection for the gateway, the same whether seeded, pasted or applied through the admin API (0.12.4):
 * - `path` is required by the admin API's schema even for MCP (without it the Integrations page gets a 500 and
 *   verify/save a 422), so it is present and empty;
 * - a connection without `config.access_grants` is admin-only; the wildcard user read grant lets every user use
 *   the tools (the key is the gateway's boundary, not Open WebUI's users);
 * - type "mcp" needs info.id (its tools are `server:mcp:<id>`);
 * - the key goes in `headers` as x-litellm-api-key with auth_type none: auth_type bearer would send
 *   `Authorization: Bearer <key>`, which LiteLLM also takes, but LiteLLM reads its own header first and treats
 *   Authorization as a possible upstream OAuth token, so mcpgw never relies on it.
 */
export function openWebuiConnection(request: Pick<ClientRequest, 'name' | 'url' | 'key'>): OpenWebuiConnection {
  return {
    type: 'mcp',
    url: request.url,
    path: '',
    auth_type: 'none',
    key: '',
    headers: { [KEY_HEADER]: bearer(request.key) },
    config: { enable: true, access_grants: [{ principal_type: 'user', principal_id: '*', permission: 'read' }] },
    info: { id: request.name, name: request.name, description: 'MCP tools through the LiteLLM gateway' },
  };
}

/** Where the admin page with the tool servers is: Open WebUI opens its settings dialog from this query. */
export const OPENWEBUI_INTEGRATIONS_PATH = '/?settings=admin:integrations';

/**
 * Open WebUI keeps tool servers in its database, so there is no file to write: mcpgw prints the admin-UI steps
 * (v0.6.31+ speaks MCP streamable HTTP natively) and the TOOL_SERVER_CONNECTIONS value, which Open WebUI reads
 * on first boot only; `--apply` puts the same connection into a running instance through its admin API.
 */
export const openWebui: ClientFormat = {
  id: 'openwebui',
  title: 'Open WebUI',
  scopes: ['user'],
  defaultScope: 'user',
  files: () => [],
  plan(request: ClientRequest) {
    const connection = openWebuiConnection(request);
    const snippet = [
      `Open WebUI 0.12 as an admin: Settings → Admin → Tools → Integrations (or open <Open WebUI URL>${OPENWEBUI_INTEGRATIONS_PATH})`,
      '  1. External Tool Servers → + (Add Connection); Type: MCP (Streamable HTTP)',
      `  2. URL: ${request.url}; Auth: None`,
      `  3. Advanced → Headers: {"${KEY_HEADER}": "${bearer(request.key)}"}`,
      `  4. ID: ${request.name}, Name: ${request.name}; Access: Public (every user), else only admins see the tools`,
      '  5. Verify the connection, Save; in a chat enable the tools under + → Tools',
      `The key travels in ${KEY_HEADER}, LiteLLM's own header: Auth "Bearer" would send it as Authorization, which LiteLLM also`,
      'accepts but may read as an upstream OAuth token.',
      '',
      'Or seed a new instance (read on first boot only) with:',
      `TOOL_SERVER_CONNECTIONS='${JSON.stringify([connection])}'`,
      '',
      `Or merge it into a running instance, with an admin's token in ${OPENWEBUI_TOKEN_VAR}: mcpgw client-config openwebui --apply <Open WebUI URL>`,
    ].join('\n');
    return {
      client: 'openwebui',
      scope: 'user',
      snippet,
      notes: [
        'seeding through TOOL_SERVER_CONNECTIONS is ignored once the setting is stored in the database: use --apply or the admin UI on a running instance',
        'Open WebUI before 0.6.31 has no MCP client: run the mcpo bridge (it turns MCP into OpenAPI) and add it as an OpenAPI tool server instead',
      ],
    };
  },
};

/** How the wanted connection relates to what the instance holds. */
export type ConnectionMerge = { action: 'unchanged' | 'added' | 'replaced'; connections: Record<string, unknown>[] };

/** True when every field mcpgw sets has the same value in `found` (Open WebUI adds fields of its own, e.g. forward_cookies). */
function holds(found: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return found === wanted;
  if (found === null || typeof found !== 'object' || Array.isArray(wanted) !== Array.isArray(found)) return false;
  const foundRecord = found as Record<string, unknown>;
  if (Array.isArray(wanted)) return wanted.length === (found as unknown[]).length && wanted.every((item, i) => holds(foundRecord[i], item));
  return Object.entries(wanted).every(([field, value]) => holds(foundRecord[field], value));
}

/**
 * The instance's connections with the gateway's in them: an MCP connection with the same info.id is replaced in
 * place (Open WebUI names its tools by it), unless it already holds everything mcpgw sets; other connections stay.
 */
export function mergeConnection(existing: Record<string, unknown>[], wanted: OpenWebuiConnection): ConnectionMerge {
  const index = existing.findIndex((entry) => entry.type === 'mcp' && (entry.info as { id?: unknown } | undefined)?.id === wanted.info.id);
  if (index === -1) return { action: 'added', connections: [...existing, { ...wanted }] };
  if (holds(existing[index], wanted)) return { action: 'unchanged', connections: existing };
  return { action: 'replaced', connections: existing.map((entry, i) => (i === index ? { ...wanted } : entry)) };
}
