import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { verifyArchive, writeArchive, type BackupManifest } from '../../src/backup/archive.js';
import { containerPgTools } from '../../src/backup/pg-tools.js';
import { restrictLine } from '../../src/backup/restore.js';
import { dockerEngine } from '../../src/docker/engine.js';
import { archiveDump, attacks, backupKey, forgeArchive } from '../helpers/backup.js';
import { clockAt, runCli } from '../helpers/cli.js';
import { gatewayTools } from '../helpers/gateway.js';
import { asOwner, keysRoleClient } from '../helpers/stack-db.js';
import { writeTestStack } from '../helpers/test-stack.js';
import { waitUntil } from '../../src/time/wait.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const name = `mcpgwt-${Date.now().toString(36)}-backup`;
const PORT = 14510;
/** The test stack's POSTGRES_PASSWORD (test/helpers/test-stack.ts). */
const PASSWORD = 'itest pw/with:odd@chars';
const DECLARED = { MCPGW_KEY_CLAUDE_CODE: 'sk-itest-backup-declared-5d1c9e7a3b' };

/** The stack's directory (mcpgw.yaml, secrets.env), made in beforeAll. */
let dir = '';
/** mcpgw's keys role from this machine (rows only); the wipe below goes through `asOwner`. */
const db = () => keysRoleClient(docker, name, dir);

/** Aliases of the key rows, the state every failed restore must leave exactly as it was. */
async function keyAliases(): Promise<string[]> {
  const client = await db();
  try {
    return (await client.query<{ key_alias: string }>(`SELECT key_alias FROM "LiteLLM_VerificationToken" ORDER BY key_alias`)).rows.map((row) => row.key_alias);
  } finally {
    await client.end();
  }
}

