import { POSTGRES_ADMIN_ROLE } from '../config/postgres-roles.js';
import { postgresService } from '../stack/model.js';
import type { DoctorContext } from './context.js';

/**
 * Runs `sql` with psql inside the bundled Postgres container over its local socket, as mcpgw's admin role (what
 * reads pg_authid and pg_hba_file_rules); on a volume `mcpgw up` has not moved over yet there is no admin, and
 * LiteLLM's role is the superuser, so that one is asked. The answer comes even when TCP logins are what is
 * broken. A string explains why nothing could be asked; `container` is the Postgres container's name.
 */
export async function askBundledPostgres(ctx: DoctorContext, sql: string): Promise<{ output: string; container: string } | string> {
  const { config } = await ctx.loaded();
  const container = postgresService(await ctx.model())?.containerName ?? '';
  const docker = await ctx.docker().catch(() => undefined);
  if (!docker) return 'the Docker engine is unreachable, and the bundled Postgres is only asked through it';
  const state = await docker.containerState(container);
  if (!state?.running) return `the Postgres container ${container} is not running`;
  const psql = (role: string) => docker.exec(container, ['psql', '-X', '-q', '-A', '-t', '-U', role, '-d', config.postgres.database, '-c', sql]);
  let result = await psql(POSTGRES_ADMIN_ROLE);
  if (result.exitCode !== 0 && result.output.includes(`role "${POSTGRES_ADMIN_ROLE}" does not exist`)) result = await psql(config.postgres.user);
  if (result.exitCode !== 0) return `psql in ${container} failed: ${result.output.trim().split('\n')[0]}`;
  return { output: result.output, container };
}
