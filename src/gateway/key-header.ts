/**
 * LiteLLM's own key header, which it reads before Authorization: clients and upstream servers may use
 * Authorization for OAuth of their own, so mcpgw never relies on it.
 */
export const KEY_HEADER = 'x-litellm-api-key';

/** The header value LiteLLM expects: `Bearer sk-…`. */
export function keyHeaderValue(key: string): string {
  return `Bearer ${key}`;
}
