import { GENERATED_POSTGRES_SECRETS } from './postgres-roles.js';
import type { McpgwConfig } from './schema.js';

/** The password of a swarm stack's coordination Redis: Redis requires it, LiteLLM presents it (config.yaml). */
export const REDIS_PASSWORD_SECRET = 'MCPGW_REDIS_PASSWORD';

/**
 * The LiteLLM key Prometheus scrapes /metrics with (observability.prometheus): a virtual key whose allowed_routes
 * admit /metrics alone, so the master key never leaves the gateway host for scraping.
 */
export const METRICS_KEY_SECRET = 'MCPGW_METRICS_KEY';

/** Every secret mcpgw generates itself: `init` or `up` writes it, never the user. */
export const GENERATED_SECRETS: readonly string[] = [...GENERATED_POSTGRES_SECRETS, REDIS_PASSWORD_SECRET, METRICS_KEY_SECRET];

/** Generated secrets that are LiteLLM keys, which LiteLLM accepts only with its `sk-` prefix. */
export const GENERATED_KEY_SECRETS: readonly string[] = [METRICS_KEY_SECRET];

/**
 * The generated secrets a stack uses: its own Postgres roles' passwords when bundled, Redis's on a swarm, the
 * scrape key when Prometheus scrapes it.
 */
export function generatedSecretsFor(config: Pick<McpgwConfig, 'postgres' | 'engine' | 'observability'>): string[] {
  return [
    ...(config.postgres.mode === 'bundled' ? GENERATED_POSTGRES_SECRETS : []),
    ...(config.engine === 'swarm' ? [REDIS_PASSWORD_SECRET] : []),
    ...(config.observability?.prometheus?.enabled ? [METRICS_KEY_SECRET] : []),
  ];
}
