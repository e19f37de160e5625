import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { analyse, configServers, type AdoptReport } from '../adopt/analyse.js';
import { findComposeFile, hostConfigPath, litellmServiceOf, parseCompose, type ComposeProject } from '../adopt/compose.js';
import type { DatabaseSnapshot, KeyRow, Observed, SeenContainer } from '../adopt/inventory.js';
import { adoptedFiles, stackName } from '../adopt/write.js';
import { parseConfig } from '../config/load.js';
import { formatSecrets, parseSecrets } from '../config/secrets.js';
import { hostReachableUrl, type SqlClient } from '../db/connect.js';
import { fetchWithTimeout } from '../gateway/http.js';
import type { ContainerDetails } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { ConfigError, StepFailed, UserError } from '../errors.js';
import { pathExists, readIfExists } from '../fs.js';
import { causeOf, describeAnswer } from '../gateway/causes.js';
import { litellmAnswers, type ServerEndpoint } from '../gateway/vantage.js';
import { serverFieldStatus } from '../litellm/config-fields.js';
import { compareSchema, LIST_MIGRATIONS_PY, LITELLM_VERSION_PY, parseImageMigrations, PYTHON_ANYWHERE, readLedger } from '../litellm/migrations.js';
import { imageVersion } from '../litellm/version.js';
import { labelsFor } from '../stack/labels.js';
import type { OpContext } from './context.js';
import { defaultHost } from './init.js';

export interface AdoptRequest {
  /** The deployment's compose file, or its folder. */
  target: string;
  write?: boolean;
}

export interface AdoptOutcome {
  report: AdoptReport;
  /** --write: what was written, and what the mapping could not carry over. */
  written?: { config: string; secrets: string; backups: { file: string; backup: string; sha256: string }[]; notes: string[] };
  elapsedMs: number;
}

/** An MCP server's listing from LiteLLM's place: past this adopt reports it as not answering (its goal is < 5 s). */
const REACH_DEADLINE_MS = 10_000;

/**
 * The installed litellm version, then what LIST_MIGRATIONS_PY prints (litellm-proxy-extras' version, folder and
 * migration names), with that command's way of finding the container's own python.
 */
const VERSION_CMD = ['sh', '-c', PYTHON_ANYWHERE, `${LITELLM_VERSION_PY}\n${LIST_MIGRATIONS_PY}`];

/**
 * Takes stock of a deployment run by hand, touching nothing: containers are inspected (and asked their version
 * with a read-only exec), the database is read in a READ ONLY transaction, MCP servers are asked from LiteLLM's
 * place as `up` asks them. With `write`, and nothing blocking, mcpgw.yaml and its secrets file describe it.
 */
