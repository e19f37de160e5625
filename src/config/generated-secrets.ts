import { GENERATED_POSTGRES_SECRETS } from './postgres-roles.js';
import type { McpgwConfig } from './schema.js';

/** The password of a swarm stack's coordination Redis: Redis requires it, LiteLLM presents it (config.yaml). */
export const REDIS_PASSWORD_SECRET = 'MCPGW_REDIS_PASSWORD';

/** Every secret mcpgw generates itself: `init` or `up` writes it, never the user. */
export const GENERATED_SECRETS: readonly string[] = [...GENERATED_POSTGRES_SECRETS, REDIS_PASSWORD_SECRET];

/** The generated secrets a stack uses: its own Postgres roles' passwords when bundled, Redis's on a swarm. */
export function generatedSecretsFor(config: Pick<McpgwConfig, 'postgres' | 'engine'>): string[] {
  return [...(config.postgres.mode === 'bundled' ? GENERATED_POSTGRES_SECRETS : []), ...(config.engine === 'swarm' ? [REDIS_PASSWORD_SECRET] : [])];
}
