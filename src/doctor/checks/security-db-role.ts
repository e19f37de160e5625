import type { DoctorContext } from '../context.js';
import { askBundledPostgres } from '../bundled-postgres.js';
import { fail, pass, skip, warn, type Cause, type Check, type CheckOutcome } from '../types.js';
import { postgresService } from '../../stack/model.js';

/** What LiteLLM's role may do, and (bundled) whether pg_hba lets it in from this machine's addresses. */
export interface DbRoleFacts {
  user: string;
  superuser: boolean;
  createrole: boolean;
  /** Lesser powers it has no use for: createdb, replication, bypassrls. */
  extras: string[];
  /** The bootstrap role (oid 10): it is the server's superuser for good (PostgreSQL 16 will not take it away). */
  bootstrap: boolean;
  /** Bundled only: each of this machine's addresses on the container's networks and whether pg_hba lets the role in from it. */
  fromHost?: { address: string; allowed: boolean }[];
}

const ROLE_SQL = (user: string) =>
  `SELECT concat_ws(' ', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, oid = 10) FROM pg_roles WHERE rolname = '${user}'`;

/**
 * The first pg_hba line that applies to a TCP login of `user` to `database` from `address` (this machine's
 * address on the container's network: inside the container's subnet, not the server's own). Lines naming a host
 * by name are not resolved here and never match; a login with no matching line is refused.
 */
const HBA_SQL = (user: string, database: string, address: string) => `
SELECT coalesce((SELECT auth_method FROM pg_hba_file_rules
  WHERE type LIKE 'host%' AND error IS NULL
    AND ('all' = ANY(user_name) OR '${user}' = ANY(user_name))
    AND ('all' = ANY(database) OR '${database}' = ANY(database))
    AND CASE WHEN address IN ('all', 'samenet') THEN true
             WHEN address ~ '^[0-9A-Fa-f:.]+$' AND netmask IS NOT NULL AND family(address::inet) = family('${address}'::inet)
               THEN host('${address}'::inet & netmask::inet) = host(address::inet & netmask::inet)
             ELSE false END
  ORDER BY line_number LIMIT 1), 'none')`;

export function judgeDbRole(facts: DbRoleFacts, bundled: boolean): CheckOutcome {
  const powers = [facts.superuser ? 'superuser' : '', facts.createrole ? 'createrole' : '', ...facts.extras].filter(Boolean);
  const evidence = [`role ${facts.user}: ${powers.length > 0 ? powers.join(', ') : 'ordinary (no superuser, createrole, createdb, replication, bypassrls)'}`];
  for (const { address, allowed } of facts.fromHost ?? [])
    evidence.push(`pg_hba for ${facts.user} from this machine (${address}): ${allowed ? 'let in' : 'refused'}`);
  const fix = bundled
    ? '`mcpgw up` (makes it an ordinary role owning its database, keeps every row, and writes its pg_hba lines)'
    : `as the database's administrator: ALTER ROLE ${facts.user} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS, and make it the owner of its database`;
  const causes: Cause[] = [];
  if (facts.superuser || facts.bootstrap) {
    causes.push({
      cause:
        `${facts.user} is ${facts.bootstrap ? "the server's bootstrap superuser" : 'a superuser'}: its password (in LiteLLM's environment) ` +
        'runs commands in the database server (COPY … TO PROGRAM) and reads every database',
      fix,
    });
  } else if (facts.createrole) {
    causes.push({ cause: `${facts.user} can create roles: its password can make a role for anything the server holds`, fix });
  }
  const open = (facts.fromHost ?? []).filter((entry) => entry.allowed).map((entry) => entry.address);
  if (open.length > 0) {
    causes.push({
      cause: `pg_hba lets ${facts.user} log in from this machine (${open.join(', ')}): a local user who learns its password reaches the database`,
      fix: "`mcpgw up` (writes mcpgw's pg_hba lines and reloads Postgres)",
    });
  }
  if (causes.length > 0) return fail(evidence, causes);
  if (facts.extras.length > 0) return warn(evidence, [{ cause: `${facts.user} holds ${facts.extras.join(', ')}, which LiteLLM never needs`, fix }]);
  return pass(...evidence);
}

function parseRole(user: string, line: string): DbRoleFacts | undefined {
  const flags = line.trim().split(' ');
  if (flags.length !== 6) return undefined;
  const [superuser, createrole, createdb, replication, bypassrls, bootstrap] = flags.map((flag) => flag === 't' || flag === 'true');
  const extras = (
    [
      [createdb, 'createdb'],
      [replication, 'replication'],
      [bypassrls, 'bypassrls'],
    ] as const
  )
    .filter(([held]) => held)
    .map(([, name]) => name);
  return { user, superuser: superuser === true, createrole: createrole === true, extras, bootstrap: bootstrap === true };
}

/** Bundled: asked inside the container as mcpgw's admin, with this machine's addresses from Docker. */
async function bundledFacts(ctx: DoctorContext, user: string, database: string): Promise<DbRoleFacts | string> {
  const role = await askBundledPostgres(ctx, ROLE_SQL(user));
  if (typeof role === 'string') return role;
  const facts = parseRole(user, role.output);
  if (!facts) return `LiteLLM's role ${user} does not exist in ${role.container}`;
  const docker = await ctx.docker();
  const container = postgresService(await ctx.model())?.containerName ?? '';
  const fromHost: DbRoleFacts['fromHost'] = [];
  for (const address of await docker.containerGateways(container)) {
    const rule = await askBundledPostgres(ctx, HBA_SQL(user, database, address));
    if (typeof rule === 'string') return rule;
    fromHost.push({ address, allowed: !['reject', 'none'].includes(rule.output.trim()) });
  }
  return { ...facts, fromHost };
}

/** External: what the database URL's own role (LiteLLM's) can see of itself; pg_hba there is its operator's. */
async function externalFacts(ctx: DoctorContext): Promise<DbRoleFacts | string> {
  const db = await ctx.db();
  const { rows } = await db.query<{ flags: string; user: string }>(
    `SELECT current_user AS user, concat_ws(' ', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, oid = 10) AS flags FROM pg_roles WHERE rolname = current_user`,
  );
  const row = rows[0];
  return (row && parseRole(row.user, row.flags)) ?? 'the database did not describe its own role';
}

export const securityDbRole: Check = {
  id: 'security.db-role',
  title: "LiteLLM's database role is no superuser and cannot log in from this machine",
  area: 'security',
  needs: ['config'],
  only: { engine: 'compose', why: "reads pg_hba from this machine's addresses on one engine's networks; a swarm's overlays route to none of them" },
  async run(ctx) {
    const { config } = await ctx.loaded();
    const bundled = config.postgres.mode === 'bundled';
    if (!bundled) {
      // Unreachable is database.reachable's finding; this check has nothing to add then.
      if (!(await ctx.db().catch(() => undefined))) return skip("LiteLLM's database is unreachable (see database.reachable)");
    }
    const facts = bundled ? await bundledFacts(ctx, config.postgres.user, config.postgres.database) : await externalFacts(ctx);
    if (typeof facts === 'string') return skip(facts);
    return judgeDbRole(facts, bundled);
  },
};
