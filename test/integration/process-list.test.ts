import { systemClock } from '../../src/time/clock.js';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { desiredKey, serverIds } from '../../src/keys/desired.js';
import { KeyStore } from '../../src/keys/store.js';
import { labelsFor } from '../../src/stack/labels.js';
import { buildStackModel } from '../../src/stack/model.js';
import { runCli } from '../helpers/cli.js';
import { execIn } from '../helpers/stack-db.js';
import { gatewayTools } from '../helpers/gateway.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { applyLiteLLMSchema } from '../stack/schema.js';
import { testLabels } from '../stack/stack.js';
import { waitUntil } from '../../src/time/wait.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const name = `mcpgwt-${Date.now().toString(36)}-pslist`;
const PORT = 14537;
const DECLARED = { MCPGW_KEY_CLAUDE_CODE: 'sk-itest-pslist-declared-8e2b6c1f4a' };
const ADHOC_KEY = 'sk-itest-pslist-adhoc-3f9d0a7c5e21';
const PG_NET = `${name}-pg`;
const PG_CONTAINER = `${name}-postgres`;

/**
 * Every process on the machine as an unprivileged user sees it (`ps` as nobody), sampled in a bounded loop
 * until stopped: the secrets found in any command line, how many samples were taken, and whether the samples
 * caught the stack at work (Postgres backends, which `ps` lists from the host like any other process).
 */
function watchProcessList(secrets: string[]) {
  const loop = 'i=0; while [ "$i" -lt 6000 ]; do echo @@sample; ps -e -ww -o args=; i=$((i+1)); sleep 0.05; done';
  const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-c', loop], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = { samples: 0, leaks: new Set<string>(), postgresBackends: 0 };
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line === '@@sample') seen.samples += 1;
    else if (line.startsWith('postgres: ')) seen.postgresBackends += 1;
    for (const secret of secrets) if (line.includes(secret)) seen.leaks.add(line.replaceAll(secret, `<${secrets.indexOf(secret)}>`));
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await closed;
      return { samples: seen.samples, leaks: [...seen.leaks], postgresBackends: seen.postgresBackends };
    },
  };
}

/** Every value of the stack's secrets file, also URL-encoded (as in DATABASE_URL), and the ad-hoc key. */
async function secretValues(dir: string): Promise<string[]> {
  const values = [...parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).values(), ADHOC_KEY];
  return [...new Set(values.flatMap((value) => [value, encodeURIComponent(value)]))];
}

const exec = (container: string, cmd: string[], env: string[] = [], user?: string) => execIn(docker, container, cmd, env, user);

/** psql as mcpgw's admin over the container's socket: the one way in for it. */
async function asAdmin(sql: string): Promise<string> {
  const result = await exec(PG_CONTAINER, ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'mcpgw_admin', '-d', 'litellm', '-c', sql]);
  expect(result.code, result.output).toBe(0);
  return result.output.trim();
}

/** psql over TCP inside the container as `user`, the password in the exec's environment. */
const overTcp = (user: string, password: string, sql: string) =>
  exec(PG_CONTAINER, ['psql', '-X', '-At', '-h', '127.0.0.1', '-U', user, '-d', 'litellm', '-c', sql], [`PGPASSWORD=${password}`]);

async function pgAddress(): Promise<{ host: string; gateway: string }> {
  const network = (await docker.getContainer(PG_CONTAINER).inspect()).NetworkSettings.Networks[PG_NET];
  return { host: network?.IPAddress ?? '', gateway: network?.Gateway ?? '' };
}

async function connect(user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: (await pgAddress()).host, user, password, database: 'litellm', connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}

async function rowCounts(client: pg.Client): Promise<Record<string, number>> {
  const tables = ['LiteLLM_VerificationToken', 'LiteLLM_ObjectPermissionTable', '_prisma_migrations', 'mcpgw_test_rows'];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await client.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
  return counts;
}

/**
 * A stack whose volume was made the way mcpgw made it until now: the container started with POSTGRES_USER set
 * to LiteLLM's role, so that role is the bootstrap superuser and owns LiteLLM's schema, and an ad-hoc key was
 * written from this machine as that role. The first `up` of this version moves it over while an unprivileged
 * user watches the process list; so do `backup` and `restore` after it.
 */
