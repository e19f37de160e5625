import { POSTGRES_KEYS_PASSWORD_SECRET, POSTGRES_KEYS_ROLE } from '../config/postgres-roles.js';
import type { Secrets } from '../config/secrets.js';
import type { Engine } from '../docker/engine.js';
import { litellmService, postgresService, type StackModel } from '../stack/model.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import { StepFailed } from '../errors.js';

export interface ProvisionTarget {
  containerId: string;
  /** The bootstrap superuser mcpgw works as, only over the container's local socket. */
  admin: string;
  /** LiteLLM's role, its password (from the secrets file) and the database it owns. */
  user: string;
  password: string;
  database: string;
  /** mcpgw's own role for LiteLLM's rows from this machine (src/db/connect.ts), and its password. */
  keysUser: string;
  keysPassword: string;
  /** This machine's own addresses on the container's networks: LiteLLM's role is refused from them. */
  hostAddresses: string[];
}

/**
 * The roles and secrets as the model gives them: the container's POSTGRES_USER is the admin, LiteLLM's DATABASE_URL
 * names its role and database, mcpgw's keys role is mcpgw's own (src/config/postgres-roles.ts). The container and
 * this machine's addresses on its networks are the caller's to find.
 */
export function bundledProvisionTarget(model: StackModel, secrets: Secrets): Omit<ProvisionTarget, 'containerId' | 'hostAddresses'> {
  const admin = postgresService(model)?.environment.POSTGRES_USER;
  const url = litellmService(model).secretEnv.find((env) => env.name === 'DATABASE_URL');
  if (!admin || url?.kind !== 'postgres-url') throw new Error('bundled Postgres service is incomplete');
  const secret = (name: string) => secrets.get(name) ?? '';
  return {
    admin,
    user: url.user,
    password: secret(url.passwordSecret),
    database: url.database,
    keysUser: POSTGRES_KEYS_ROLE,
    keysPassword: secret(POSTGRES_KEYS_PASSWORD_SECRET),
  };
}

export interface ProvisionReport {
  actions: string[];
}

