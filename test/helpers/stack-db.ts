import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import pg from 'pg';
import { parseSecrets } from '../../src/config/secrets.js';
import { dockerEngine } from '../../src/docker/engine.js';

/**
 * A bundled stack's database as mcpgw reaches it from this machine: its keys role (rows of LiteLLM's tables, no
 * DDL), the password from the stack's secrets file, at the container's address on `<stack>-pg`. LiteLLM's own
 * role is refused from this machine.
 */
export async function keysRoleClient(docker: Docker, stack: string, dir: string): Promise<pg.Client> {
  const info = await docker.getContainer(`${stack}-postgres`).inspect();
  const password = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('MCPGW_POSTGRES_KEYS_PASSWORD');
  const client = new pg.Client({ host: info.NetworkSettings.Networks[`${stack}-pg`]?.IPAddress, user: 'mcpgw_keys', password, database: 'litellm' });
  await client.connect();
  return client;
}

/**
 * SQL as LiteLLM's role (the owner of its schema and tables) through psql inside the Postgres container, over its
 * socket: for the DDL a test needs (wiping the schema, a trigger), which mcpgw's keys role may not do.
 */
export async function asOwner(docker: Docker, stack: string, sql: string): Promise<string> {
  const { code, output } = await execIn(docker, `${stack}-postgres`, [
    'psql',
    '-X',
    '-q',
    '-At',
    '-v',
    'ON_ERROR_STOP=1',
    '-U',
    'litellm',
    '-d',
    'litellm',
    '-c',
    sql,
  ]);
  if (code !== 0) throw new Error(`psql as litellm in ${stack}-postgres exited ${code}: ${output}`);
  return output;
}

/** Runs a command in a container (as `user`, with `env`) through the product's engine: its exit code and output. */
export async function execIn(docker: Docker, container: string, cmd: string[], env: string[] = [], user?: string): Promise<{ code: number; output: string }> {
  const { exitCode, output } = await dockerEngine(docker).exec(container, cmd, env, user);
  return { code: exitCode, output };
}
