import type { DoctorContext } from '../context.js';
import { fail, pass, skip, warn, type Check, type CheckOutcome } from '../types.js';
import { askBundledPostgres } from '../bundled-postgres.js';

/** How the role's password is stored, which pg_hba methods apply to it, and what new passwords will be hashed with. */
export interface AuthFacts {
  stored: 'scram' | 'md5' | 'none' | 'other';
  hbaMethods: string[];
  passwordEncryption: string;
}

// user and database match mcpgw.yaml's ^[a-z_][a-z0-9_]*$ names, so quoting them inline is safe; psql through
// docker exec has no bind parameters.
const FACTS_SQL = (user: string, database: string) => `
SELECT CASE WHEN rolpassword IS NULL THEN 'none' WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram' WHEN rolpassword LIKE 'md5%' THEN 'md5' ELSE 'other' END
  FROM pg_authid WHERE rolname = '${user}';
SELECT current_setting('password_encryption');
SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules
 WHERE type LIKE 'host%' AND ('all' = ANY(user_name) OR '${user}' = ANY(user_name)) AND ('all' = ANY(database) OR '${database}' = ANY(database));`;

/** Judges the facts: an md5 hash fails a scram-sha-256 rule outright; md5 rules or hashing are the seed's trap. */
export function judgeAuth(facts: AuthFacts, user: string): CheckOutcome {
  const evidence = [
    `role ${user}: password stored as ${facts.stored}`,
    `pg_hba host methods for it: ${facts.hbaMethods.join(', ') || 'none'}`,
    `password_encryption = ${facts.passwordEncryption}`,
  ];
  const scramRule = facts.hbaMethods.includes('scram-sha-256');
  const reset =
    `ALTER ROLE ${user} PASSWORD '…' after SET password_encryption = 'scram-sha-256' (for the ` +
    `bundled Postgres: \`mcpgw up\` re-applies the password as SCRAM)`;
  if (facts.stored === 'md5' && scramRule) {
    return fail(evidence, [
      { cause: `${user}'s password is an md5 hash but pg_hba.conf demands scram-sha-256: every login fails with "password authentication failed"`, fix: reset },
    ]);
  }
  if (facts.stored === 'none') return fail(evidence, [{ cause: `${user} has no password: password logins can never succeed`, fix: reset }]);
  if (facts.passwordEncryption === 'md5' && scramRule) {
    return fail(evidence, [
      {
        cause: 'password_encryption is md5 while pg_hba.conf demands scram-sha-256: the next password change stores a hash no login can use',
        fix: "set password_encryption = 'scram-sha-256' in postgresql.conf (or the server's -c option) and reload",
      },
    ]);
  }
  if (facts.hbaMethods.some((method) => method === 'md5' || method === 'password' || method === 'trust')) {
    return warn(evidence, [
      {
        cause:
          `pg_hba.conf still allows ` +
          `${facts.hbaMethods.filter((method) => method !== 'scram-sha-256').join(', ')}: logins ` +
          `work, but an md5 hash (or none) would be accepted`,
        fix: 'change those host lines to scram-sha-256 and reload (SELECT pg_reload_conf())',
      },
    ]);
  }
  if (facts.stored === 'md5') return warn(evidence, [{ cause: `${user}'s password is an md5 hash`, fix: reset }]);
  return pass(...evidence);
}

function parseFacts(output: string): AuthFacts | undefined {
  const [stored, encryption, methods] = output.split('\n').map((line) => line.trim());
  if (!stored || !encryption) return undefined;
  return { stored: stored as AuthFacts['stored'], passwordEncryption: encryption, hbaMethods: (methods ?? '').split(',').filter(Boolean).sort() };
}

/**
 * Bundled: asked inside the Postgres container over its local socket, so the answer comes even when the
 * network login is exactly what is broken. External: over mcpgw's connection, when the role may read pg_authid.
 */
async function readFacts(ctx: DoctorContext): Promise<AuthFacts | string> {
  const { config } = await ctx.loaded();
  const { user, database } = config.postgres;
  const sql = FACTS_SQL(user, database);
  if (config.postgres.mode === 'bundled') {
    const answer = await askBundledPostgres(ctx, sql);
    if (typeof answer === 'string') return answer;
    return parseFacts(answer.output) ?? `psql in ${answer.container} gave no facts about ${user}`;
  }
  // Unreachable is database.reachable's finding (with its cause and fix); this check has nothing to add.
  const db = await ctx.db().catch(() => undefined);
  if (!db) return "LiteLLM's database is unreachable (see database.reachable)";
  try {
    const answers = await Promise.all(
      sql
        .split(';')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => db.query<Record<string, string | null>>(part)),
    );
    return parseFacts(answers.map((answer) => Object.values(answer.rows[0] ?? {})[0] ?? '').join('\n')) ?? 'no answer';
  } catch (error) {
    return `reading pg_authid needs a superuser: ${(error as Error).message}`;
  }
}

export const databaseAuth: Check = {
  id: 'database.auth',
  title: 'the role authenticates with SCRAM-SHA-256 (no md5 password or md5 rule)',
  area: 'database',
  needs: ['config'],
  only: { engine: 'compose', why: 'asks the bundled Postgres container on this engine (docker exec); on a swarm database.reachable logs in through a tunnel' },
  async run(ctx) {
    const facts = await readFacts(ctx);
    if (typeof facts === 'string') return skip(facts);
    return judgeAuth(facts, (await ctx.loaded()).config.postgres.user);
  },
};