/** Attributes LiteLLM's role and mcpgw's keys role never hold: with any of them a password is a key to the server. */
const ORDINARY = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
const PRIVILEGED = 'rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls';
/** A superuser made only to rename the bootstrap role of an old volume, dropped right after. */
const MIGRATE_ROLE = 'mcpgw_migrate';
const HBA_BEGIN = '# mcpgw:begin (written by `mcpgw up` on every run; edits between these lines are replaced)';
const HBA_END = '# mcpgw:end';
/** Objects of a database outside the system schemas, which LiteLLM's migrations and start-up create. */
const USER_SCHEMA = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`;

/**
 * Makes the bundled Postgres hold LiteLLM's role as an ordinary role owning its database, mcpgw's keys role with
 * row access to LiteLLM's tables, both with SCRAM-SHA-256 passwords, and pg_hba lines that refuse LiteLLM's role
 * from this machine and the admin over TCP; then proves both logins over TCP inside the container. Runs on every
 * `up`, so anything changed by hand since (a hash, a password, an attribute, the hba lines) is repaired in that
 * run, and a volume made before mcpgw had an admin role (LiteLLM's role was the bootstrap superuser) is moved
 * to this shape with every row kept. All SQL runs in psql inside the container over its local socket; passwords
 * travel only in the exec's environment, never in a command line.
 */
export async function provisionBundledPostgres(engine: Engine, target: ProvisionTarget, clock: Clock): Promise<ProvisionReport> {
  const actions: string[] = [];
  // On a new volume the image's entrypoint first runs a temporary socket-only server (init scripts), and the
  // socket healthcheck can pass against it just before it shuts down ("the database system is shutting
  // down"). Only the final server listens on TCP, so wait for that one.
  await waitUntil(
    'Postgres accepting TCP connections after its first-start initialisation',
    async () => {
      const ready = await engine.exec(target.containerId, ['pg_isready', '-h', '127.0.0.1', '-U', target.admin]);
      if (ready.exitCode !== 0) throw new Error(ready.output.trim() || `pg_isready exited ${ready.exitCode}`);
      return true;
    },
    { timeoutMs: 60_000, clock },
  );
  const psql = containerPsql(engine, target.containerId);
  const asAdmin = (sql: string[], database = 'postgres', vars: Record<string, string> = {}) => psql.run(target.admin, sql, database, vars);

  const probe = await psql.attempt(target.admin, ['SELECT 1'], 'postgres');
  if (probe.exitCode !== 0) {
    if (!new RegExp(`role "${target.admin}" does not exist`).test(probe.output)) throw psqlFailed(probe.output);
    actions.push(await adoptOldVolume(psql, target));
  }

  // One round trip for everything a kept Postgres is checked for on every run (a warm `up` stays fast).
  const facts = (
    await asAdmin([
      'SHOW password_encryption',
      roleFacts(target.user),
      roleFacts(target.keysUser),
      `SELECT coalesce((SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${quoteLiteral(target.database)}), '')`,
      `SELECT coalesce(string_agg(DISTINCT auth_method, ','), 'none') FROM pg_hba_file_rules ` +
        `WHERE type LIKE 'host%' AND auth_method IN ('md5', 'password', 'trust')`,
      `SELECT (SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = ${quoteLiteral(target.admin)}) OR ` +
        `EXISTS (SELECT FROM pg_roles WHERE rolname = '${MIGRATE_ROLE}')`,
      'SHOW hba_file',
    ])
  )
    .split('\n')
    .map((line) => line.trim());
  const [encryption, userFacts = '', keysFacts = '', owner, weakRules, adminLeftovers, hbaFile = ''] = facts;
  if (encryption !== 'scram-sha-256') {
    throw new StepFailed(
      `Postgres stores new passwords as ${encryption}, not scram-sha-256`,
      'start postgres with -c password_encryption=scram-sha-256 (mcpgw render does)',
    );
  }

  const statements: string[] = [`SET password_encryption = 'scram-sha-256'`, 'SET client_min_messages = warning'];
  statements.push(...converge(target.user, 'pw', userFacts, `LiteLLM's role ${target.user}`, actions));
  statements.push(...converge(target.keysUser, 'keyspw', keysFacts, `mcpgw's keys role ${target.keysUser}`, actions));
  if (adminLeftovers === 't') {
    // The admin is used only through the socket (trust); with no password it cannot log in any other way.
    // Also the end of an adoption cut short after its rename (adoptOldVolume).
    statements.push(`ALTER ROLE ${quoteIdent(target.admin)} SUPERUSER PASSWORD NULL`, `DROP ROLE IF EXISTS ${MIGRATE_ROLE}`);
  }
  if (owner === '') {
    statements.push(`CREATE DATABASE ${quoteIdent(target.database)} OWNER ${quoteIdent(target.user)}`);
    actions.push(`created database ${target.database}`);
  } else if (owner !== target.user) {
    statements.push(`ALTER DATABASE ${quoteIdent(target.database)} OWNER TO ${quoteIdent(target.user)}`);
    actions.push(`gave database ${target.database} to ${target.user} (was ${owner}'s)`);
  }
  await asAdmin(statements, 'postgres', { pw: target.password, keyspw: target.keysPassword });

  // LiteLLM may be migrating this database right now (it migrates at start-up): these statements can then meet
  // its ALTER TABLEs on the same catalog rows. Both are convergent, so a lost race is simply run again.
  const handed = Number(await asAdmin([countAdminObjects()], target.database));
  if (handed > 0) {
    await againAfterCatalogRace(() => asAdmin([reownAdminObjects(target.user)], target.database), clock);
    actions.push(`handed ${handed} of LiteLLM's tables, views, sequences, types and functions from the superuser to ${target.user}`);
  }
  await againAfterCatalogRace(() => asAdmin(keysGrants(target), target.database), clock);

  if (weakRules !== 'none') {
    throw new StepFailed(
      `pg_hba.conf allows ${weakRules} for TCP connections`,
      'use scram-sha-256 for every host line (POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 on a new volume)',
    );
  }
  if (await writeHba(engine, target.containerId, hbaFile, hbaBlock(target))) {
    const errors = await asAdmin([`SELECT coalesce(string_agg(line_number || ': ' || error, '; '), '') FROM pg_hba_file_rules WHERE error IS NOT NULL`]);
    if (errors !== '') throw new StepFailed(`pg_hba.conf has errors after mcpgw's lines were written: ${errors}`, `fix ${hbaFile} in the Postgres container`);
    await asAdmin(['SELECT pg_reload_conf()']);
    actions.push(`pg_hba: ${target.user} refused from this machine (${target.hostAddresses.join(', ') || 'no gateway'}), ${target.admin} refused over TCP`);
  }

  await proveLogin(psql, target, target.user, target.password, 'pw', actions);
  await proveLogin(psql, target, target.keysUser, target.keysPassword, 'keyspw', actions);
  return { actions };
}

