import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyArchive } from '../../src/backup/archive.js';
import { createBackup } from '../../src/backup/backup.js';
import { readSchemaLevel } from '../../src/backup/compat.js';
import { helperPgTools } from '../../src/backup/pg-tools.js';
import { restoreBackup, restrictLine } from '../../src/backup/restore.js';
import { dockerEngine } from '../../src/docker/engine.js';
import { StepFailed, UserError } from '../../src/errors.js';
import { plainProgress } from '../../src/ui/progress.js';
import { Ui } from '../../src/ui/output.js';
import { archiveDump, attacks, backupKey, forgeArchive } from '../helpers/backup.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { createNetwork, dockerClient, runId, startContainer, testLabels, waitForHealthy, type StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const labels = testLabels(run, {}, stack.owner);
const network = `mcpgwt-${run}-ext-db`;
const PASSWORD = 'ext pw/with:odd@chars';
const KEY = 'e'.repeat(64);
const engine = dockerEngine(docker);
const silent = plainProgress(new Ui({ write: () => true }, { write: () => true }, { json: false, quiet: true, verbose: false, color: false }));

/**
 * External mode: pg_dump and psql of the stack's Postgres image in a throwaway container, against a database
 * mcpgw does not run — never this machine's psql. The Postgres here is a test container reached at its address
 * on a test network (nothing published); the tools' container joins that network as it would LiteLLM's.
 */
