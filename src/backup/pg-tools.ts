import { spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Engine } from '../docker/engine.js';
import { StepFailed, UserError } from '../errors.js';

/** pg_dump and psql against LiteLLM's database, wherever they run. */
export interface PgTools {
  /** Where the tools run, for messages. */
  readonly where: string;
  /** A consistent plain-SQL dump of the `public` schema (pg_dump takes one snapshot) into `sink`. */
  dump(sink: Writable): Promise<void>;
  /** Feeds `sql` to psql, stopping at the first error (the SQL brings its own BEGIN/COMMIT). */
  restore(sql: Readable): Promise<void>;
}

/**
 * LiteLLM keeps everything in `public`. Owners and grants are left out so the dump restores into a database
 * whose role has another name (e.g. moving from bundled to external).
 */
const DUMP_ARGS = ['--schema=public', '--no-owner', '--no-privileges'];
/** ON_ERROR_STOP: the first error ends psql, and with it the open transaction (rolled back). */
const RESTORE_ARGS = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'];

/** The bundled Postgres: the tools of the Postgres image itself, over its local socket, as the stack's role. */
export function containerPgTools(engine: Engine, container: string, user: string, database: string): PgTools {
  const run = async (cmd: string[], io: { stdout: Writable; stdin?: Readable }, what: string) => {
    const result = await engine.execStreaming(container, cmd, io);
    if (result.exitCode !== 0) throw new StepFailed(`${what} in ${container} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  };
  return {
    where: `container ${container}`,
    dump: (sink) => run(['pg_dump', '-U', user, '-d', database, ...DUMP_ARGS], { stdout: sink }, 'pg_dump'),
    restore: (sql) => run(['psql', '-U', user, '-d', database, ...RESTORE_ARGS], { stdout: discard(), stdin: sql }, 'psql restore'),
  };
}

/**
 * An external database: this machine's pg_dump and psql (package postgresql-client). The password goes in
 * PGPASSWORD, never on a command line where `ps` would show it.
 */
export function localPgTools(url: string, env: Readonly<Record<string, string | undefined>>): PgTools {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const target = parsed.toString();
  const where = `${decodeURIComponent(parsed.username)}@${parsed.host}${parsed.pathname}`;
  const run = (program: string, args: string[], io: { stdout: Writable; stdin?: Readable }) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(program, args, { env: { ...env, PGPASSWORD: password }, stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout?.pipe(io.stdout, { end: false });
      if (io.stdin && child.stdin) io.stdin.pipe(child.stdin);
      child.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new UserError(`${program} is not installed on this machine`, 'install the PostgreSQL client tools (Debian: apt-get install postgresql-client)')
            : error,
        ),
      );
      child.on('close', (code) => (code === 0 ? resolve() : reject(new StepFailed(`${program} against ${where} failed (exit ${code}): ${stderr.trim()}`))));
    });
  return {
    where,
    dump: (sink) => run('pg_dump', ['-d', target, ...DUMP_ARGS], { stdout: sink }),
    restore: (sql) => run('psql', ['-d', target, ...RESTORE_ARGS], { stdout: discard(), stdin: sql }),
  };
}

/** psql's own output on restore is noise (SET, COPY n): only its exit code and stderr matter. */
function discard(): Writable {
  const sink = new PassThrough();
  sink.resume();
  return sink;
}
