import { KNOWN_FUNCTIONS } from './screen.js';

/**
 * LiteLLM's objects in `public`, the only ones a backup holds and a restore replaces: other applications may keep
 * their own tables, types and functions in the same database and schema (the seed's shared Postgres), and mcpgw
 * never touches those. LiteLLM's are its tables (`LiteLLM_…`, with their sequences, indexes, constraints and
 * triggers), Prisma's `_prisma_migrations` ledger, the enum types those tables use, the trigger functions LiteLLM
 * ships (KNOWN_FUNCTIONS), and the views its proxy creates at start-up.
 */

/** The views LiteLLM's proxy creates at start-up (litellm/proxy/db/create_views.py, 1.77.3 and 1.108.7 alike). */
export const LITELLM_VIEWS = [
  'LiteLLM_VerificationTokenView',
  'MonthlyGlobalSpend',
  'Last30dKeysBySpend',
  'Last30dModelsBySpend',
  'MonthlyGlobalSpendPerKey',
  'MonthlyGlobalSpendPerUserPerKey',
  'DailyTagSpend',
  'Last30dTopEndUsersSpend',
] as const;

/** pg_dump -t patterns: the quoted part is taken literally and case-sensitively, the trailing * as a wildcard. */
export const DUMP_TABLE_PATTERNS = ['public."LiteLLM_"*', 'public._prisma_migrations', ...LITELLM_VIEWS.map((view) => `public."${view}"`)];

const sqlList = (names: readonly string[]) => names.map((name) => `'${name}'`).join(', ');

/** SQL: whether the relation `alias` (a pg_class row) is one of LiteLLM's tables or views. */
const isLitellmRelation = (alias: string) =>
  `(${alias}.relname LIKE 'LiteLLM\\_%' OR ${alias}.relname = '_prisma_migrations' OR ${alias}.relname IN (${sqlList(LITELLM_VIEWS)}))`;
const IS_LITELLM_RELATION = isLitellmRelation('c');

/** SQL: the enum types in public that LiteLLM's tables use (directly or as arrays). */
const LITELLM_ENUMS = `
  SELECT DISTINCT CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END AS oid
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND ${IS_LITELLM_RELATION} AND a.attnum > 0 AND NOT a.attisdropped`;

/**
 * One statement a line group: CREATE TYPE for each enum LiteLLM's tables use and CREATE OR REPLACE FUNCTION for each
 * function LiteLLM ships that a trigger on its tables runs. pg_dump -t leaves both out (they are not tables), yet a
 * restore into an empty database (upgrade's rehearsal) needs them before the tables; they go first in the dump.
 */
export const SCHEMA_OBJECTS_QUERY = `
  SELECT format('CREATE TYPE public.%I AS ENUM (%s);', t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder))
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
   WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.oid IN (${LITELLM_ENUMS})
   GROUP BY t.typname
  UNION ALL
  SELECT pg_get_functiondef(p.oid) || ';'
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'public' AND p.proname IN (${sqlList(Object.keys(KNOWN_FUNCTIONS))})`;

/**
 * Drops LiteLLM's objects, and nothing else, at the start of the restore's transaction: its views, then its tables
 * (a table a newer LiteLLM added goes too, so it cannot outlive the restore), the enums they used, its functions.
 * RESTRICT throughout: should another application's object depend on one of them (a view over them), the restore
 * fails and is rolled back instead of dropping that object; its foreign keys into them are the one exception, set
 * aside and put back (RESTORE_FOREIGN_KEYS), since a rollback of an upgrade must get through them.
 */
export const DROP_LITELLM_OBJECTS = `DO $mcpgw$
DECLARE
  names text;
  enums text;
  fk record;
  search_path text;
BEGIN
  -- Another application's foreign keys into LiteLLM's tables (a shared database) are set aside, not dropped for good:
  -- their definitions are kept, schema-qualified, and RESTORE_FOREIGN_KEYS adds them back once LiteLLM's tables are
  -- restored, in this same transaction (a row they no longer match rolls the whole restore back).
  search_path := current_setting('search_path');
  PERFORM set_config('search_path', '', true);
  CREATE TEMP TABLE mcpgw_foreign_keys ON COMMIT DROP AS
    SELECT format('%I.%I', rn.nspname, r.relname) AS owner_table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
      FROM pg_constraint con
      JOIN pg_class r ON r.oid = con.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
      JOIN pg_class c ON c.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE con.contype = 'f' AND n.nspname = 'public' AND ${IS_LITELLM_RELATION}
       AND NOT (rn.nspname = 'public' AND ${isLitellmRelation('r')});
  PERFORM set_config('search_path', search_path, true);
  FOR fk IN SELECT * FROM pg_temp.mcpgw_foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.owner_table, fk.name);
  END LOOP;
  SELECT string_agg(format('public.%I', t.typname), ', ') INTO enums FROM pg_type t WHERE t.typtype = 'e' AND t.oid IN (${LITELLM_ENUMS});
  SELECT string_agg(format('public.%I', c.relname), ', ') INTO names FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') AND ${IS_LITELLM_RELATION};
  IF names IS NOT NULL THEN EXECUTE 'DROP VIEW ' || names; END IF;
  SELECT string_agg(format('public.%I', c.relname), ', ') INTO names FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND ${IS_LITELLM_RELATION};
  IF names IS NOT NULL THEN EXECUTE 'DROP TABLE ' || names; END IF;
  IF enums IS NOT NULL THEN EXECUTE 'DROP TYPE ' || enums; END IF;
  SELECT string_agg(format('public.%I()', p.proname), ', ') INTO names FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'public' AND p.proname IN (${sqlList(Object.keys(KNOWN_FUNCTIONS))});
  IF names IS NOT NULL THEN EXECUTE 'DROP FUNCTION ' || names; END IF;
END
$mcpgw$;
`;

/** Puts back the foreign keys DROP_LITELLM_OBJECTS set aside, after the dump, before the restore commits. */
export const RESTORE_FOREIGN_KEYS = `DO $mcpgw$
DECLARE
  fk record;
BEGIN
  FOR fk IN SELECT * FROM pg_temp.mcpgw_foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.owner_table, fk.name, fk.definition);
  END LOOP;
END
$mcpgw$;
`;

/**
 * A backup made before mcpgw dumped LiteLLM's objects only holds the whole `public` schema and is restored by
 * replacing the schema: allowed only where `public` holds nothing but LiteLLM's (the check runs in the restore's own
 * transaction). In a shared database it stops with the fix.
 */
export const WHOLE_SCHEMA_GUARD = `DO $mcpgw$
DECLARE
  foreign_objects text;
BEGIN
  SELECT string_agg(c.relname, ', ') INTO foreign_objects FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT ${IS_LITELLM_RELATION};
  IF foreign_objects IS NOT NULL THEN
    RAISE EXCEPTION 'mcpgw: this backup predates restores of LiteLLM''s tables only and would replace the whole public schema, which also holds %', foreign_objects
      USING HINT = 'restore a backup made by this mcpgw version (it holds LiteLLM''s objects only); nothing was changed';
  END IF;
END
$mcpgw$;
DROP SCHEMA IF EXISTS public CASCADE;
`;
