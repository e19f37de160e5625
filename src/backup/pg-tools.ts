import { HARDENING, UNPRIVILEGED_USER } from '../stack/model.js';
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Engine } from '../docker/engine.js';
import { StepFailed, UserError } from '../errors.js';
import { DUMP_TABLE_PATTERNS, SCHEMA_OBJECTS_QUERY } from './litellm-objects.js';

/** pg_dump and psql against LiteLLM's database, wherever they run. */
export interface PgTools {
  /** Where the tools run, for messages. */
  readonly where: string;
  /**
   * A plain-SQL dump of LiteLLM's objects in `public` into `sink` (litellm-objects.ts): its enum types and
   * functions first, then its tables and views as pg_dump writes them (one snapshot); nothing of other applications.
   */
  dump(sink: Writable): Promise<void>;
  /** Feeds `sql` to psql, stopping at the first error (the SQL brings its own BEGIN/COMMIT). */
  restore(sql: Readable): Promise<void>;
}

/**
 * LiteLLM keeps everything in `public`, beside whatever other applications keep there: only its tables and views
 * are selected. Owners and grants are left out so the dump restores into a database whose role has another name
 * (e.g. moving from bundled to external).
 */
const DUMP_ARGS = ['--no-owner', '--no-privileges', ...DUMP_TABLE_PATTERNS.flatMap((pattern) => ['--table', pattern])];
/** LiteLLM's enums and functions as statements, one after another, nothing else on stdout. */
const SCHEMA_OBJECTS_ARGS = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', SCHEMA_OBJECTS_QUERY];
/** ON_ERROR_STOP: the first error ends psql, and with it the open transaction (rolled back). */
const RESTORE_ARGS = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'];
/**
 * psql lexes '…' by the server's standard_conforming_strings: pinned on at connect, it lexes the way the screen
 * did (a database whose default is off would otherwise read backslashes in strings as escapes).
 */
const PGOPTIONS = 'PGOPTIONS=-c standard_conforming_strings=on';
/**
 * The tools run inside a container, never on this machine, and as the image's `postgres` user rather than root:
 * were a meta-command to get past the screen and psql's \restrict, its shell could not touch the container as
 * root. Not `nobody`: PGPASSWORD sits in the process's environment, which every process of the same uid on the
 * host may read, and uid 65534 is shared by many; the postgres uid already owns the server and its data.
 */
const TOOLS_USER = 'postgres';

export interface RoleLogin {
  user: string;
  password: string;
  database: string;
}

/** The tools inside `container`, as `login` over TCP (the password only in the process environment). */
function execTools(
  engine: Engine,
  container: () => Promise<string>,
  target: string[],
  password: string,
  where: string,
  release?: (id: string) => Promise<void>,
) {
  type Step = { program: string; args: string[]; io: { stdout: Writable; stdin?: Readable } };
  /** The steps one after another in one container (a throwaway one is made once for all of them). */
  const run = async (...steps: Step[]) => {
    const id = await container();
    try {
      for (const { program, args, io } of steps) {
        const result = await engine.execStreaming(id, [program, ...target, ...args], {
          ...io,
          env: [`PGPASSWORD=${password}`, PGOPTIONS],
          user: TOOLS_USER,
        });
        if (result.exitCode === 127 || /executable file not found/.test(result.stderr))
          throw new UserError(`${program} is not in the image of ${where}`, 'use a PostgreSQL image (postgres.image) for the database tools');
        if (/invalid command \\restrict/.test(result.stderr))
          throw new StepFailed(
            `psql in ${where} predates \\restrict (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6): it was stopped before running anything`,
            'use a current image of your PostgreSQL major version (postgres.image) and run the restore again',
          );
        if (result.exitCode !== 0) throw new StepFailed(`${program} in ${where} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
      }
    } finally {
      await release?.(id);
    }
  };
  return {
    where,
    // execStreaming never ends its stdout: pg_dump's output follows psql's in the one sink.
    dump: (sink: Writable) =>
      run({ program: 'psql', args: SCHEMA_OBJECTS_ARGS, io: { stdout: sink } }, { program: 'pg_dump', args: DUMP_ARGS, io: { stdout: sink } }),
    restore: (sql: Readable) => run({ program: 'psql', args: RESTORE_ARGS, io: { stdout: discard(), stdin: sql } }),
  } satisfies PgTools;
}

/**
 * The bundled Postgres: the tools of the Postgres image itself, connecting over TCP to 127.0.0.1 as LiteLLM's
 * own role (postgres.user), so a restore can do no more than LiteLLM can. On a swarm, the container of the Postgres
 * task on its node's engine (`place` names it in messages).
 */
export function containerPgTools(engine: Engine, container: string, login: RoleLogin, place = `container ${container}`): PgTools {
  const target = ['-h', '127.0.0.1', '-p', '5432', '-U', login.user, '-d', login.database];
  return execTools(engine, async () => container, target, login.password, `${place} (as ${login.user})`);
}

export interface HelperSpec {
  /** The stack's Postgres image (postgres.image), for its client tools. */
  image: string;
  /** The networks LiteLLM reaches the database from. */
  networks: string[];
  /** Prefix of the throwaway container's name. */
  name: string;
  labels: Record<string, string>;
}

/**
 * An external database: the client tools of the stack's Postgres image in a throwaway container on the networks
 * LiteLLM reaches the database from — never this machine's psql, whose `\!` would run a shell as the user
 * running mcpgw. The password is passed to the tool's process only (PGPASSWORD), never on a command line.
 */
export function helperPgTools(engine: Engine, url: string, helper: HelperSpec): PgTools {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const where = `${decodeURIComponent(parsed.username)}@${parsed.host}${parsed.pathname}`;
  const start = async () => {
    if (!(await engine.imageId(helper.image)))
      throw new UserError(
        `the Postgres image ${helper.image} is not on this machine; backup and restore run its pg_dump and psql`,
        `docker pull ${helper.image} (or set postgres.image to a PostgreSQL image you have)`,
      );
    const id = await engine.createContainer({
      name: `${helper.name}-${randomBytes(4).toString('hex')}`,
      image: helper.image,
      entrypoint: ['sleep', 'infinity'],
      env: [],
      labels: helper.labels,
      ports: [],
      networks: helper.networks.map((name) => ({ name, aliases: [] })),
      mounts: [],
      // As every container of the stack: nobody, no capability, no privilege gained through setuid binaries.
      user: UNPRIVILEGED_USER,
      capDrop: [...HARDENING.capDrop],
      capAdd: [],
      securityOpt: [...HARDENING.securityOpt],
    });
    try {
      await engine.startContainer(id);
    } catch (error) {
      await engine.removeContainer(id);
      throw error;
    }
    return id;
  };
  return execTools(engine, start, ['-d', parsed.toString()], password, `a ${helper.image} container for ${where}`, (id) => engine.removeContainer(id));
}

/** psql's own output on restore is noise (SET, COPY n): only its exit code and stderr matter. */
function discard(): Writable {
  const sink = new PassThrough();
  sink.resume();
  return sink;
}