describe('mcpgw backup and restore against the real proxy in DB mode', () => {
  let adhocKey = '';
  let backupFile = '';
  let manifest: BackupManifest;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-backup-'));
    const file = await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48510 } },
      secrets: DECLARED,
      extra: { keys: [{ alias: 'claude-code', mcp_servers: ['alpha'] }] },
    });
    // Short key cache, so a wiped or restored key table reaches the proxy within the test.
    const config = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
    config.litellm.key_cache_ttl = 1;
    await writeFile(file, stringify(config));
    const up = await runCli(['up'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    // A key only the database knows (not declared): only the restore itself can bring it back.
    const created = await runCli(['keys', 'create', '--alias', 'adhoc', '--mcp', 'alpha', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    adhocKey = (JSON.parse(created.stdout) as { key: string }).key;
    expect(await gatewayTools(PORT, adhocKey)).toEqual(['alpha']);
  });

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a 0600 gzip archive with a manifest in backups/', async () => {
    const result = await runCli(['backup', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { file: string; manifest: BackupManifest };
    backupFile = report.file;
    manifest = report.manifest;
    expect(path.dirname(backupFile)).toBe(path.join(dir, 'backups'));
    expect(path.basename(backupFile)).toMatch(new RegExp(`^${name}-\\d{8}T\\d{6}Z\\.sql\\.gz$`));
    expect((await stat(backupFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(backupFile))).mode & 0o777).toBe(0o700);
    expect(manifest).toMatchObject({ stack: name, postgres: { mode: 'bundled', database: 'litellm' }, litellm: { version: stack.versions.litellm } });
    // The test image keeps Prisma's ledger like the real one: the newest of the pinned package's migrations.
    const migrations = (await readdir(path.join(stack.schemaDir, 'migrations'))).filter((entry) => /^\d{8,14}_/.test(entry)).sort();
    expect(manifest.schema.migration).toBe(migrations.at(-1));
    expect(manifest.schema.tables).toContain('LiteLLM_VerificationToken');
    expect(await verifyArchive(backupFile, await backupKey(dir))).toEqual({ manifest, authenticity: { ok: true, key: manifest.auth?.key } });
    expect(result.stdout).not.toContain(adhocKey);
    // The test stack's secrets file predates signed backups: the first backup adds the key, keeping it 0600.
    expect(result.stderr).toMatch(/added MCPGW_BACKUP_KEY to .*secrets\.env \(backups are signed with it/);
    expect((await stat(path.join(dir, 'secrets.env'))).mode & 0o777).toBe(0o600);
    expect(manifest.auth).toMatchObject({ alg: 'HMAC-SHA256', key: expect.stringMatching(/^[0-9a-f]{12}$/), hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(`${result.stdout}${result.stderr}`).not.toContain(await backupKey(dir));
  });

  it('restores a wiped database: keys authenticate again through LiteLLM, declared and ad-hoc', async () => {
    await asOwner(docker, name, 'DROP SCHEMA public CASCADE');
    await asOwner(docker, name, 'CREATE SCHEMA public');
    // The key no longer works once LiteLLM's key cache lets it go: LiteLLM refuses it (401), or answers 503 for every
    // MCP request once re-reading its MCP catalog meets the missing tables. Never a 200, nor a 500.
    const wiped = await waitUntil('the key refused after the wipe', async () => {
      const answer = await gatewayTools(PORT, adhocKey);
      return Array.isArray(answer) ? undefined : answer;
    });
    expect([401, 403, 503]).toContain(wiped);

    const restore = await runCli(['restore', backupFile, '--yes'], { cwd: dir });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toMatch(
      /ok {4}verify: signature ok \(key [0-9a-f]{12}\), checksum ok, SQL screened, .*schema compatible \(LiteLLM 1\.108\.7 ≤ 1\.108\.7 \(this database is empty\)\)/,
    );
    expect(restore.stderr).toMatch(/ok {4}stop litellm: stopped/);
    expect(restore.stderr).toMatch(/ok {4}start litellm: live, ready, db connected/);
    expect(restore.stderr).toMatch(/ok {4}keys: 1 declared key\(s\) in place/);
    expect(restore.stderr).toMatch(/ok {4}probe: \d+ checks passed end to end/);
    expect(await gatewayTools(PORT, adhocKey)).toEqual(['alpha']);
    expect(await gatewayTools(PORT, DECLARED.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    expect(await keyAliases()).toEqual(['adhoc', 'claude-code']);
    // A DB-mode LiteLLM start plus the probe: over the default 180 s on a busy shared 2-core host.
  }, 600_000);

  it('rejects a truncated and a corrupted backup before touching the database or LiteLLM', async () => {
    const before = await keyAliases();
    const startedAt = (await docker.getContainer(`${name}-litellm`).inspect()).State.StartedAt;
    const bytes = await readFile(backupFile);
    const truncated = path.join(dir, 'truncated.sql.gz');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cut = await runCli(['restore', truncated, '--yes'], { cwd: dir });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/truncated\.sql\.gz is truncated: the gzip stream ends early/);

    const corrupted = path.join(dir, 'corrupted.sql.gz');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length * 0.6)]! ^= 0xff;
    await writeFile(corrupted, flipped);
    const bad = await runCli(['restore', corrupted, '--yes'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/corrupted\.sql\.gz is corrupted/);

    expect(await keyAliases()).toEqual(before);
    expect((await docker.getContainer(`${name}-litellm`).inspect()).State.StartedAt).toBe(startedAt);
    expect(await gatewayTools(PORT, adhocKey)).toEqual(['alpha']);
  });

  it('rolls back a restore that fails half-way: the current database stays as it was', async () => {
    const client = await db();
    try {
      await client.query(`DELETE FROM "LiteLLM_VerificationToken" WHERE key_alias = 'adhoc'`);
    } finally {
      await client.end();
    }
    const before = await keyAliases();
    // A well-formed archive (valid checksum) whose SQL fails after the schema was dropped and reloaded.
    const failing = path.join(dir, 'failing.sql.gz');
    const sql = await archiveDump(backupFile);
    await writeArchive(failing, { ...manifest, createdAt: new Date().toISOString() }, await backupKey(dir), async (sink) => {
      sink.write(sql);
      // Passes the screen (a shape pg_dump writes), fails in Postgres: the table exists by then.
      sink.write('CREATE TABLE public."LiteLLM_VerificationToken" (x integer);\n');
    });
    const result = await runCli(['restore', failing, '--yes'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /restore of .*failing\.sql\.gz failed and was rolled back, the database is as it was: .*"LiteLLM_VerificationToken" already exists/,
    );
    expect(result.stderr).not.toMatch(/drop cascades/);
    expect(await keyAliases()).toEqual(before);
    // LiteLLM was stopped for the attempt and is serving the old data again.
    expect(await gatewayTools(PORT, DECLARED.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    // The failed attempt restarts LiteLLM on the old data: one DB-mode start.
  }, 600_000);

  it('refuses crafted backups before anything runs: unsigned or wrongly signed, and with --trust by their SQL', async () => {
    const state = async () => {
      const client = await db();
      try {
        const roles = (await client.query<{ r: string }>(`SELECT rolname || ':' || rolsuper AS r FROM pg_roles ORDER BY rolname`)).rows.map((row) => row.r);
        const rows = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM "LiteLLM_VerificationToken"`)).rows[0]?.n;
        const tables = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]?.n;
        return { roles, rows, tables, aliases: await keyAliases() };
      } finally {
        await client.end();
      }
    };
    const before = await state();
    const startedAt = (await docker.getContainer(`${name}-litellm`).inspect()).State.StartedAt;
    const genuine = (await archiveDump(backupFile)).toString('utf8');
    const mark = `/tmp/pwned-${name}`;
    for (const [label, attack] of Object.entries(attacks(mark))) {
      const file = path.join(dir, `attack-${label.replace(/\W+/g, '-')}.sql.gz`);
      // Written by someone without the key: a genuine dump plus the attack, the checksum recomputed, unsigned.
      await forgeArchive(file, manifest as unknown as Record<string, unknown>, genuine + attack.sql);
      const unsigned = await runCli(['restore', file, '--yes'], { cwd: dir });
      expect(unsigned.code, label).toBe(2);
      expect(unsigned.stderr, label).toMatch(/refusing to restore .*: it carries no HMAC\n.*--trust/);
      // --trust lifts the signature check only: the SQL is refused before anything runs, naming the line.
      const trusted = await runCli(['restore', file, '--yes', '--trust'], { cwd: dir });
      expect(trusted.code, label).toBe(2);
      expect(trusted.stderr, label).toMatch(attack.says);
      expect(trusted.stderr, label).toMatch(/--trust does not lift this/);
      expect(trusted.stderr, label).not.toMatch(/stop litellm/);
    }
    const legacy = path.join(dir, 'legacy.sql.gz');
    await forgeArchive(legacy, manifest as unknown as Record<string, unknown>, genuine, 1);
    const old = await runCli(['restore', legacy, '--yes'], { cwd: dir });
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/it was written before mcpgw signed its backups \(format 1, no HMAC\)/);
    // Signed, but with a key that is not this stack's.
    const otherKey = path.join(dir, 'other-key.sql.gz');
    await writeArchive(otherKey, manifest, 'f'.repeat(64), async (sink) => {
      sink.write(genuine);
      sink.write(`\\! touch ${mark}-other-key\n`);
    });
    const wrong = await runCli(['restore', otherKey, '--yes'], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/it was signed with another backup key \(key id [0-9a-f]{12}; this secrets file's MCPGW_BACKUP_KEY has key id [0-9a-f]{12}\)/);

    // psql's own \restrict, the second wall: a meta-command that got past the screen is refused by the container's psql.
    const tools = containerPgTools(dockerEngine(docker), `${name}-postgres`, { user: 'litellm', password: PASSWORD, database: 'litellm' });
    const bypass = await tools.restore(Readable.from([restrictLine(), `\\! touch ${mark}-bypass\n`])).catch((error: Error) => error);
    expect((bypass as Error).message).toMatch(/backslash commands are restricted/);

    // Nothing of it ran: no file in the Postgres container or on this machine, the same roles, tables and rows.
    const ls = await dockerEngine(docker).exec(`${name}-postgres`, ['sh', '-c', 'ls /tmp /var/lib/postgresql']);
    expect(ls.output).not.toMatch(/pwned/);
    expect((await readdir('/tmp')).filter((entry) => entry.startsWith(`pwned-${name}`))).toEqual([]);
    expect(await state()).toEqual(before);
    expect(before.roles.some((role) => role.startsWith('evil:'))).toBe(false);
    expect((await docker.getContainer(`${name}-litellm`).inspect()).State.StartedAt).toBe(startedAt);
  });

  it('refuses a backup from a newer schema unless --force, and asks before replacing without --yes', async () => {
    const newer = path.join(dir, 'newer.sql.gz');
    const sql = await archiveDump(backupFile);
    const fields = { ...manifest, schema: { ...manifest.schema, migration: '99991231000000_from_the_future' } };
    await writeArchive(newer, fields, await backupKey(dir), async (sink) => {
      sink.write(sql);
    });
    const refused = await runCli(['restore', newer, '--yes'], { cwd: dir });
    expect(refused.code).toBe(2);
    // Judged first against the LiteLLM the restore would start: its image's migrations, read from inside it.
    expect(refused.stderr).toMatch(
      /refusing to restore .*newer\.sql\.gz: the backup's schema is at migration 99991231000000_from_the_future, newer than the newest migration .+ ships \(\d{8,14}_\w+\): that LiteLLM would not know its tables/,
    );
    expect(refused.stderr).toMatch(/fix: set litellm\.image to the LiteLLM the backup came from .*; or pass --force/);

    const noTerminal = await runCli(['restore', backupFile], { cwd: dir });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/no terminal to confirm on.*\n.*--yes/);
    const declined = await runCli(['restore', backupFile], { cwd: dir, confirm: async () => false });
    expect(declined.code).toBe(2);
    expect(declined.stderr).toMatch(/restore cancelled; nothing was changed/);
    expect(declined.stderr).not.toMatch(/stop litellm/);
  });

  it("--keep rotates only this stack's backups in the folder", async () => {
    const folder = path.join(dir, 'backups');
    await writeFile(path.join(folder, 'notes.txt'), 'mine\n');
    await copyFile(backupFile, path.join(folder, 'other-stack-20200101T000000Z.sql.gz'));
    const times = ['2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z', '2030-01-03T00:00:00Z'];
    for (const time of times) {
      const result = await runCli(['backup', '--keep', '2'], { cwd: dir, clock: clockAt(time) });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/added MCPGW_BACKUP_KEY/);
    }
    // .gitignore: written when the first backup created the folder; rotation leaves it like the user's files.
    expect((await readdir(folder)).sort()).toEqual([
      '.gitignore',
      `${name}-20300102T000000Z.sql.gz`,
      `${name}-20300103T000000Z.sql.gz`,
      'notes.txt',
      'other-stack-20200101T000000Z.sql.gz',
    ]);
    const again = await runCli(['backup', '--out', path.join(folder, `${name}-20300103T000000Z.sql.gz`)], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await runCli(['backup', '--keep', '0'], { cwd: dir })).code).toBe(2);
  });
});
