import { createHash } from 'node:crypto';

/**
 * The id LiteLLM derives for a config.yaml server without a pinned `server_id`:
 * sha256("name|url|transport|auth_type|alias")[:32] (`_generate_stable_server_id`). It changes with the URL,
 * so grants holding it break when a server moves; mcpgw now pins ids and only needs this to migrate old grants.
 */
export function stableServerId(name: string, entry: Record<string, unknown>): string {
  const url = typeof entry.url === 'string' ? entry.url : '';
  const transport = String(entry.transport);
  const authType = typeof entry.auth_type === 'string' ? entry.auth_type : '';
  const alias = typeof entry.alias === 'string' ? entry.alias : '';
  return createHash('sha256').update(`${name}|${url}|${transport}|${authType}|${alias}`, 'utf8').digest('hex').slice(0, 32);
}

/**
 * The `server_id` mcpgw pins on each config.yaml server (LiteLLM 1.108.7 uses a pinned id verbatim,
 * `_pinned_config_server_id`): derived from the stack and the server name only, so a changed URL, transport or
 * path keeps every grant. Same shape as LiteLLM's derived ids (32 hex characters), never a server name.
 */
export function pinnedServerId(stack: string, name: string): string {
  return createHash('sha256').update(`mcpgw|${stack}|${name}`, 'utf8').digest('hex').slice(0, 32);
}

/** The id LiteLLM uses for a rendered config.yaml entry: its pinned `server_id`, else the derived one. */
export function configServerId(name: string, entry: Record<string, unknown>): string {
  return typeof entry.server_id === 'string' ? entry.server_id : stableServerId(name, entry);
}
