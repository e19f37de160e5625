/**
 * The roles mcpgw keeps in the bundled Postgres beside LiteLLM's own (`postgres.user`), and the secrets that hold
 * their passwords. LiteLLM's role is an ordinary role owning its database; it may not log in from the Docker host,
 * so a password read from LiteLLM's environment (or a process list) is useless there.
 *
 * - The admin is the bootstrap superuser (the container's POSTGRES_USER). mcpgw uses it only through `docker exec`
 *   over the container's local socket; pg_hba refuses it over TCP and it holds no password after the first `up`.
 * - The keys role is how mcpgw itself reaches LiteLLM's tables from the host (key management, doctor): rows only
 *   (SELECT, INSERT, UPDATE, DELETE), no DDL, no ownership. Its password is in the secrets file alone, never in a
 *   container's environment.
 */
export const POSTGRES_ADMIN_ROLE = 'mcpgw_admin';
export const POSTGRES_KEYS_ROLE = 'mcpgw_keys';
/** Only the container's first start reads it (the images insist on one); mcpgw clears the role's password then. */
export const POSTGRES_ADMIN_PASSWORD_SECRET = 'MCPGW_POSTGRES_ADMIN_PASSWORD';
export const POSTGRES_KEYS_PASSWORD_SECRET = 'MCPGW_POSTGRES_KEYS_PASSWORD';

/** Names `postgres.user` may not take. */
export const RESERVED_POSTGRES_ROLES: readonly string[] = [POSTGRES_ADMIN_ROLE, POSTGRES_KEYS_ROLE, 'mcpgw_migrate'];

/** Secrets mcpgw generates itself: `init` writes them, `up` adds those an older secrets file lacks. */
export const GENERATED_POSTGRES_SECRETS: readonly string[] = [POSTGRES_ADMIN_PASSWORD_SECRET, POSTGRES_KEYS_PASSWORD_SECRET];
