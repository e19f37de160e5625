import type { Engine } from '../docker/engine.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import { StepFailed } from '../errors.js';

export interface ProvisionTarget {
  containerId: string;
  user: string;
  database: string;
  password: string;
}

export interface ProvisionReport {
  actions: string[];
  /** Stored hash method of the LiteLLM role after provisioning: always SCRAM-SHA-256 on success. */
  roleHash: 'SCRAM-SHA-256';
}

/**
 * Makes the bundled Postgres hold a LiteLLM role with a SCRAM-SHA-256 password and its database, then proves it
 * by logging in over TCP with the password (the path LiteLLM takes). Runs on every `up`, so a hash or password
 * changed by hand since is found and repaired in that run. Runs psql inside the container over the
 * local socket; the password travels only in the exec's environment, never in a command line.
 */
export async function provisionBundledPostgres(engine: Engine, target: ProvisionTarget, clock: Clock): Promise<ProvisionReport> {
  const actions: string[] = [];
  // On a new volume the image's entrypoint first runs a temporary socket-only server (init scripts), and the
  // socket healthcheck can pass against it just before it shuts down ("the database system is shutting
  // down"). Only the final server listens on TCP, so wait for that one.
  await waitUntil(
    'Postgres accepting TCP connections after its first-start initialisation',
    async () => {
      const ready = await engine.exec(target.containerId, ['pg_isready', '-h', '127.0.0.1', '-U', target.user]);
      if (ready.exitCode !== 0) throw new Error(ready.output.trim() || `pg_isready exited ${ready.exitCode}`);
      return true;
    },
    { timeoutMs: 60_000, clock },
  );
  // A script on psql's stdin, not -c: psql interpolates variables (:'pw', quoted by psql itself) only in scripts.
  const psql = async (sql: string[], database = 'postgres') => {
    const script = ['\\getenv pw MCPGW_PASSWORD', ...sql.map((statement) => `${statement};`)].join('\n');
    const run = 'printf \'%s\\n\' "$MCPGW_SQL" | psql -X -q -At -v ON_ERROR_STOP=1 -U "$MCPGW_USER" -d "$MCPGW_DATABASE"';
    const result = await engine.exec(
      target.containerId,
      ['sh', '-c', run],
      [`MCPGW_PASSWORD=${target.password}`, `MCPGW_SQL=${script}`, `MCPGW_USER=${target.user}`, `MCPGW_DATABASE=${database}`],
    );
    if (result.exitCode !== 0) throw new StepFailed(`psql in the Postgres container failed: ${result.output.trim()}`);
    return result.output.trim();
  };

  // One round trip for everything a kept Postgres is checked for on every run (a warm `up` stays fast).
  const facts = (
    await psql([
      'SHOW password_encryption',
      `SELECT coalesce((SELECT CASE WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram' WHEN ` +
        `rolpassword LIKE 'md5%' THEN 'md5' ELSE 'other' END FROM pg_authid WHERE rolname = ` +
        `${quoteLiteral(target.user)}), 'absent')`,
      `SELECT count(*) FROM pg_database WHERE datname = ${quoteLiteral(target.database)}`,
      `SELECT coalesce(string_agg(DISTINCT auth_method, ','), 'none') FROM pg_hba_file_rules ` +
        `WHERE type LIKE 'host%' AND auth_method IN ('md5', 'password', 'trust')`,
    ])
  ).split('\n');
  const [encryption, roleHash, databases, weakRules] = facts.map((line) => line.trim());
  if (encryption !== 'scram-sha-256') {
    throw new StepFailed(
      `Postgres stores new passwords as ${encryption}, not scram-sha-256`,
      'start postgres with -c password_encryption=scram-sha-256 (mcpgw render does)',
    );
  }
  const role = quoteIdent(target.user);
  if (roleHash === 'absent') {
    await psql([`SET password_encryption = 'scram-sha-256'`, `CREATE ROLE ${role} LOGIN PASSWORD :'pw'`]);
    actions.push(`created role ${target.user} (SCRAM-SHA-256)`);
  } else if (roleHash !== 'scram') {
    // An md5 hash (e.g. a volume from an older setup) is what broke the seed's logins: re-store it as SCRAM.
    await psql([`SET password_encryption = 'scram-sha-256'`, `ALTER ROLE ${role} PASSWORD :'pw'`]);
    actions.push(`re-stored the ${target.user} password as SCRAM-SHA-256 (was ${roleHash})`);
  }
  if (databases !== '1') {
    await psql([`CREATE DATABASE ${quoteIdent(target.database)} OWNER ${role}`]);
    actions.push(`created database ${target.database}`);
  }
  if (weakRules !== 'none') {
    throw new StepFailed(
      `pg_hba.conf allows ${weakRules} for TCP connections`,
      'use scram-sha-256 for every host line (POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 on a new volume)',
    );
  }
  const tcpLogin = () =>
    engine.exec(
      target.containerId,
      ['psql', '-X', '-At', '-h', '127.0.0.1', '-U', target.user, '-d', target.database, '-c', 'SELECT current_user'],
      [`PGPASSWORD=${target.password}`],
    );
  let login = await tcpLogin();
  if (login.exitCode !== 0 && /password authentication failed/.test(login.output)) {
    // The secrets file is the source of truth: a volume initialised with an older password follows it.
    await psql([`SET password_encryption = 'scram-sha-256'`, `ALTER ROLE ${role} PASSWORD :'pw'`]);
    actions.push(`set the ${target.user} password to the one in the secrets file`);
    login = await tcpLogin();
  }
  if (login.exitCode !== 0 || login.output.trim() !== target.user) {
    throw new StepFailed(
      `SCRAM login as ${target.user} over TCP failed: ${login.output.trim()}`,
      'check the role in the Postgres container (`mcpgw logs postgres`); mcpgw up sets its password from the secrets file and stores it as SCRAM-SHA-256',
    );
  }
  return { actions, roleHash: 'SCRAM-SHA-256' };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
