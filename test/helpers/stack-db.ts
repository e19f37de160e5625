import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import pg from 'pg';
import { parseSecrets } from '../../src/config/secrets.js';

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
  const handle = await docker
    .getContainer(`${stack}-postgres`)
    .exec({ Cmd: ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'litellm', '-d', 'litellm', '-c', sql], AttachStdout: true, AttachStderr: true });
  const stream = await handle.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const output = Buffer.concat(chunks).toString('utf8');
  const code = (await handle.inspect()).ExitCode;
  if (code !== 0) throw new Error(`psql as litellm in ${stack}-postgres exited ${code}: ${output}`);
  return output;
}