interface ContainerPsql {
  /** Runs a script as `role` over the local socket; `vars` become psql variables (:'name'), read from the exec's environment. */
  attempt(role: string, sql: string[], database: string, vars?: Record<string, string>): Promise<{ exitCode: number; output: string }>;
  run(role: string, sql: string[], database: string, vars?: Record<string, string>): Promise<string>;
  /** A TCP login to 127.0.0.1 inside the container, the password in PGPASSWORD. */
  tcpLogin(role: string, password: string, database: string): Promise<{ exitCode: number; output: string }>;
}

function containerPsql(engine: Engine, container: string): ContainerPsql {
  const attempt: ContainerPsql['attempt'] = (role, sql, database, vars = {}) => {
    // A script on psql's stdin, not -c: psql interpolates variables (:'pw', quoted by psql itself) only in scripts.
    const names = Object.keys(vars);
    const script = [...names.map((name) => `\\getenv ${name} MCPGW_VAR_${name}`), ...sql.map((statement) => `${statement};`)].join('\n');
    const run = 'printf \'%s\\n\' "$MCPGW_SQL" | psql -X -q -At -v ON_ERROR_STOP=1 -U "$MCPGW_USER" -d "$MCPGW_DATABASE"';
    return engine.exec(
      container,
      ['sh', '-c', run],
      [...names.map((name) => `MCPGW_VAR_${name}=${vars[name]}`), `MCPGW_SQL=${script}`, `MCPGW_USER=${role}`, `MCPGW_DATABASE=${database}`],
    );
  };
  return {
    attempt,
    async run(role, sql, database, vars) {
      const result = await attempt(role, sql, database, vars);
      if (result.exitCode !== 0) throw psqlFailed(result.output);
      return result.output.trim();
    },
    tcpLogin: (role, password, database) =>
      engine.exec(container, ['psql', '-X', '-At', '-h', '127.0.0.1', '-U', role, '-d', database, '-c', 'SELECT current_user'], [`PGPASSWORD=${password}`]),
  };
}

/**
 * PostgreSQL does not serialise two sessions changing the same catalog row (a GRANT on a table that a migration
 * is altering): the loser fails with "tuple concurrently updated", or "deadlock detected" when each waits on a row
 * the other holds. Runs `script` again while it loses that race,
 * up to RACE_ATTEMPTS times; any other failure, or the last one, is thrown as it is.
 */
async function againAfterCatalogRace(script: () => Promise<string>, clock: Clock): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await script();
    } catch (error) {
      if (attempt >= RACE_ATTEMPTS || !(error instanceof StepFailed && CATALOG_RACE.test(error.message))) throw error;
      await clock.sleep(500 * attempt);
    }
  }
}

const CATALOG_RACE = /tuple concurrently (updated|deleted)|deadlock detected/;
const RACE_ATTEMPTS = 6;

function psqlFailed(output: string): StepFailed {
  return new StepFailed(`psql in the Postgres container failed: ${output.trim()}`);
}

/**
 * A volume initialised before mcpgw had an admin role: LiteLLM's role is the bootstrap superuser, which
 * PostgreSQL 16 will not let lose SUPERUSER (15 does, and then no superuser is left). So a second, temporary
 * superuser renames it to the admin (a role cannot rename itself), and the caller makes LiteLLM's role afresh as
 * an ordinary one and hands it LiteLLM's objects. LiteLLM's open sessions still run as the renamed superuser:
 * they are ended, and it reconnects as its new role.
 */
