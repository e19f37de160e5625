// A deployment like the seed's (shared/seed/: the user's own LiteLLM 1.77.3 gateway), stood up BY HAND, the way
// that user did it and without any of mcpgw's code paths, for the tests of `adopt` and `upgrade` to start from:
// - a shared Postgres (the product's mcpgw/postgres:15 as a plain Postgres: superuser, SCRAM) in a compose project of
//   its own on `postgres-net`, holding LiteLLM's database and a second application's (own role, tables, rows);
// - crystaldba postgres-mcp over SSE in its own compose project (like /home/administrator/projects/mcp/postgres) on
//   `litellm-mcp-net` and `postgres-net`; its MCP SDK answers 421 to any Host but localhost, the seed's hidden failure,
//   left as the seed had it;
// - LiteLLM 1.77.3 in DB mode (mcpgw-test/litellm-db:1.77.3, the product's recipes at that version) in a compose
//   project written as the seed's: `env_file` the secrets file (no LITELLM_SALT_KEY), DATABASE_URL to the shared
//   Postgres by its service name, both networks external, the seed's config.yaml almost verbatim;
// - keys as the seed made them: LITELLM_VIRTUAL_KEY_TEST and a key without alias inserted by hand as SHA-256 rows,
//   one made through 1.77.3's own /key/generate.
// The one stand-in: the model's api_base points at the test LLM fixture (test/stack/llm-fixture), not at Anthropic.
// Each compose project's name is its folder's name, as for a user who runs `docker compose up -d` in that folder.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import pg from 'pg';
import { stringify } from 'yaml';
import type { StackManifest } from '../stack/global-setup.js';
import {
  createNetwork,
  dockerClient,
  removeLabelled,
  RUN_LABEL,
  runId,
  StartedContainer,
  startContainer,
  testLabels,
  waitForHealthy,
  waitForHttp,
  waitForLog,
} from '../stack/stack.js';

export interface SeedDeploymentOptions {
  /** inject('mcpgwStack'): the images (litellmOldDb, postgres, postgresMcp, node) and the run's owner. */
  stack: StackManifest;
  docker?: Docker;
  /** Unique part of every name (networks, containers, compose projects); default a fresh runId(). */
  run?: string;
}

/** A second application on the shared Postgres, which nothing of LiteLLM's may touch. */
export interface OtherApp {
  database: string;
  role: string;
  password: string;
  tables: string[];
  /** md5 over its tables' columns and every row (as the app's own role): equal before and after means untouched. */
  checksum(): Promise<string>;
}

