import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backupKeyId, finishSignature, sameSignature, startSignature } from '../../src/backup/auth.js';
import { DumpScreen, scanDump, screenedDump, type Refusal } from '../../src/backup/screen.js';

function scan(sql: string): { refusals: Refusal[]; kept: string } {
  const screen = new DumpScreen();
  const kept: string[] = [];
  for (const line of sql.split('\n').slice(0, sql.endsWith('\n') ? -1 : undefined)) if (screen.line(line)) kept.push(line);
  return { refusals: screen.end(), kept: kept.join('\n') };
}
const reasons = (sql: string) => scan(sql).refusals.map((refusal) => `${refusal.line}: ${refusal.reason}`);

/**
 * A real pg_dump 15.20 of LiteLLM 1.108.7's public schema as `mcpgw backup` runs it, its rows left out (each
 * COPY kept with its \. line): the allow-list is what this file holds.
 */
const REAL_DUMP = readFileSync(fileURLToPath(new URL('../fixtures/backup/pg-dump-litellm-1.108.7.sql', import.meta.url)), 'utf8');

/** The shapes of that dump, trimmed, with COPY rows as LiteLLM's data can make them. */
const PG_DUMP = `--
-- PostgreSQL database dump
--

\\restrict Ab12Cd34Ef56

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;

COMMENT ON SCHEMA public IS 'standard public schema';

CREATE TYPE public."JobStatus" AS ENUM (
    'ACTIVE',
    'INACTIVE'
);

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public."LiteLLM_VerificationToken" (
    token text NOT NULL,
    key_name text,
    key_alias text,
    spend double precision DEFAULT 0.0 NOT NULL,
    models text[],
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP,
    "budget_duration" text
);

CREATE SEQUENCE public."LiteLLM_AuditLog_id_seq"
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public."LiteLLM_AuditLog_id_seq" OWNED BY public."LiteLLM_AuditLog".id;

CREATE VIEW public."MonthlyGlobalSpend" AS
 SELECT date("LiteLLM_SpendLogs"."startTime") AS date,
    sum("LiteLLM_SpendLogs".spend) AS spend
   FROM public."LiteLLM_SpendLogs"
  WHERE ("LiteLLM_SpendLogs"."startTime" >= (CURRENT_DATE - '30 days'::interval))
  GROUP BY (date("LiteLLM_SpendLogs"."startTime"));

ALTER TABLE ONLY public."LiteLLM_AuditLog" ALTER COLUMN id SET DEFAULT nextval('public."LiteLLM_AuditLog_id_seq"'::regclass);

COPY public."LiteLLM_VerificationToken" (token, key_name, key_alias, spend, models, metadata, created_at, budget_duration) FROM stdin;
88c1\\\\x\tsk-...abcd\tclaude-code\t0\t{}\t{"note": "a \\\\! b; \\\\o |sh"}\t2026-11-26 13:00:00\t\\N
\\! touch /tmp/inside-copy-data\t\\N\t\\N\t0\t{}\t{}\t\\N\t\\N
\\.

SELECT pg_catalog.setval('public."LiteLLM_AuditLog_id_seq"', 1, false);

ALTER TABLE ONLY public."LiteLLM_VerificationToken"
    ADD CONSTRAINT "LiteLLM_VerificationToken_pkey" PRIMARY KEY (token);

CREATE UNIQUE INDEX "LiteLLM_UserTable_user_email_lower_idx" ON public."LiteLLM_UserTable" USING btree (lower(user_email));

CREATE INDEX "LiteLLM_SpendLogs_startTime_idx" ON public."LiteLLM_SpendLogs" USING btree ("startTime");

CREATE TRIGGER litellm_mcp_catalog_revision AFTER INSERT OR DELETE OR UPDATE ON public."LiteLLM_MCPServerTable" FOR EACH STATEMENT EXECUTE FUNCTION public.litellm_bump_mcp_catalog_revision();

ALTER TABLE ONLY public."LiteLLM_VerificationToken"
    ADD CONSTRAINT "LiteLLM_VerificationToken_budget_id_fkey" FOREIGN KEY (budget_id) REFERENCES public."LiteLLM_BudgetTable"(budget_id) ON UPDATE CASCADE ON DELETE SET NULL;

--
-- PostgreSQL database dump complete
--

\\unrestrict Ab12Cd34Ef56

`;