describe("LiteLLM's Postgres role: an old volume moved over by up, refused from this machine, no secret in ps", () => {
  let dir = '';
  let before: Record<string, number> = {};
  let backupFile = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-pslist-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48537 } },
      secrets: DECLARED,
      extra: { keys: [{ alias: 'claude-code', mcp_servers: ['alpha'] }] },
    });
    const labels = testLabels(name, {}, stack.owner);
    await docker.createNetwork({ Name: PG_NET, Driver: 'bridge', CheckDuplicate: true, Labels: { ...labels, 'io.mcpgw.stack': name } });
    await docker.createVolume({ Name: `${name}-pgdata`, Labels: { ...labels, 'io.mcpgw.stack': name } });
    // The Postgres service as mcpgw rendered it before this change.
    const old = await docker.createContainer({
      name: PG_CONTAINER,
      Image: stack.images.postgres,
      Cmd: ['postgres', '-c', 'password_encryption=scram-sha-256'],
      Env: [
        'POSTGRES_USER=litellm',
        'POSTGRES_DB=litellm',
        'POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256',
        `POSTGRES_PASSWORD=${TEST_SECRETS.POSTGRES_PASSWORD}`,
      ],
      Labels: { ...labels, ...labelsFor(name, 'postgres') },
      HostConfig: { NetworkMode: PG_NET, Binds: [`${name}-pgdata:/var/lib/postgresql/data`] },
    });
    await old.start();
    const client = await waitUntil('the old-style Postgres accepting a login', () => connect('litellm', TEST_SECRETS.POSTGRES_PASSWORD));
    try {
      expect((await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper).toBe(true);
      await applyLiteLLMSchema(client, stack.schemaDir, { recordLedger: true });
      // Objects of every kind the move hands over, beside LiteLLM's tables, sequences and enums.
      await client.query(`CREATE TABLE mcpgw_test_rows (id serial PRIMARY KEY, mood text)`);
      await client.query(`INSERT INTO mcpgw_test_rows (mood) SELECT 'row ' || n FROM generate_series(1, 50) AS n`);
      await client.query(`CREATE VIEW mcpgw_test_view AS SELECT id FROM mcpgw_test_rows`);
      await client.query(`CREATE FUNCTION mcpgw_test_one() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
      const { config } = await loadConfig(path.join(dir, 'mcpgw.yaml'));
      const ids = serverIds(buildStackModel(config));
      const store = new KeyStore(client as never, systemClock);
      await store.create(desiredKey({ alias: 'adhoc', key: ADHOC_KEY, models: [], mcpServers: ['alpha'], mcpGroups: [] }, ids));
      before = await rowCounts(client);
    } finally {
      await client.end();
    }
  }, 300_000);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('up moves the volume over with nothing secret in any command line, and adds mcpgw’s role passwords to the secrets file', async () => {
    const secrets = await secretValues(dir);
    const watch = watchProcessList(secrets);
    const up = await runCli(['up', '--json'], { cwd: dir });
    const seen = await watch.stop();
    expect(up.code, up.stderr).toBe(0);
    expect(seen.leaks).toEqual([]);
    // The samples overlapped the work: many of them, and Postgres backends (mcpgw's and LiteLLM's sessions) among them.
    expect(seen.samples).toBeGreaterThan(100);
    expect(seen.postgresBackends).toBeGreaterThan(0);
    expect(up.stderr).toMatch(/added MCPGW_POSTGRES_ADMIN_PASSWORD, MCPGW_POSTGRES_KEYS_PASSWORD \(mcpgw's own database roles\)/);
    expect((JSON.parse(up.stdout) as { notes: string[] }).notes).toEqual([
      'renamed the superuser litellm (the old bootstrap role) to mcpgw_admin',
      "created LiteLLM's role litellm (ordinary, SCRAM-SHA-256)",
      "created mcpgw's keys role mcpgw_keys (ordinary, SCRAM-SHA-256)",
      "gave database litellm to litellm (was mcpgw_admin's)",
      expect.stringMatching(/^handed \d+ of LiteLLM's tables, views, sequences, types and functions from the superuser to litellm$/),
      `pg_hba: litellm refused from this machine (${(await pgAddress()).gateway}), mcpgw_admin refused over TCP`,
    ]);
    expect(up.stderr).toMatch(/ok {4}postgres: recreated, healthy, roles ordinary and stored as SCRAM-SHA-256, SCRAM logins over TCP ok/);
    expect((await stat(path.join(dir, 'secrets.env'))).mode & 0o777).toBe(0o600);
    const after = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8'));
    expect(after.get('MCPGW_POSTGRES_KEYS_PASSWORD')).toMatch(/^[0-9a-f]{48}$/);
    expect(after.get('POSTGRES_PASSWORD')).toBe(TEST_SECRETS.POSTGRES_PASSWORD);
  }, 900_000);

  it('keeps every row, key and grant: the old ad-hoc key and the declared one reach their server through LiteLLM', async () => {
    expect(await gatewayTools(PORT, ADHOC_KEY)).toEqual(['alpha']);
    expect(await gatewayTools(PORT, DECLARED.MCPGW_KEY_CLAUDE_CODE)).toEqual(['alpha']);
    const keysPassword = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('MCPGW_POSTGRES_KEYS_PASSWORD') ?? '';
    const client = await connect('mcpgw_keys', keysPassword);
    try {
      // One more key row: the declared key, which up wrote with mcpgw's keys role.
      expect(await rowCounts(client)).toEqual({
        ...before,
        LiteLLM_VerificationToken: before.LiteLLM_VerificationToken! + 1,
        LiteLLM_ObjectPermissionTable: before.LiteLLM_ObjectPermissionTable! + 1,
      });
    } finally {
      await client.end();
    }
  });

  it('leaves LiteLLM’s role ordinary and owning everything, the admin the bootstrap superuser without a password', async () => {
    expect(
      await asAdmin(
        `SELECT concat_ws(' ', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin) FROM pg_roles WHERE rolname = 'litellm'`,
      ),
    ).toBe('f f f f f t');
    expect(await asAdmin(`SELECT concat_ws(' ', rolname, rolsuper, rolpassword IS NULL) FROM pg_authid WHERE oid = 10`)).toBe('mcpgw_admin t t');
    expect(await asAdmin(`SELECT concat_ws(' ', rolsuper, rolcreaterole, rolbypassrls) FROM pg_roles WHERE rolname = 'mcpgw_keys'`)).toBe('f f f');
    expect(await asAdmin(`SELECT count(*) FROM pg_roles WHERE rolname = 'mcpgw_migrate'`)).toBe('0');
    expect(await asAdmin(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'litellm'`)).toBe('litellm');
    const owners = `SELECT coalesce(string_agg(DISTINCT pg_get_userbyid(owner), ','), '') FROM (
      SELECT relowner AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace
      UNION ALL SELECT typowner FROM pg_type WHERE typnamespace = 'public'::regnamespace
      UNION ALL SELECT proowner FROM pg_proc WHERE pronamespace = 'public'::regnamespace) AS objects`;
    expect(await asAdmin(owners)).toBe('litellm');
    // LiteLLM's start-up made its views on the moved database, as its own (now ordinary) role.
    expect(Number(await asAdmin(`SELECT count(*) FROM pg_views WHERE schemaname = 'public' AND viewowner = 'litellm'`))).toBeGreaterThan(1);
  });

  it('refuses LiteLLM’s role from this machine; inside, it can run no program and make no role; the admin has no TCP login', async () => {
    const { gateway } = await pgAddress();
    const refused = await connect('litellm', TEST_SECRETS.POSTGRES_PASSWORD).then(
      async (client) => {
        await client.end();
        return 'logged in';
      },
      (error: Error) => error.message,
    );
    expect(refused).toBe(`pg_hba.conf rejects connection for host "${gateway}", user "litellm", database "litellm", no encryption`);

    const program = await overTcp('litellm', TEST_SECRETS.POSTGRES_PASSWORD, `COPY (SELECT 1) TO PROGRAM 'id > /tmp/mcpgw-pwned'`);
    expect(program.code).not.toBe(0);
    expect(program.output).toMatch(/permission denied to COPY to or from an external program|must be superuser/);
    expect((await exec(PG_CONTAINER, ['test', '-e', '/tmp/mcpgw-pwned'])).code).not.toBe(0);
    const role = await overTcp('litellm', TEST_SECRETS.POSTGRES_PASSWORD, 'CREATE ROLE mcpgw_evil SUPERUSER LOGIN');
    expect(role.code).not.toBe(0);
    expect(role.output).toMatch(/permission denied to create role|must be superuser to create superusers/);
    expect(await asAdmin(`SELECT count(*) FROM pg_roles WHERE rolname = 'mcpgw_evil'`)).toBe('0');
    // Its own tables it still owns and changes (LiteLLM's migrations need that).
    const own = await overTcp('litellm', TEST_SECRETS.POSTGRES_PASSWORD, 'ALTER TABLE mcpgw_test_rows ADD COLUMN IF NOT EXISTS extra text');
    expect(own.code, own.output).toBe(0);

    const admin = await overTcp('mcpgw_admin', 'anything', 'SELECT 1');
    expect(admin.output).toMatch(/pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "mcpgw_admin"/);

    // mcpgw's keys role works on rows from this machine, and on nothing else.
    const keysPassword = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('MCPGW_POSTGRES_KEYS_PASSWORD') ?? '';
    const keys = await connect('mcpgw_keys', keysPassword);
    try {
      await expect(keys.query(`COPY (SELECT 1) TO PROGRAM 'id'`)).rejects.toThrow(/permission denied|must be superuser/);
      await expect(keys.query('CREATE TABLE mcpgw_keys_table (id int)')).rejects.toThrow(/permission denied for schema public/);
      await expect(keys.query('DROP TABLE mcpgw_test_rows')).rejects.toThrow(/must be owner of table mcpgw_test_rows/);
    } finally {
      await keys.end();
    }

    const doctor = await runCli(['doctor', '--json', '--only', 'security.db-role', 'database.auth'], { cwd: dir });
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[] }[] };
    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ['database.auth', 'pass'],
      ['security.db-role', 'pass'],
    ]);
    expect(report.checks[1]?.evidence).toEqual([
      'role litellm: ordinary (no superuser, createrole, createdb, replication, bypassrls)',
      `pg_hba for litellm from this machine (${gateway}): refused`,
    ]);
  });

  it('backup and restore show nothing secret in any command line either, and the keys still work after', async () => {
    // restore refuses a function LiteLLM does not ship (src/backup/screen.ts): this test's own goes before the backup.
    const dropped = await overTcp('litellm', TEST_SECRETS.POSTGRES_PASSWORD, 'DROP FUNCTION mcpgw_test_one()');
    expect(dropped.code, dropped.output).toBe(0);
    const backup = await runCli(['backup', '--json'], { cwd: dir });
    expect(backup.code, backup.stderr).toBe(0);
    backupFile = (JSON.parse(backup.stdout) as { file: string }).file;
    const watch = watchProcessList(await secretValues(dir));
    const restore = await runCli(['restore', backupFile, '--yes'], { cwd: dir });
    const seen = await watch.stop();
    expect(restore.code, restore.stderr).toBe(0);
    expect(seen.leaks).toEqual([]);
    expect(seen.samples).toBeGreaterThan(50);
    expect(await gatewayTools(PORT, ADHOC_KEY)).toEqual(['alpha']);
    // The restored tables are LiteLLM's role's, and mcpgw's keys role reaches them (default privileges).
    expect(await asAdmin(`SELECT coalesce(string_agg(DISTINCT tableowner, ','), '') FROM pg_tables WHERE schemaname = 'public'`)).toBe('litellm');
    const listed = await runCli(['keys', 'list', '--json'], { cwd: dir });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { keys: { alias: string }[] }).keys.map((key) => key.alias).sort()).toEqual(['adhoc', 'claude-code']);
  }, 900_000);

  it('doctor fails security.db-role when pg_hba lets LiteLLM’s role in from this machine, and up puts the lines back', async () => {
    const hba = await asAdmin('SHOW hba_file');
    const cut = await exec(PG_CONTAINER, ['sh', '-c', `sed -i '/^# mcpgw:begin/,/^# mcpgw:end/d' ${hba}`], [], 'postgres');
    expect(cut.code, cut.output).toBe(0);
    await asAdmin('SELECT pg_reload_conf()');
    const doctor = await runCli(['doctor', '--json', '--only', 'security.db-role'], { cwd: dir });
    const check = (JSON.parse(doctor.stdout) as { checks: { status: string; causes: { cause: string; fix: string }[] }[] }).checks[0];
    expect(check?.status).toBe('fail');
    expect(check?.causes[0]?.cause).toMatch(/^pg_hba lets litellm log in from this machine/);
    expect(check?.causes[0]?.fix).toMatch(/`mcpgw up`/);
    const up = await runCli(['up', '--no-probe', '--json'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect((JSON.parse(up.stdout) as { notes: string[] }).notes).toEqual([expect.stringMatching(/^pg_hba: litellm refused from this machine/)]);
    const again = await connect('litellm', TEST_SECRETS.POSTGRES_PASSWORD).then(
      async (client) => void (await client.end()),
      (error: Error) => error.message,
    );
    expect(again).toMatch(/pg_hba\.conf rejects connection/);
  }, 300_000);
});