export async function adoptDeployment(ctx: OpContext, request: AdoptRequest): Promise<AdoptOutcome> {
  const { deps, ui } = ctx;
  const started = deps.clock.now();
  const composeFile = await findComposeFile(path.resolve(deps.cwd, request.target));
  const secretsFile = path.join(path.dirname(ctx.configFile), 'secrets', 'litellm.env');
  if (request.write) {
    for (const file of [ctx.configFile, secretsFile])
      if (await pathExists(file))
        throw new UserError(`${file} already exists; adopt --write never overwrites it`, 'move it away, or write elsewhere with -f OTHER/mcpgw.yaml');
  }
  const compose = parseCompose((await readIfExists(composeFile, 'compose file')) ?? '', composeFile);
  const litellm = litellmServiceOf(compose);
  if (!litellm)
    throw new UserError(`${composeFile} runs no LiteLLM (no service whose image or command is litellm)`, "give the compose file of LiteLLM's own deployment");
  ui.info(`compose project ${compose.project}: ${compose.services.length} services, LiteLLM is ${litellm.name}`);

  const observed: Observed = { compose, litellm, containers: [], envFiles: [], reach: new Map() };
  const configFile = hostConfigPath(litellm);
  if (configFile) {
    observed.configFile = configFile;
    try {
      const text = await readIfExists(configFile, 'config.yaml');
      if (text === undefined) observed.configError = `${configFile} does not exist`;
      else observed.config = (parse(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      observed.configError = (error as Error).message.split('\n')[0];
    }
  }
  const envFiles = [...new Set(compose.services.flatMap((service) => service.envFiles))];
  observed.envFiles = await Promise.all(envFiles.map((file) => readEnvFile(file)));
  for (const file of observed.envFiles) ui.addSecrets([...(file.values?.values() ?? [])].filter((value) => value.length >= 8));

  const engine = await deps.docker().catch((error: Error) => error);
  if (engine instanceof Error) ui.warn(`${engine.message}: adopt reads only the files`);
  else await inspectContainers(engine, compose, observed);
  if (observed.litellmContainer) ui.addSecrets([...observed.litellmContainer.env.values()].filter((value) => value.length >= 8));
  ui.info(
    observed.litellmContainer
      ? `LiteLLM container ${observed.litellmContainer.name}: ${observed.litellmContainer.status}${observed.version ? `, LiteLLM ${observed.version.version}` : ''}`
      : `no container of ${litellm.name} exists`,
  );

  const env = observed.litellmContainer?.env ?? new Map(observed.envFiles.flatMap((file) => [...(file.values ?? [])]));
  const databaseUrl = env.get('DATABASE_URL');
  const password = URL.canParse(databaseUrl ?? '') ? decodeURIComponent(new URL(databaseUrl as string).password) : '';
  if (password) ui.addSecrets([password]);
  const [database, postgresHost] = await Promise.all([
    databaseUrl ? readDatabase(ctx, databaseUrl, engine instanceof Error ? undefined : engine, observed) : Promise.resolve(undefined),
    databaseUrl && !(engine instanceof Error)
      ? databaseHost(engine, databaseUrl, observed.litellmContainer?.networks ?? litellm.networks)
      : Promise.resolve(undefined),
    engine instanceof Error ? Promise.resolve() : reachServers(ctx, engine, observed),
    modelProviders(observed).then((providers) => {
      if (providers) observed.modelProviders = providers;
    }),
  ]);
  if (!databaseUrl) observed.databaseError = "LiteLLM's environment has no DATABASE_URL";
  if (database instanceof Error) observed.databaseError = database.message;
  else if (database) observed.database = database;

  const { report, keys } = analyse(observed, new Date(deps.clock.now()), { write: Boolean(request.write) });
  if (!request.write || !report.ok) return { report, elapsedMs: deps.clock.now() - started };

  const dir = path.dirname(ctx.configFile);
  const backups = await backUp(dir, [compose.file, ...(observed.configFile && observed.config ? [observed.configFile] : [])]);
  const files = adoptedFiles(observed, keys, report, {
    host: defaultHost(deps.hostname()),
    backups,
    databaseNetwork: postgresHost?.network ?? guessedNetwork(observed),
    ...(postgresHost?.image ? { databaseImage: postgresHost.image } : {}),
  });
  try {
    parseConfig(files.mcpgwYaml, ctx.configFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new StepFailed(
      `the mcpgw.yaml adopt would write does not load (nothing was written besides the backups): ${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      'fix those fields in the deployment (config.yaml, compose file), or write mcpgw.yaml by hand from `mcpgw adopt` --json',
    );
  }
  await mkdir(path.dirname(secretsFile), { recursive: true, mode: 0o700 });
  await chmod(path.dirname(secretsFile), 0o700);
  await writeFile(secretsFile, formatSecrets(files.secrets, ['secrets of the deployment adopted by `mcpgw adopt --write`; mode 0600']), { mode: 0o600 });
  await chmod(secretsFile, 0o600);
  await writeFile(ctx.configFile, files.mcpgwYaml, { mode: 0o644 });
  return { report, written: { config: ctx.configFile, secrets: secretsFile, backups, notes: files.notes }, elapsedMs: deps.clock.now() - started };
}

/** An env file's variables; a malformed one is reported, not thrown (its error names lines, never values). */
async function readEnvFile(file: string): Promise<Observed['envFiles'][number]> {
  try {
    const text = await readIfExists(file, 'env file');
    if (text === undefined) return { file, values: undefined, error: 'does not exist (compose refuses to start without it)' };
    return { file, values: parseSecrets(text, file) };
  } catch (error) {
    const issues = error instanceof ConfigError ? error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ') : (error as Error).message;
    return { file, values: undefined, error: issues };
  }
}

/** The container of a compose service: by compose's labels, else its container_name, else compose's own naming. */
async function findContainer(engine: Engine, compose: ComposeProject, service: ComposeProject['services'][number]): Promise<ContainerDetails | undefined> {
  const labelled = await engine.listContainers([`com.docker.compose.project=${compose.project}`, `com.docker.compose.service=${service.name}`]);
  // Two folders of the same name are two projects of the same name: the one run from this folder is the one.
  const here = labelled.filter((container) => (container.labels['com.docker.compose.project.working_dir'] ?? compose.dir) === compose.dir);
  const candidates = [
    ...here.map((container) => container.id),
    service.containerName,
    `${compose.project}-${service.name}-1`,
    `${compose.project}_${service.name}_1`,
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const details = await engine.containerDetails(candidate);
    if (details) return details;
  }
  return undefined;
}

async function inspectContainers(engine: Engine, compose: ComposeProject, observed: Observed): Promise<void> {
  const found = await Promise.all(compose.services.map(async (service) => [service, await findContainer(engine, compose, service)] as const));
  for (const [service, details] of found) {
    if (!details) continue;
    const seen: SeenContainer = {
      service: service.name,
      name: details.name,
      image: details.image,
      running: details.running,
      status: details.status,
      networks: details.networks,
    };
    observed.containers.push(seen);
    if (service !== observed.litellm) continue;
    const env = new Map(
      details.env.map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      }),
    );
    const publishedPort = details.ports.find((port) => port.target === 4000)?.hostPort;
    observed.litellmContainer = { ...seen, env, ...(publishedPort ? { publishedPort } : {}) };
    observed.version = await readVersion(engine, details, observed);
  }
}

/**
 * The version LiteLLM runs: the installed package, asked inside the running container (the tag may float:
 * main-latest); else the image's version label, else its tag. The exec also lists the migrations the image ships.
 */
async function readVersion(engine: Engine, details: ContainerDetails, observed: Observed): Promise<Observed['version']> {
  if (details.running) {
    const answer = await engine.exec(details.id, VERSION_CMD).catch(() => undefined);
    const [first = '', ...rest] = answer?.output.split('\n') ?? [];
    const version = /^\d+\.\d+\.\d+\S*$/.test(first.trim()) ? first.trim() : undefined;
    try {
      // A LiteLLM without DB mode has no litellm-proxy-extras: its migrations are simply not known.
      observed.shippedMigrations = parseImageMigrations(details.image, { exitCode: answer?.exitCode ?? -1, output: rest.join('\n') }).names;
    } catch {}
    if (version) return { version, source: 'the litellm package installed in the running container' };
  }
  const labels = await engine.imageLabels(details.imageId).catch(() => undefined);
  const labelled = labels?.['org.opencontainers.image.version'];
  if (labelled && imageVersion(`x:${labelled}`))
    return { version: imageVersion(`x:${labelled}`) as string, source: "the image's org.opencontainers.image.version label" };
  const tagged = imageVersion(details.image);
  return tagged ? { version: tagged, source: `the image tag (${details.image})` } : undefined;
}

/** The network of LiteLLM's on which the database's host name resolves (the shared Postgres network). */
/**
 * The shared Postgres as LiteLLM reaches it: the network its container is on and that container's image, whose
 * pg_dump and psql match the server (backup, restore and the upgrade's rehearsal run them).
 */
async function databaseHost(engine: Engine, url: string, networks: string[]): Promise<{ network: string; image?: string } | undefined> {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  for (const network of networks) {
    const members = await engine.networkMembers(network).catch(() => []);
    const member = members.find((entry) => entry.name.toLowerCase() === host || entry.aliases.some((alias) => alias.toLowerCase() === host));
    if (!member) continue;
    const image = (await engine.listContainers([]).catch(() => [])).find((container) => container.name === member.name)?.image;
    return { network, ...(image ? { image } : {}) };
  }
  return undefined;
}

/**
 * Which provider the running LiteLLM resolved for each model (GET /model/info with the master key on its published
 * port, read-only); undefined when it does not answer.
 */
async function modelProviders(observed: Observed): Promise<Map<string, string> | undefined> {
  const container = observed.litellmContainer;
  const masterKey = container?.env.get('LITELLM_MASTER_KEY');
  if (!container?.running || !container.publishedPort || !masterKey) return undefined;
  try {
    const response = await fetchWithTimeout(
      `http://127.0.0.1:${container.publishedPort}/model/info`,
      { headers: { authorization: `Bearer ${masterKey}` } },
      5_000,
    );
    if (!response.ok) return undefined;
    const body = (await response.json()) as { data?: { model_name?: unknown; model_info?: { litellm_provider?: unknown } }[] };
    const providers = new Map<string, string>();
    for (const entry of body.data ?? [])
      if (typeof entry.model_name === 'string' && typeof entry.model_info?.litellm_provider === 'string')
        providers.set(entry.model_name, entry.model_info.litellm_provider);
    return providers;
  } catch {
    return undefined;
  }
}

/** Without Docker to ask: LiteLLM's network named for Postgres, else the seed's postgres-net. */
function guessedNetwork(observed: Observed): string {
  const networks = observed.litellmContainer?.networks ?? observed.litellm.networks;
  return networks.find((network) => /postgres|pg|db/i.test(network)) ?? 'postgres-net';
}

function describeTarget(url: string): { where: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  return { where: `${decodeURIComponent(parsed.username)}@${parsed.hostname}:${parsed.port || 5432}/${database}`, database };
}

/** LiteLLM's database as it is, read in one READ ONLY transaction (rolled back), from this machine. */
async function readDatabase(ctx: OpContext, url: string, engine: Engine | undefined, observed: Observed): Promise<DatabaseSnapshot | Error> {
  let client: SqlClient | undefined;
  try {
    const reachable = engine ? await hostReachableUrl(url, observed.litellmContainer?.networks ?? observed.litellm.networks, engine) : url;
    const { where, database } = describeTarget(url);
    client = await ctx.deps.database(reachable);
    await client.query('BEGIN TRANSACTION READ ONLY');
    const snapshot = await readSnapshot(client);
    const shipped = observed.shippedMigrations;
    return { where, database, ...snapshot, ...(shipped ? { verdict: compareSchema(snapshot.ledger, { names: shipped }) } : {}) };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client?.query('ROLLBACK').catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}

async function readSnapshot(db: SqlClient): Promise<Omit<DatabaseSnapshot, 'where' | 'database' | 'verdict'>> {
  const [state] = (
    await db.query<{ permissions: boolean; servers: boolean; tables: string }>(
      `SELECT to_regclass('public."LiteLLM_ObjectPermissionTable"') IS NOT NULL AS permissions,
              to_regclass('public."LiteLLM_MCPServerTable"') IS NOT NULL AS servers,
              (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'LiteLLM\\_%') AS tables`,
    )
  ).rows;
  const databases = (
    await db.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> current_database() ORDER BY datname')
  ).rows;
  const hasTokens = Number(state?.tables ?? 0) > 0;
  // Only columns every LiteLLM since 1.70 has: a 1.77-era schema lacks later ones (last_rotation_at, …).
  const keys = hasTokens
    ? (
        await db.query<{
          token: string;
          key_alias: string | null;
          key_name: string | null;
          expires: Date | null;
          blocked: boolean | null;
          models: string[] | null;
          created_by: string | null;
          created_at: Date | null;
          mcp_servers: string[] | null;
          mcp_access_groups: string[] | null;
        }>(
          `SELECT v.token, v.key_alias, v.key_name, v.expires, v.blocked, v.models, v.created_by, v.created_at,
                  ${state?.permissions ? 'o.mcp_servers, o.mcp_access_groups' : 'NULL::text[] AS mcp_servers, NULL::text[] AS mcp_access_groups'}
             FROM "LiteLLM_VerificationToken" v
             ${state?.permissions ? 'LEFT JOIN "LiteLLM_ObjectPermissionTable" o ON o.object_permission_id = v.object_permission_id' : ''}
            ORDER BY v.created_at NULLS FIRST, v.key_alias`,
        )
      ).rows
    : [];
  const servers = state?.servers
    ? (
        await db.query<{ server_id: string; server_name: string | null; alias: string | null; url: string | null; transport: string | null }>(
          'SELECT server_id, server_name, alias, url, transport FROM "LiteLLM_MCPServerTable" ORDER BY server_name',
        )
      ).rows
    : [];
  return {
    otherDatabases: databases.map((row) => row.datname).filter((name) => name !== 'postgres'),
    keys: keys.map(
      (row): KeyRow => ({
        token: row.token,
        keyAlias: row.key_alias,
        keyName: row.key_name,
        expires: row.expires,
        blocked: row.blocked,
        models: row.models ?? [],
        createdBy: row.created_by,
        createdAt: row.created_at,
        mcpServers: row.mcp_servers,
        mcpGroups: row.mcp_access_groups ?? [],
      }),
    ),
    servers: servers.map((row) => ({ serverId: row.server_id, serverName: row.server_name, alias: row.alias, url: row.url, transport: row.transport })),
    ledger: await readLedger(db),
  };
}

/**
 * Each url server of config.yaml asked from inside LiteLLM's running container, with the URL and the headers that
 * LiteLLM version really sends (1.77.3 sends no static_headers).
 */
async function reachServers(ctx: OpContext, engine: Engine, observed: Observed): Promise<void> {
  const container = observed.litellmContainer;
  // Only from the running container: read-only means no throwaway container either.
  if (!container?.running) return;
  const version = observed.version?.version ?? 'unknown';
  const endpoints: ServerEndpoint[] = configServers(observed.config).flatMap(([name, entry]) => {
    if (typeof entry.url !== 'string' || /\$\{|os\.environ\//.test(entry.url)) return [];
    const transport = entry.transport === 'sse' ? 'sse' : 'http';
    const headers =
      serverFieldStatus('static_headers', version) === 'honoured' && entry.static_headers && typeof entry.static_headers === 'object'
        ? entry.static_headers
        : {};
    return [{ name, url: entry.url, transport, headers: headers as Record<string, string> }];
  });
  if (endpoints.length === 0) return;
  const place = {
    container: container.name,
    image: container.image,
    networks: container.networks,
    labels: labelsFor(stackName(observed.compose.project), 'vantage'),
  };
  const ask = litellmAnswers(engine, place, () => ctx.deps.randomBytes(4).toString('hex'), endpoints, REACH_DEADLINE_MS);
  for (const endpoint of endpoints) {
    const answer = await ask(endpoint.name);
    if (answer instanceof Error || answer === undefined) {
      observed.reach.set(endpoint.name, { ok: false, seen: `not asked from LiteLLM's network${answer ? `: ${answer.message}` : ''}` });
      continue;
    }
    const cause = causeOf(answer, {});
    observed.reach.set(endpoint.name, {
      ok: cause === undefined,
      seen: describeAnswer(answer),
      ...(cause ? { cause } : {}),
      ...(answer.status ? { status: answer.status } : {}),
      ...(answer.speaks ? { speaks: answer.speaks } : {}),
    });
  }
}

/** Copies each hand-written file under adopted/ beside mcpgw.yaml (folder 0700, files 0600: a compose file may hold secrets). */
async function backUp(dir: string, files: string[]): Promise<{ file: string; backup: string; sha256: string }[]> {
  const folder = path.join(dir, 'adopted');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  const out: { file: string; backup: string; sha256: string }[] = [];
  for (const file of files) {
    let backup = path.join(folder, path.basename(file));
    for (let n = 2; out.some((entry) => entry.backup === backup) || (await pathExists(backup)); n += 1)
      backup = path.join(folder, `${n}-${path.basename(file)}`);
    await copyFile(file, backup);
    await chmod(backup, 0o600);
    out.push({
      file,
      backup,
      sha256: createHash('sha256')
        .update(await readFile(backup))
        .digest('hex'),
    });
  }
  return out;
}