describe('backup and restore of an external database through a throwaway tools container', () => {
  let postgres: StartedContainer;
  let url = '';
  let dir = '';
  const query = async (sql: string, at = url) => {
    const client = new pg.Client({ connectionString: at });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-backup-ext-'));
    await createNetwork(docker, network, labels);
    postgres = await startContainer(docker, {
      name: `mcpgwt-${run}-ext-db`,
      image: stack.images.postgres,
      labels,
      networks: [{ name: network }],
      env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: 'shared' },
    });
    await waitForHealthy(postgres, { timeoutMs: 60_000 });
    const host = (await postgres.container.inspect()).NetworkSettings.Networks[network]?.IPAddress;
    url = `postgresql://app:${encodeURIComponent(PASSWORD)}@${host}:5432/shared`;
    await query(`CREATE TABLE "LiteLLM_VerificationToken" (token text PRIMARY KEY, key_alias text, metadata jsonb);
      INSERT INTO "LiteLLM_VerificationToken" VALUES ('h1', 'claude-code', '{"ü": 1}'), ('h2', 'codex', null);
      CREATE TABLE _prisma_migrations (migration_name text, finished_at timestamptz, rolled_back_at timestamptz);
      INSERT INTO _prisma_migrations VALUES ('20250101000000_a', now(), null), ('20250202000000_b', now(), null), ('20990101000000_rolled_back', now(), now());
      CREATE TYPE "JobStatus" AS ENUM ('ACTIVE', 'INACTIVE');
      CREATE TABLE "LiteLLM_CronJob" (cronjob_id text PRIMARY KEY, status "JobStatus" NOT NULL DEFAULT 'INACTIVE');
      INSERT INTO "LiteLLM_CronJob" VALUES ('c1', 'ACTIVE');`);
    // Another application in the same schema (a table with its own sequence, enum, view and function) and in
    // another database of the same server, as on the seed's shared Postgres.
    await query(`CREATE TYPE app_mood AS ENUM ('calm', 'busy');
      CREATE TABLE app_notes (id serial PRIMARY KEY, body text, mood app_mood);
      INSERT INTO app_notes (body, mood) VALUES ('kept', 'calm'), ('also kept', 'busy');
      CREATE VIEW app_busy AS SELECT body FROM app_notes WHERE mood = 'busy';
      CREATE FUNCTION app_touch() RETURNS int LANGUAGE sql AS 'SELECT 1';`);
    await query('CREATE DATABASE otherapp');
    await query(`CREATE TABLE ledger (id int PRIMARY KEY, amount numeric); INSERT INTO ledger VALUES (1, 9.5), (2, 3)`, otherAppUrl());
  });

  const otherAppUrl = () => url.replace(/\/shared$/, '/otherapp');
  /** The other application's objects by identity (oids: dropped and recreated would change them) and content. */
  const otherApp = async () => ({
    shared: await query(
      `SELECT 'app_notes'::regclass::oid AS notes, 'app_mood'::regtype::oid AS mood, 'app_busy'::regclass::oid AS view, 'app_touch()'::regprocedure::oid AS fn,
              pg_get_serial_sequence('app_notes', 'id') AS seq, (SELECT md5(string_agg(n::text, '|' ORDER BY n.id)) FROM app_notes n) AS rows`,
    ),
    otherDatabase: await query(`SELECT md5(string_agg(l::text, '|' ORDER BY l.id)) AS rows FROM ledger l`, otherAppUrl()),
  });

  afterAll(async () => {
    await postgres?.remove();
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const toolsFor = (target: string, image = stack.images.postgres) =>
    helperPgTools(engine, target, { image, networks: [network], name: `mcpgwt-${run}-pgtools`, labels });
  const leftovers = async () => (await docker.listContainers({ all: true, filters: { name: [`mcpgwt-${run}-pgtools`] } })).map((c) => c.Names[0]);
  let file = '';

  it("dumps LiteLLM's objects only, and restores them over a changed database in one transaction; the other application's are untouched", async () => {
    const tools = toolsFor(url);
    file = path.join(dir, 'backups', 'ext-20300101T000000Z.sql.gz');
    const level = await readSchemaLevelAt(url);
    expect(level).toEqual({ migration: '20250202000000_b', tables: ['LiteLLM_CronJob', 'LiteLLM_VerificationToken'] });
    const appBefore = await otherApp();
    const manifest = await createBackup(
      file,
      {
        stack: 'ext',
        createdAt: '2030-01-01T00:00:00.000Z',
        postgres: { mode: 'external', database: 'shared' },
        litellm: { image: 'x:v1.108.7', version: '1.108.7' },
        schema: level,
      },
      KEY,
      tools,
    );
    expect(await verifyArchive(file, KEY)).toEqual({ manifest, authenticity: { ok: true, key: manifest.auth?.key } });
    expect(manifest.scope).toBe('litellm');
    const dumped = (await archiveDump(file)).toString('utf8');
    expect(dumped).toMatch(/CREATE TYPE public\."JobStatus" AS ENUM \('ACTIVE', 'INACTIVE'\);/);
    expect(dumped).not.toMatch(/app_notes|app_mood|app_busy|app_touch|CREATE SCHEMA/);

    // Drift after the backup: a changed row, a deleted one and a table a newer LiteLLM would have added.
    await query(
      `UPDATE "LiteLLM_VerificationToken" SET key_alias = 'changed' WHERE token = 'h1'; DELETE ` +
        `FROM "LiteLLM_VerificationToken" WHERE token = 'h2'; CREATE TABLE "LiteLLM_NewerThing" (id int)`,
    );
    const calls: string[] = [];
    await restoreBackup(
      file,
      { force: false, key: KEY },
      {
        tools,
        progress: silent,
        readCurrent: async () => ({ schema: await readSchemaLevelAt(url), litellmVersion: '1.108.7' }),
        confirm: async () => true,
        stopLiteLLM: async () => (calls.push('stop'), true),
        startLiteLLM: async () => (calls.push('start'), 'ready'),
        syncKeys: async () => [],
      },
    );
    expect(calls).toEqual(['stop', 'start']);
    expect(await query(`SELECT token, key_alias, metadata FROM "LiteLLM_VerificationToken" ORDER BY token`)).toEqual([
      { token: 'h1', key_alias: 'claude-code', metadata: { ü: 1 } },
      { token: 'h2', key_alias: 'codex', metadata: null },
    ]);
    expect(await query(`SELECT to_regclass('public."LiteLLM_NewerThing"') AS newer`)).toEqual([{ newer: null }]);
    expect(await query(`SELECT cronjob_id, status FROM "LiteLLM_CronJob"`)).toEqual([{ cronjob_id: 'c1', status: 'ACTIVE' }]);
    expect(await otherApp()).toEqual(appBefore);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses, rolled back, where another application's object depends on LiteLLM's tables; refuses a whole-schema backup in a shared schema", async () => {
    const steps = {
      tools: toolsFor(url),
      progress: silent,
      readCurrent: async () => ({ schema: await readSchemaLevelAt(url), litellmVersion: '1.108.7' }),
      confirm: async () => true,
      stopLiteLLM: async () => true,
      startLiteLLM: async () => 'ready',
      syncKeys: async () => [],
    };
    await query(`CREATE VIEW app_keys AS SELECT key_alias FROM "LiteLLM_VerificationToken"`);
    const appBefore = await otherApp();
    try {
      const refused = await restoreBackup(file, { force: false, key: KEY }, steps).catch((error: Error) => error);
      expect(refused).toBeInstanceOf(StepFailed);
      expect((refused as Error).message).toMatch(/rolled back.*view app_keys depends on table "LiteLLM_VerificationToken"/s);
      expect(await query(`SELECT to_regclass('app_keys') IS NOT NULL AS kept`)).toEqual([{ kept: true }]);
    } finally {
      await query('DROP VIEW app_keys');
    }
    // A backup from before (no scope: the whole public schema) would drop the schema: refused here, nothing changed.
    const manifest = (await verifyArchive(file, KEY)).manifest;
    const { scope: _scope, auth: _auth, ...whole } = manifest;
    const legacy = path.join(dir, 'whole-schema.sql.gz');
    await forgeArchive(legacy, whole as unknown as Record<string, unknown>, (await archiveDump(file)).toString('utf8'));
    const wholeRefused = await restoreBackup(legacy, { force: false, trust: true, key: KEY }, steps).catch((error: Error) => error);
    expect((wholeRefused as Error).message).toMatch(/predates restores of LiteLLM's tables only .* also holds app_notes/);
    expect(await otherApp()).toEqual(appBefore);
  });

  it('refuses crafted backups before anything runs, and psql in the tools container refuses a meta-command itself', async () => {
    const state = async () => ({
      rows: await query(`SELECT token, key_alias FROM "LiteLLM_VerificationToken" ORDER BY token`),
      roles: await query(`SELECT rolname, rolsuper FROM pg_roles ORDER BY rolname`),
    });
    const before = await state();
    const genuine = (await archiveDump(file)).toString('utf8');
    const manifest = (await verifyArchive(file, KEY)).manifest;
    const mark = `/tmp/pwned-ext-${run}`;
    const calls: string[] = [];
    const steps = {
      tools: toolsFor(url),
      progress: silent,
      readCurrent: async () => ({ schema: await readSchemaLevelAt(url), litellmVersion: '1.108.7' }),
      confirm: async () => true,
      stopLiteLLM: async () => (calls.push('stop'), true),
      startLiteLLM: async () => (calls.push('start'), 'ready'),
      syncKeys: async () => [],
    };
    for (const [label, attack] of Object.entries(attacks(mark))) {
      const forged = path.join(dir, `attack-${label.replace(/\W+/g, '-')}.sql.gz`);
      await forgeArchive(forged, manifest as unknown as Record<string, unknown>, genuine + attack.sql);
      const unsigned = await restoreBackup(forged, { force: false, key: KEY }, steps).catch((error: Error) => error);
      expect(unsigned, label).toBeInstanceOf(UserError);
      expect((unsigned as Error).message, label).toMatch(/carries no HMAC/);
      const trusted = await restoreBackup(forged, { force: false, trust: true, key: KEY }, steps).catch((error: Error) => error);
      expect(trusted, label).toBeInstanceOf(UserError);
      expect((trusted as Error).message, label).toMatch(attack.says);
    }
    // Past the screen (fed to psql directly), the shell escape meets psql's \restrict in the tools container.
    const bypass = await toolsFor(url)
      .restore(Readable.from([restrictLine(), `\\! touch ${mark}-bypass\n`]))
      .catch((error: Error) => error);
    expect((bypass as Error).message).toMatch(/backslash commands are restricted/);
    expect(calls).toEqual([]);
    expect((await readdir('/tmp')).filter((entry) => entry.startsWith(`pwned-ext-${run}`))).toEqual([]);
    expect(await state()).toEqual(before);
    expect(await leftovers()).toEqual([]);
  });

  it("backs up and restores as an ordinary role that owns its database, the way LiteLLM's role is meant to be", async () => {
    const plainUrl = url.replace(`app:${encodeURIComponent(PASSWORD)}`, 'plain:plain-pw-7c1e').replace(/\/shared$/, '/plaindb');
    await query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw-7c1e' NOSUPERUSER NOCREATEROLE NOCREATEDB`);
    await query('CREATE DATABASE plaindb OWNER plain');
    const plain = async (sql: string) => {
      const client = new pg.Client({ connectionString: plainUrl });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    expect(await plain(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).toEqual([{ rolsuper: false }]);
    await plain(`CREATE TABLE "LiteLLM_VerificationToken" (token text PRIMARY KEY, key_alias text);
      INSERT INTO "LiteLLM_VerificationToken" VALUES ('p1', 'plain-key');
      CREATE FUNCTION litellm_bump_mcp_catalog_revision() RETURNS TRIGGER AS $$
BEGIN
  INSERT INTO "LiteLLM_Config" ("param_name", "reload_revision")
  VALUES ('mcp_catalog', 1)
  ON CONFLICT ("param_name") DO UPDATE SET "reload_revision" = "LiteLLM_Config"."reload_revision" + 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
      CREATE TABLE "LiteLLM_MCPServerTable" (id text);
      CREATE TRIGGER "litellm_mcp_catalog_revision" AFTER INSERT OR UPDATE OR DELETE ON "LiteLLM_MCPServerTable"
        FOR EACH STATEMENT EXECUTE PROCEDURE litellm_bump_mcp_catalog_revision();`);
    const tools = toolsFor(plainUrl);
    const plainFile = path.join(dir, 'plain-20300101T000000Z.sql.gz');
    const fields = {
      stack: 'plain',
      createdAt: '2030-01-01T00:00:00.000Z',
      postgres: { mode: 'external' as const, database: 'plaindb' },
      litellm: { image: 'x:v1.108.7', version: '1.108.7' },
      schema: await readSchemaLevelAt(plainUrl),
    };
    await createBackup(plainFile, fields, KEY, tools);
    await plain(`DELETE FROM "LiteLLM_VerificationToken"`);
    await restoreBackup(
      plainFile,
      { force: false, key: KEY },
      {
        tools,
        progress: silent,
        readCurrent: async () => ({ schema: await readSchemaLevelAt(plainUrl), litellmVersion: '1.108.7' }),
        confirm: async () => true,
        stopLiteLLM: async () => true,
        startLiteLLM: async () => 'ready',
        syncKeys: async () => [],
      },
    );
    expect(await plain(`SELECT token, key_alias FROM "LiteLLM_VerificationToken"`)).toEqual([{ token: 'p1', key_alias: 'plain-key' }]);
    // LiteLLM's function and trigger came back too (the screen let pg_dump's statements for them through).
    expect(await plain(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`)).toEqual([{ tgname: 'litellm_mcp_catalog_revision' }]);
    expect(await leftovers()).toEqual([]);
  });

  it("mcpgw backup in external mode: a URL naming a container works from this machine, the tools container joins LiteLLM's networks, the key is added, nothing is left behind", async () => {
    const stackDir = await mkdtemp(path.join(tmpdir(), 'mcpgw-backup-ext-cli-'));
    const stackName = `mcpgwt-${run}-x`;
    try {
      await writeTestStack(stackDir, {
        name: stackName,
        images: stack.images,
        litellmPort: 14519,
        mcp: {},
        // LiteLLM's URL names the database by its container name, which only Docker's DNS resolves: mcpgw reads the
        // schema level from this machine through the container's address on the network (hostReachableUrl).
        secrets: { DATABASE_URL: url.replace(/@[\d.]+:/, `@mcpgwt-${run}-ext-db:`) },
        // The database's network as the seed's shared postgres-net: LiteLLM (and so the tools container) joins it.
        extra: { postgres: { mode: 'external', image: stack.images.postgres, network, network_external: true } },
      });
      const result = await runCli(['backup', '--json'], { cwd: stackDir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/added MCPGW_BACKUP_KEY to /);
      const report = JSON.parse(result.stdout) as { file: string; manifest: { postgres: unknown; schema: { migration: string }; auth?: { key: string } } };
      expect(report.manifest.postgres).toEqual({ mode: 'external', database: 'shared' });
      expect(report.manifest.schema.migration).toBe('20250202000000_b');
      expect((await verifyArchive(report.file, await backupKey(stackDir))).authenticity).toEqual({ ok: true, key: report.manifest.auth?.key });
      expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
      const pgtools = await docker.listContainers({ all: true, filters: { name: [`${stackName}-pgtools`] } });
      expect(pgtools).toEqual([]);
    } finally {
      await rm(stackDir, { recursive: true, force: true });
    }
  });

  it('names the database, not the password, when the dump is refused, and the image when it is missing', async () => {
    const wrong = url.replace(encodeURIComponent(PASSWORD), 'not-the-password');
    const error = await toolsFor(wrong)
      .dump(new PassThrough())
      .catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toMatch(/psql in a .* container for app@[\d.]+:5432\/shared failed \(exit 2\): .*password authentication failed/);
    expect((error as Error).message).not.toContain('not-the-password');
    const missing = await toolsFor(url, 'mcpgwt-absent/postgres:0')
      .dump(new PassThrough())
      .catch((caught: Error) => caught);
    expect(missing).toBeInstanceOf(UserError);
    expect((missing as UserError).hint).toMatch(/docker pull mcpgwt-absent\/postgres:0/);
    expect(await leftovers()).toEqual([]);
  });
});

async function readSchemaLevelAt(url: string) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await readSchemaLevel(db);
  } finally {
    await db.end();
  }
}