async function adoptOldVolume(psql: ContainerPsql, target: ProvisionTarget): Promise<string> {
  const bootstrap = await psql.attempt(target.user, ['SELECT rolname FROM pg_authid WHERE oid = 10'], 'postgres');
  if (bootstrap.exitCode !== 0 || bootstrap.output.trim() !== target.user) {
    throw new StepFailed(
      `the Postgres volume has neither mcpgw's admin role ${target.admin} nor ${target.user} as its superuser`,
      `the volume belongs to another setup: back it up (\`mcpgw backup\`), remove it (\`mcpgw down --volumes\`), \`mcpgw up\`, then \`mcpgw restore\``,
    );
  }
  await psql.run(
    target.user,
    [`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${MIGRATE_ROLE}') THEN CREATE ROLE ${MIGRATE_ROLE} SUPERUSER LOGIN; END IF; END $$`],
    'postgres',
  );
  await psql.run(MIGRATE_ROLE, [`ALTER ROLE ${quoteIdent(target.user)} RENAME TO ${quoteIdent(target.admin)}`], 'postgres');
  await psql.run(
    target.admin,
    [
      `DROP ROLE ${MIGRATE_ROLE}`,
      // PostgreSQL 15 lets the bootstrap role lose SUPERUSER; the admin needs it.
      `ALTER ROLE ${quoteIdent(target.admin)} SUPERUSER`,
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usesysid = 10 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    ],
    'postgres',
  );
  return `renamed the superuser ${target.user} (the old bootstrap role) to ${target.admin}`;
}

/** One line: `absent`, or the stored hash kind and whether the role holds any attribute ORDINARY takes away. */
function roleFacts(role: string): string {
  return (
    `SELECT coalesce((SELECT CASE WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram' WHEN rolpassword LIKE 'md5%' THEN 'md5' ` +
    `WHEN rolpassword IS NULL THEN 'none' ELSE 'other' END || ' ' || CASE WHEN ${PRIVILEGED} OR NOT rolcanlogin THEN 'privileged' ELSE 'ordinary' END ` +
    `FROM pg_authid WHERE rolname = ${quoteLiteral(role)}), 'absent')`
  );
}

/** Statements that bring one login role to an ordinary role with a SCRAM password (psql variable `variable`). */
function converge(role: string, variable: string, facts: string, label: string, actions: string[]): string[] {
  const name = quoteIdent(role);
  if (facts === 'absent') {
    actions.push(`created ${label} (ordinary, SCRAM-SHA-256)`);
    return [`CREATE ROLE ${name} LOGIN ${ORDINARY} PASSWORD :'${variable}'`];
  }
  const [hash, attributes] = facts.split(' ');
  const statements: string[] = [];
  if (attributes !== 'ordinary') {
    statements.push(`ALTER ROLE ${name} LOGIN ${ORDINARY}`);
    actions.push(`made ${label} an ordinary role (no superuser, createdb, createrole, replication or bypassrls)`);
  }
  if (hash !== 'scram') {
    // An md5 hash (e.g. a volume from an older setup) is what broke the seed's logins: re-store it as SCRAM.
    statements.push(`ALTER ROLE ${name} PASSWORD :'${variable}'`);
    actions.push(`re-stored the ${role} password as SCRAM-SHA-256 (was ${hash})`);
  }
  return statements;
}

const ADMIN_OBJECTS = [
  `SELECT count(*) FROM pg_namespace WHERE nspowner = 10 AND ${USER_SCHEMA}`,
  `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = 10 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND ${USER_SCHEMA}`,
  `SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid ` +
    `WHERE t.typowner = 10 AND ${USER_SCHEMA} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))`,
  `SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proowner = 10 AND ${USER_SCHEMA}`,
];

/** How many objects of LiteLLM's database the bootstrap superuser owns: all of them on a volume made the old way. */
function countAdminObjects(): string {
  return `SELECT ${ADMIN_OBJECTS.map((query) => `(${query})`).join(' + ')}`;
}

/**
 * Hands every object of LiteLLM's database that the bootstrap superuser owns to LiteLLM's role. REASSIGN OWNED
 * refuses the bootstrap role (it owns the system catalogs), so each object is altered by kind: tables before
 * sequences (a column's sequence moves with its table), and types that are not a table's row type or an array.
 * ALTER … OWNER keeps every row and rewrites the grants to the new owner.
 */
function reownAdminObjects(user: string): string {
  const to = quoteLiteral(user);
  return `DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace WHERE nspowner = 10 AND ${USER_SCHEMA} LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', item.nspname, ${to});
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = 10 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMA} LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.name, ${to});
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = 10 AND c.relkind = 'S' AND ${USER_SCHEMA} LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.name, ${to});
  END LOOP;
  FOR item IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
      WHERE t.typowner = 10 AND ${USER_SCHEMA} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c')) LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', item.name, ${to});
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proowner = 10 AND ${USER_SCHEMA} LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, ${to});
  END LOOP;
END $$`;
}