describe('the dump screen lexes like psql', () => {
  it("passes a real dump of LiteLLM's schema: every table, enum, sequence, view, index, constraint, its function and trigger", () => {
    expect(scan(REAL_DUMP).refusals).toEqual([]);
    expect(REAL_DUMP).toMatch(/^\\restrict \w+$/m);
    expect(REAL_DUMP).toMatch(/^CREATE TRIGGER litellm_mcp_catalog_revision /m);
    expect(REAL_DUMP.match(/^CREATE VIEW /gm)?.length).toBeGreaterThan(5);
    // The function's body, changed by one character, is no longer LiteLLM's.
    expect(reasons(REAL_DUMP.replace('RETURN NULL;', 'RETURN null;'))).toEqual([
      expect.stringMatching(/^\d+: function public\.litellm_bump_mcp_catalog_revision is not the one LiteLLM ships/),
    ]);
  });

  it("passes pg_dump's shapes of LiteLLM's schema and drops only pg_dump's own \\restrict pair", () => {
    const { refusals, kept } = scan(PG_DUMP);
    expect(refusals).toEqual([]);
    expect(kept).not.toMatch(/\\(un)?restrict/);
    // COPY data is passed on as it is: a row starting with "\!" is data, not a command.
    expect(kept).toContain('\\! touch /tmp/inside-copy-data\t');
  });

  it('refuses a meta-command anywhere outside literals and COPY data, naming the line', () => {
    expect(reasons("SELECT pg_catalog.set_config('search_path', '', false);\n\\! id\n")).toEqual([
      '2: psql meta-command \\! (psql would run it; a pg_dump dump holds none outside its \\restrict pair)',
    ]);
    // Mid-line, after a statement, and after a literal that closed.
    expect(reasons('SET row_security = off; \\o |sh\n')[0]).toMatch(/^1: psql meta-command \\o/);
    expect(reasons("COMMENT ON SCHEMA public IS 'a''b'; \\gexec\n")[0]).toMatch(/^1: psql meta-command \\gexec/);
    // A \restrict that is not pg_dump's line pair, or a second one, is refused.
    expect(reasons('\\unrestrict abc\n')[0]).toMatch(/\\unrestrict does not pair/);
    expect(reasons('\\restrict abc\n')).toEqual(["1: pg_dump's \\restrict has no matching \\unrestrict"]);
    expect(reasons('\\restrict abc\n\\restrict def\n\\unrestrict abc\n')[0]).toMatch(/^2: \\restrict does not pair/);
  });

  it('does not mistake backslashes inside literals and comments for commands, and finds them right after', () => {
    // E'' strings: \' does not end the string; standard strings: a backslash is just a character.
    expect(reasons("COMMENT ON TABLE public.t IS E'it\\'s \\\\! fine';\n")).toEqual([]);
    expect(reasons("COMMENT ON TABLE public.t IS E'it\\'s'; \\! id\n")[0]).toMatch(/^1: psql meta-command \\!/);
    expect(reasons("COMMENT ON TABLE public.t IS 'C:\\';\n")).toEqual([]);
    expect(reasons("COMMENT ON TABLE public.t IS 'C:\\'; \\! id\n")[0]).toMatch(/psql meta-command \\!/);
    // Dollar quotes with backslashes, over several lines, and tags that differ.
    expect(reasons('CREATE VIEW public.v AS SELECT $x$ \\! $$ \n \\o $x$ AS a FROM public.t;\n')).toEqual([]);
    // Quoted identifiers, comments (-- and nested /* */).
    expect(reasons('CREATE TABLE public."a\\!" (b text); -- \\! id\n/* \\! /* nested */ \\o */\n')).toEqual([]);
    expect(reasons('/* a */ \\! id\n')[0]).toMatch(/psql meta-command/);
    // A literal or comment left open is refused too: psql would read on in another state.
    expect(reasons("COMMENT ON TABLE public.t IS 'open\n")).toEqual(['1: a string literal is never closed']);
    expect(reasons('COPY public.t (a) FROM stdin;\n1\n')).toEqual(['1: COPY data has no closing \\. line']);
  });

  it('reads COPY data to its \\. line whatever it holds, then SQL again', () => {
    const sql = 'COPY public.t (a, b) FROM stdin;\n\\N\t\\\\x\n\\.x\n\\\\.\n\\.\n\\! id\n';
    expect(reasons(sql)).toEqual(['6: psql meta-command \\! (psql would run it; a pg_dump dump holds none outside its \\restrict pair)']);
    expect(reasons('COPY public.t (a) FROM stdin; \\! id\n1\n\\.\n')[0]).toMatch(/^1: (text after COPY|psql meta-command)/);
  });

  it('refuses statements a LiteLLM dump never holds, each with its line', () => {
    const cases: [string, RegExp][] = [
      ["COPY (SELECT 1) TO PROGRAM 'id';", /COPY of a table outside public/],
      ["COPY public.t (a) TO PROGRAM 'id';", /a COPY other than COPY public.<table> \(…\) FROM stdin/],
      ["COPY public.t FROM PROGRAM 'id';", /a COPY other than/],
      ['CREATE ROLE evil SUPERUSER LOGIN;', /CREATE ROLE is not a statement pg_dump writes/],
      ['ALTER ROLE litellm SUPERUSER;', /ALTER ROLE is not a statement/],
      ["ALTER SYSTEM SET archive_command = 'id';", /ALTER SYSTEM is not a statement/],
      ['CREATE EXTENSION dblink;', /CREATE EXTENSION is not a statement/],
      ['DO $$ BEGIN PERFORM 1; END $$;', /DO .* is not a statement|DO \$\$ BEGIN/],
      ['SET standard_conforming_strings = off;', /SET standard_conforming_strings is not a setting pg_dump writes/],
      ['SET ROLE postgres;', /SET ROLE is not a setting/],
      ["SELECT pg_catalog.set_config('role', 'postgres', false);", /a SELECT other than/],
      ["SELECT lo_export(1, '/tmp/x');", /a SELECT other than/],
      ['CREATE TABLE other.t (a int);', /CREATE TABLE outside public/],
      ['CREATE TABLE public.t (a int CHECK (public.evil(a)));', /calls public\.evil\(\)/],
      ["CREATE TABLE public.t (a text DEFAULT query_to_xml('COPY x TO PROGRAM ''id''', true, true, ''));", /calls query_to_xml\(\)/],
      ['CREATE VIEW public.v AS SELECT * FROM pg_catalog.pg_authid;', /reads from pg_catalog|names the schema pg_catalog/],
      ['CREATE VIEW public.v AS SELECT * FROM pg_shadow;', /reads from pg_shadow/],
      ['CREATE VIEW public.v AS SELECT a.x, b.y FROM public.t a JOIN public.u b ON (a.id = b.id), pg_shadow;', /reads from pg_shadow/],
      ['CREATE VIEW public.v AS SELECT x FROM (SELECT y, z FROM public.t, pg_authid) s;', /reads from pg_authid/],
      ['CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;', /function public\.f is not one LiteLLM creates/],
      [
        'CREATE FUNCTION public.litellm_bump_mcp_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;',
        /is not the one LiteLLM ships \(its body differs; statement digest [0-9a-f]{64}\)/,
      ],
      ['CREATE TRIGGER t BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f();', /a trigger that does not run/],
      ['CREATE TRIGGER t BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.constructor();', /a trigger that does not run/],
      ['CREATE FUNCTION public.toString() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;', /function public\.tostring is not one LiteLLM creates/],
      ['ALTER TABLE public.t OWNER TO postgres;', /ALTER TABLE … OWNER TO/],
      ['GRANT ALL ON SCHEMA public TO PUBLIC;', /GRANT ALL is not a statement/],
      ['INSERT INTO public.t VALUES (1);', /INSERT INTO is not a statement/],
      ['CREATE DATABASE x;', /CREATE DATABASE is not/],
      ['SELECT 1', /the last statement has no ";"/],
    ];
    for (const [sql, reason] of cases) {
      const found = reasons(`SET row_security = off;\n${sql}\n`);
      expect(found.length, sql).toBeGreaterThan(0);
      expect(found[0], sql).toMatch(/^2: /);
      expect(found[0], sql).toMatch(reason);
    }
  });

  it('scans a byte stream split anywhere, and the streaming screen holds a statement back until it is judged', async () => {
    const bytes = Buffer.from(PG_DUMP);
    const chunks = async function* () {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    };
    expect(await scanDump(chunks())).toEqual([]);
    const out: Buffer[] = [];
    for await (const part of screenedDump(chunks())) out.push(part);
    expect(Buffer.concat(out).toString()).toBe(`${scan(PG_DUMP).kept}\n`);

    // A refused statement's first line never reaches psql, even when the statement spans lines.
    const passed: string[] = [];
    const attack = Buffer.from("SET row_security = off;\nCOPY (SELECT 1)\n  TO PROGRAM 'id';\n");
    const error = await (async () => {
      for await (const part of screenedDump(
        (async function* () {
          yield attack;
        })(),
      ))
        passed.push(part.toString());
    })().catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(/^line 2: COPY of a table outside public/);
    expect(passed.join('')).toBe('SET row_security = off;\n');
  });
});

describe('backup signatures', () => {
  it('an HMAC over dump and manifest, named by a key id that reveals nothing of the key', () => {
    const sign = (key: string, dump: string, manifest: string) => finishSignature(startSignature(key).update(dump), manifest);
    const key = 'k'.repeat(64);
    const good = sign(key, 'dump', '{"a":1}');
    expect(good).toMatch(/^[0-9a-f]{64}$/);
    expect(sameSignature(good, sign(key, 'dump', '{"a":1}'))).toBe(true);
    expect(sameSignature(good, sign(key, 'dumq', '{"a":1}'))).toBe(false);
    expect(sameSignature(good, sign(key, 'dump', '{"a":2}'))).toBe(false);
    expect(sameSignature(good, sign('x'.repeat(64), 'dump', '{"a":1}'))).toBe(false);
    expect(sameSignature(good, '')).toBe(false);
    expect(backupKeyId(key)).toMatch(/^[0-9a-f]{12}$/);
    expect(backupKeyId(key)).not.toBe(backupKeyId('x'.repeat(64)));
    expect(good).not.toContain(backupKeyId(key));
  });
});
