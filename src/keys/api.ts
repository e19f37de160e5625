import { StepFailed } from '../errors.js';
import { fetchWithTimeout } from '../gateway/http.js';
import type { DesiredKey } from './desired.js';
import { declaredSettings, GRANTS, TOKENS } from './key-table.js';

/**
 * The API path: LiteLLM's own POST /key/generate with the master key, for setups where mcpgw should not write
 * LiteLLM's tables itself. It sends the same alias, models, grants (server ids), budget and lifetime, and the
 * given key, so the row it creates matches the one `keys create` writes directly.
 */
export async function generateKeyViaApi(baseUrl: string, masterKey: string, key: string, desired: DesiredKey): Promise<void> {
  const response = await fetchWithTimeout(
    `${baseUrl}/key/generate`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${masterKey}` },
      // LiteLLM's request takes the declared settings under their column names; the key itself, never its hash.
      body: JSON.stringify({
        key,
        ...withoutHash(declaredSettings(desired, TOKENS)),
        object_permission: declaredSettings(desired, GRANTS),
        ...(desired.expiresInSeconds ? { duration: `${desired.expiresInSeconds}s` } : {}),
      }),
    },
    30_000,
  );
  if (!response.ok) {
    const body = await response.text();
    throw new StepFailed(
      `LiteLLM's /key/generate answered HTTP ${response.status}: ${body.slice(0, 300)}`,
      'check that the proxy runs with its database (`mcpgw status`) and that the master key in the secrets file is current',
    );
  }
}

function withoutHash({ token: _hash, ...settings }: Record<string, unknown>): Record<string, unknown> {
  return settings;
}