/**
 * Rows, not structure: the keys role reads and writes LiteLLM's tables (keys, grants, the migration ledger the
 * doctor reads) and owns nothing. The default privileges cover the tables LiteLLM's later migrations (and a
 * restore, which runs as LiteLLM's role) create; the GRANTs cover those that exist. Repeated on every run.
 */
function keysGrants(target: ProvisionTarget): string[] {
  const keys = quoteIdent(target.keysUser);
  const owner = quoteIdent(target.user);
  return [
    `GRANT CONNECT ON DATABASE ${quoteIdent(target.database)} TO ${keys}`,
    `GRANT USAGE ON SCHEMA public TO ${keys}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${keys}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${keys}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SCHEMAS TO ${keys}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${keys}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE, SELECT ON SEQUENCES TO ${keys}`,
  ];
}

/**
 * mcpgw's lines at the top of pg_hba.conf (the first matching line decides). LiteLLM's role may log in only from
 * the container's own networks and loopback (`samenet`), never from this machine's address on them: a local user
 * who learns its password cannot use it here, nor by binding to another of this machine's addresses (those are
 * not on the container's networks). The admin never logs in over TCP. Everyone else falls through to the image's
 * lines (scram-sha-256).
 */
export function hbaBlock(target: Pick<ProvisionTarget, 'admin' | 'user' | 'hostAddresses'>): string {
  const user = quoteIdent(target.user);
  return [
    HBA_BEGIN,
    `host all ${quoteIdent(target.admin)} all reject`,
    ...[...target.hostAddresses].sort().map((address) => `host all ${user} ${address}/${address.includes(':') ? 128 : 32} reject`),
    `host all ${user} samenet scram-sha-256`,
    `host all ${user} all reject`,
    HBA_END,
  ].join('\n');
}

/**
 * Puts `block` at the top of the hba file unless it is already there (any older mcpgw block is taken out), as
 * the file's owner, through a temporary file renamed over it. True when the file changed (then it needs a reload).
 */
async function writeHba(engine: Engine, container: string, file: string, block: string): Promise<boolean> {
  const lines = block.split('\n').length;
  const script = [
    'set -e',
    'f="$1"',
    'umask 077',
    `if [ "$(head -n ${lines} "$f")" = "$MCPGW_HBA" ]; then echo unchanged; exit 0; fi`,
    `{ printf '%s\\n' "$MCPGW_HBA"; sed '/^# mcpgw:begin/,/^# mcpgw:end/d' "$f"; } > "$f.mcpgw-new"`,
    'mv "$f.mcpgw-new" "$f"',
    'echo changed',
  ].join('\n');
  const result = await engine.exec(container, ['sh', '-c', script, 'sh', file], [`MCPGW_HBA=${block}`], 'postgres');
  if (result.exitCode !== 0) throw new StepFailed(`could not write ${file} in the Postgres container: ${result.output.trim()}`);
  return result.output.trim() === 'changed';
}

/** A SCRAM login over TCP (the path LiteLLM and mcpgw take); a password changed since is set back to the secrets file's. */
async function proveLogin(psql: ContainerPsql, target: ProvisionTarget, role: string, password: string, variable: string, actions: string[]): Promise<void> {
  let login = await psql.tcpLogin(role, password, target.database);
  if (login.exitCode !== 0 && /password authentication failed/.test(login.output)) {
    // The secrets file is the source of truth: a volume initialised with an older password follows it.
    await psql.run(target.admin, [`SET password_encryption = 'scram-sha-256'`, `ALTER ROLE ${quoteIdent(role)} PASSWORD :'${variable}'`], 'postgres', {
      [variable]: password,
    });
    actions.push(`set the ${role} password to the one in the secrets file`);
    login = await psql.tcpLogin(role, password, target.database);
  }
  if (login.exitCode !== 0 || login.output.trim() !== role) {
    throw new StepFailed(
      `SCRAM login as ${role} over TCP failed: ${login.output.trim()}`,
      'check the role in the Postgres container (`mcpgw logs postgres`); mcpgw up sets its password from the secrets file and stores it as SCRAM-SHA-256',
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
