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

/** Runs a command in a container (as `user`, with `env`): its exit code and its stdout and stderr as text. */
export async function execIn(docker: Docker, container: string, cmd: string[], env: string[] = [], user?: string): Promise<{ code: number; output: string }> {
  const handle = await docker.getContainer(container).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
  const stream = await handle.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return { code: (await handle.inspect()).ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
}

/** Docker's attach stream without its frame headers (1 byte stream, 3 zero, 4 bytes length; stdout and stderr alike). */
function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; at += 8 + raw.readUInt32BE(at + 4)) parts.push(raw.subarray(at + 8, at + 8 + raw.readUInt32BE(at + 4)));
  return Buffer.concat(parts).toString('utf8');
}
