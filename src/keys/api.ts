import { StepFailed } from '../errors.js';
import { fetchWithTimeout } from '../gateway/http.js';
import type { DesiredKey } from './desired.js';

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
      body: JSON.stringify({
        key,
        key_alias: desired.alias,
        models: desired.models,
        allowed_routes: desired.allowedRoutes,
        object_permission: {
          mcp_servers: desired.mcpServers,
          mcp_access_groups: desired.mcpGroups,
          ...(Object.keys(desired.toolPermissions).length > 0 ? { mcp_tool_permissions: desired.toolPermissions } : {}),
        },
        ...(desired.expiresInSeconds ? { duration: `${desired.expiresInSeconds}s` } : {}),
        ...(desired.budget !== undefined ? { max_budget: desired.budget } : {}),
        ...(desired.budgetDuration !== undefined ? { budget_duration: desired.budgetDuration } : {}),
        ...(desired.rpmLimit !== undefined ? { rpm_limit: desired.rpmLimit } : {}),
        ...(desired.tpmLimit !== undefined ? { tpm_limit: desired.tpmLimit } : {}),
        ...(desired.maxParallelRequests !== undefined ? { max_parallel_requests: desired.maxParallelRequests } : {}),
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
