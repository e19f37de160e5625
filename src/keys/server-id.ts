import { createHash } from 'node:crypto';

/**
 * The id LiteLLM gives a server defined in config.yaml: sha256("name|url|transport|auth_type|alias")[:32]
 * (`_generate_stable_server_id`). Grants hold these ids: every LiteLLM version matches ids, while names
 * only match in newer ones. mcpgw always renders `transport` explicitly, so the value here is exact.
 */
export function stableServerId(name: string, entry: Record<string, unknown>): string {
  const url = typeof entry.url === 'string' ? entry.url : '';
  const transport = String(entry.transport);
  const authType = typeof entry.auth_type === 'string' ? entry.auth_type : '';
  const alias = typeof entry.alias === 'string' ? entry.alias : '';
  return createHash('sha256').update(`${name}|${url}|${transport}|${authType}|${alias}`, 'utf8').digest('hex').slice(0, 32);
}