export interface SeedDeployment {
  /** Temporary root holding projects/ and secrets/ (the seed's /home/administrator); removed by stop(). */
  root: string;
  /** LiteLLM's compose folder (the seed's projects/litellm): docker-compose.yml and config/config.yaml. */
  dir: string;
  composeFile: string;
  configFile: string;
  /** secrets/litellm.env, mode 0600: LITELLM_MASTER_KEY, DATABASE_URL, ANTHROPIC_API_KEY, LITELLM_VIRTUAL_KEY_TEST; no salt key. */
  secretsFile: string;
  /** LiteLLM's compose project (= basename of dir) and its container (container_name). */
  project: string;
  litellmContainer: string;
  litellmImage: string;
  litellmVersion: string;
  /** http://127.0.0.1:<port>, LiteLLM's 4000 published on a free loopback port. */
  litellmUrl: string;
  port: number;
  masterKey: string;
  /** Plaintexts: seedTest = LITELLM_VIRTUAL_KEY_TEST (hand row, alias test-key), handRow (hand row, no alias), viaApi (/key/generate). */
  keys: { seedTest: string; handRow: string; viaApi: string };
  /** The shared Postgres: container, its compose project, the postgres-net network (test-unique name), loopback port, superuser. */
  postgresContainer: string;
  postgresProject: string;
  postgresNetwork: string;
  postgresPort: number;
  postgresAdmin: { user: string; password: string };
  /** LiteLLM's database on it: name, role and password (as in DATABASE_URL, which uses the host `postgres`). */
  litellmDatabase: { database: string; user: string; password: string };
  /** The litellm-mcp-net network (test-unique name), where LiteLLM reaches mcp-postgres and the fixture. */
  mcpNetwork: string;
  /** postgres-mcp's compose project (the seed's projects/mcp/postgres), its folder and its container. */
  mcpProject: string;
  mcpDir: string;
  mcpContainer: string;
  /** The LLM fixture standing in for Anthropic (alias `llm` on the MCP network; port 8080 published for /__requests). */
  llm: StartedContainer;
  upstreamKey: string;
  otherApp: OtherApp;
  /** SQL as the superuser on one of the shared Postgres' databases (default LiteLLM's). */
  sql(query: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** `docker compose` in LiteLLM's folder, as the user would run it there. */
  compose(args: string[]): Promise<string>;
  /** Removes every container, network and file it made (compose down in each project, then the test labels). */
  stop(): Promise<void>;
}

/** The seed's model, and the tools it was offered, as in its config.yaml and its log. */
/** Every secret the seed deployment holds: tests assert none reaches any stream mcpgw writes. */
export function seedSecrets(seed: SeedDeployment): string[] {
  return [
    seed.masterKey,
    seed.keys.seedTest,
    seed.keys.handRow,
    seed.keys.viaApi,
    seed.upstreamKey,
    seed.litellmDatabase.password,
    seed.postgresAdmin.password,
    seed.otherApp.password,
  ];
}

export const SEED_MODEL = 'claude-3-haiku-orchestrator';
export const SEED_SERVER = 'db_main';

const secret = (bytes = 16): string => randomBytes(bytes).toString('hex');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function envFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

async function writeSecret(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** Compose's view of an external network: the seed's name as the key, the test-unique one as the real name. */
const external = (name: string) => ({ external: true, name });

export async function startSeedDeployment(options: SeedDeploymentOptions): Promise<SeedDeployment> {
  const { stack } = options;
  const docker = options.docker ?? dockerClient();
  const run = options.run ?? runId();
  const prefix = `mcpgwt-${run}`;
  const labels = testLabels(run, {}, stack.owner);
  const root = await mkdtemp(path.join(tmpdir(), 'mcpgw-seed-'));
  const projects = path.join(root, 'projects');
  const secrets = path.join(root, 'secrets');
  // Compose names a project after its folder: these folders carry the test-unique names.
  const names = {
    postgres: `${prefix}-postgres`,
    mcp: `${prefix}-mcp-postgres`,
    litellm: `${prefix}-litellm`,
    postgresNet: `${prefix}-postgres-net`,
    mcpNet: `${prefix}-litellm-mcp-net`,
  };
  const dirs = { postgres: path.join(projects, names.postgres), mcp: path.join(projects, 'mcp', names.mcp), litellm: path.join(projects, names.litellm) };
  for (const dir of [...Object.values(dirs), path.join(dirs.litellm, 'config'), secrets]) await mkdir(dir, { recursive: true, mode: 0o700 });

  const composeRun = async (dir: string, args: string[]): Promise<string> => {
    const result = await execa('docker', ['compose', ...args], { cwd: dir, reject: false, all: true });
    if (result.exitCode !== 0) throw new Error(`docker compose ${args.join(' ')} in ${dir} failed (exit ${result.exitCode}):\n${result.all}`);
    return result.stdout;
  };
  const cleanup = async (): Promise<void> => {
    for (const dir of [dirs.litellm, dirs.mcp, dirs.postgres]) await composeRun(dir, ['down', '--volumes', '--timeout', '2']).catch(() => undefined);
    await removeLabelled(docker, `${RUN_LABEL}=${run}`);
    await rm(root, { recursive: true, force: true });
  };

  try {
    await createNetwork(docker, names.postgresNet, labels);
    await createNetwork(docker, names.mcpNet, labels);

    // ---- the shared Postgres: a superuser, SCRAM (the image's defaults), published on loopback for the host.
    const admin = { user: 'postgres', password: `pg-${secret()}` };
    const postgresContainer = `${names.postgres}-postgres`;
    await writeSecret(path.join(secrets, 'postgres.env'), envFile({ POSTGRES_USER: admin.user, POSTGRES_PASSWORD: admin.password }));
    await writeFile(
      path.join(dirs.postgres, 'docker-compose.yml'),
      stringify({
        services: {
          postgres: {
            image: stack.images.postgres,
            container_name: postgresContainer,
            restart: 'unless-stopped',
            env_file: [path.join(secrets, 'postgres.env')],
            ports: ['127.0.0.1::5432'],
            networks: ['postgres-net'],
            labels,
          },
        },
        networks: { 'postgres-net': external(names.postgresNet) },
      }),
    );
    const fixtureKey = `sk-ant-fixture-${secret(8)}`;
    const llmStarting = startContainer(docker, {
      name: `${prefix}-llm`,
      image: stack.images.node,
      labels,
      networks: [{ name: names.mcpNet, aliases: ['llm'] }],
      env: { PORT: '8080', FIXTURE_API_KEY: fixtureKey, FIXTURE_MODELS: 'claude-3-haiku-20240307' },
      cmd: ['node', '/fixture/server.mjs'],
      binds: [`${path.join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
      publish: [8080],
    });
    await composeRun(dirs.postgres, ['up', '-d']);
    const pgStarted = docker.getContainer(postgresContainer);
    await waitForHealthy(asStarted(docker, pgStarted, postgresContainer), { timeoutMs: 90_000 });
    const postgresPort = Number((await pgStarted.inspect()).NetworkSettings.Ports['5432/tcp']?.[0]?.HostPort);

    const sql = async (query: string, params: unknown[] = [], database = 'postgres'): Promise<pg.QueryResult> => {
      const client = new pg.Client({ host: '127.0.0.1', port: postgresPort, user: admin.user, password: admin.password, database });
      await client.connect();
      try {
        return await client.query(query, params);
      } finally {
        await client.end();
      }
    };

    // ---- the databases, as that user created them with psql: LiteLLM's, the other application's, a reader for postgres-mcp.
    const litellmDatabase = { database: 'litellm_db', user: 'litellm_user', password: `ll-${secret()}` };
    const otherApp = { database: 'wikidb', role: 'wiki', password: `wk-${secret()}`, tables: ['pages', 'revisions'] };
    const mcpReader = { role: 'mcp_reader', password: `mr-${secret()}` };
    await sql(`CREATE ROLE ${litellmDatabase.user} LOGIN PASSWORD '${litellmDatabase.password}'`);
    await sql(`CREATE DATABASE ${litellmDatabase.database} OWNER ${litellmDatabase.user}`);
    await sql(`CREATE ROLE ${otherApp.role} LOGIN PASSWORD '${otherApp.password}'`);
    await sql(`CREATE DATABASE ${otherApp.database} OWNER ${otherApp.role}`);
    await sql(`CREATE ROLE ${mcpReader.role} LOGIN PASSWORD '${mcpReader.password}'`);
    const asApp = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ host: '127.0.0.1', port: postgresPort, user: otherApp.role, password: otherApp.password, database: otherApp.database });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    await asApp(async (client) => {
      await client.query(`CREATE TABLE pages (id serial PRIMARY KEY, title text NOT NULL UNIQUE, body text NOT NULL, created_at timestamptz NOT NULL)`);
      await client.query(`CREATE TABLE revisions (id serial PRIMARY KEY, page_id int NOT NULL REFERENCES pages(id), note text, at timestamptz NOT NULL)`);
      await client.query(
        `INSERT INTO pages (title, body, created_at) SELECT 'page ' || i, repeat('text of page ' || i || ' ', 20), '2025-09-01'::timestamptz + i * interval '1 hour' FROM generate_series(1, 50) AS i`,
      );
      await client.query(
        `INSERT INTO revisions (page_id, note, at) SELECT 1 + i % 50, 'edit ' || i, '2025-09-10'::timestamptz + i * interval '1 minute' FROM generate_series(1, 200) AS i`,
      );
      await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${mcpReader.role}`);
    });
    const checksum = (): Promise<string> =>
      asApp(async (client) => {
        const parts: string[] = [];
        const columns = await client.query(
          `SELECT table_name, string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ',' ORDER BY ordinal_position) AS c
             FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name ORDER BY table_name`,
        );
        parts.push(...columns.rows.map((row) => `${row.table_name}(${row.c})`));
        for (const table of otherApp.tables) {
          const rows = await client.query(`SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) AS h FROM ${table} t`);
          parts.push(`${table}:${rows.rows[0].n}:${rows.rows[0].h}`);
        }
        return sha256(parts.join('\n'));
      });

    // ---- postgres-mcp over SSE, in a project of its own, reading the other application's database.
    const mcpContainer = `${names.mcp}-mcp-postgres`;
    await writeSecret(
      path.join(secrets, 'mcp-postgres.env'),
      envFile({ DATABASE_URI: `postgresql://${mcpReader.role}:${mcpReader.password}@postgres:5432/${otherApp.database}` }),
    );
    await writeFile(
      path.join(dirs.mcp, 'docker-compose.yml'),
      stringify({
        services: {
          'mcp-postgres': {
            image: stack.images.postgresMcp,
            container_name: mcpContainer,
            restart: 'unless-stopped',
            env_file: [path.join(secrets, 'mcp-postgres.env')],
            command: ['--transport=sse', '--sse-host=0.0.0.0', '--sse-port=8080', '--access-mode=restricted'],
            networks: ['litellm-mcp-net', 'postgres-net'],
            labels,
          },
        },
        networks: { 'litellm-mcp-net': external(names.mcpNet), 'postgres-net': external(names.postgresNet) },
      }),
    );

    // ---- LiteLLM: secrets file, config.yaml and docker-compose.yml as the seed wrote them.
    const masterKey = `sk-${secret(24)}`;
    const seedTest = `sk-${secret(24)}`;
    const secretsFile = path.join(secrets, 'litellm.env');
    await writeSecret(
      secretsFile,
      envFile({
        LITELLM_MASTER_KEY: masterKey,
        DATABASE_URL: `postgresql://${litellmDatabase.user}:${litellmDatabase.password}@postgres:5432/${litellmDatabase.database}`,
        ANTHROPIC_API_KEY: fixtureKey,
        LITELLM_VIRTUAL_KEY_TEST: seedTest,
      }),
    );
    const configFile = path.join(dirs.litellm, 'config', 'config.yaml');
    await writeFile(configFile, seedConfig());
    const port = await freePort();
    const litellmContainer = `${names.litellm}-litellm`;
    const composeFile = path.join(dirs.litellm, 'docker-compose.yml');
    await writeFile(
      composeFile,
      stringify({
        services: {
          litellm: {
            image: stack.images.litellmOldDb,
            container_name: litellmContainer,
            restart: 'unless-stopped',
            ports: [`127.0.0.1:${port}:4000`],
            env_file: [secretsFile],
            volumes: ['./config/config.yaml:/app/config.yaml:ro'],
            command: ['--config', '/app/config.yaml', '--port', '4000'],
            networks: ['postgres-net', 'litellm-mcp-net'],
            logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
            labels,
          },
        },
        networks: { 'postgres-net': external(names.postgresNet), 'litellm-mcp-net': external(names.mcpNet) },
      }),
    );

    const llm = await llmStarting;
    await Promise.all([composeRun(dirs.mcp, ['up', '-d']), composeRun(dirs.litellm, ['up', '-d'])]);
    const litellm = asStarted(docker, docker.getContainer(litellmContainer), litellmContainer);
    const litellmUrl = `http://127.0.0.1:${port}`;
    await Promise.all([
      waitForLog(asStarted(docker, docker.getContainer(mcpContainer), mcpContainer), /Uvicorn running/, { timeoutMs: 60_000 }),
      waitForHttp(llm, `http://127.0.0.1:${await llm.hostPort(8080)}/health`, { timeoutMs: 30_000 }),
      // The image migrates at start-up (litellm-proxy-extras 0.2.19), then LiteLLM connects to its database.
      waitForHttp(litellm, `${litellmUrl}/health/readiness`, { timeoutMs: 240_000 }),
    ]);

    // ---- keys: two hand rows (the seed's "Manual SHA256 hash insertion" after its DB wipe), one through the API.
    const handRow = `sk-${secret(24)}`;
    const litellmSql = (query: string, params: unknown[] = []) => sql(query, params, litellmDatabase.database);
    await litellmSql(`INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, models) VALUES ($1, $2, 'test-key', $3), ($4, $5, NULL, '{}')`, [
      sha256(seedTest),
      `sk-...${seedTest.slice(-4)}`,
      [SEED_MODEL],
      sha256(handRow),
      `sk-...${handRow.slice(-4)}`,
    ]);
    const generated = await fetch(`${litellmUrl}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key_alias: 'claude-code', models: [SEED_MODEL] }),
    });
    const body = (await generated.json()) as { key?: string };
    if (generated.status !== 200 || !body.key) throw new Error(`/key/generate answered ${generated.status}: ${JSON.stringify(body)}`);

    return {
      root,
      dir: dirs.litellm,
      composeFile,
      configFile,
      secretsFile,
      project: names.litellm,
      litellmContainer,
      litellmImage: stack.images.litellmOldDb,
      litellmVersion: stack.versions.litellmOld,
      litellmUrl,
      port,
      masterKey,
      keys: { seedTest, handRow, viaApi: body.key },
      postgresContainer,
      postgresProject: names.postgres,
      postgresNetwork: names.postgresNet,
      postgresPort,
      postgresAdmin: admin,
      litellmDatabase,
      mcpNetwork: names.mcpNet,
      mcpProject: names.mcp,
      mcpDir: dirs.mcp,
      mcpContainer,
      llm,
      upstreamKey: fixtureKey,
      otherApp: { ...otherApp, checksum },
      sql: (query, params = [], database = litellmDatabase.database) => sql(query, params, database),
      compose: (args) => composeRun(dirs.litellm, args),
      stop: cleanup,
    };
  } catch (error) {
    if (process.env.MCPGW_TEST_KEEP !== '1') await cleanup();
    throw error;
  }
}

/** The seed's config/config.yaml (its log, "CURRENT CONFIGURATION"), with the model's api_base on the fixture. */
function seedConfig(): string {
  return `# LiteLLM MCP Gateway - linuxserver.lan (LOCAL NETWORK ONLY)
litellm_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL

model_list:
  - model_name: ${SEED_MODEL}
    litellm_params:
      model: claude-3-haiku-20240307
      api_key: os.environ/ANTHROPIC_API_KEY
      api_base: http://llm:8080

virtual_keys:
  - api_key: os.environ/LITELLM_VIRTUAL_KEY_TEST
    models: ["${SEED_MODEL}"]
    mcp_servers: ["${SEED_SERVER}"]

mcp_servers:
  ${SEED_SERVER}:
    transport: sse
    url: http://mcp-postgres:8080/sse
    api_keys: [os.environ/LITELLM_VIRTUAL_KEY_TEST]
    require_approval: "never"
`;
}

/** A compose-made container seen through the test stack's wait strategies (logs and state on failure). */
function asStarted(docker: Docker, container: Docker.Container, name: string): StartedContainer {
  return new StartedContainer(docker, container, name);
}
