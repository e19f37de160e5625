import { isIP } from 'node:net';
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { POSTGRES_KEYS_PASSWORD_SECRET, POSTGRES_KEYS_ROLE } from '../config/postgres-roles.js';
import type { Secrets } from '../config/secrets.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed, UserError } from '../errors.js';
import { reachableHost } from '../stack/endpoints.js';
import { STACK_LABEL } from '../stack/labels.js';
import { LITELLM_SERVICE, litellmService, POSTGRES_PORT, POSTGRES_SERVICE, postgresService, type StackModel } from '../stack/model.js';
import { labelledContainer } from '../stack/running.js';

export interface SqlClient {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
}

/** External mode: the URL secret, as LiteLLM uses it from its networks. */
export function externalDatabaseUrl(loaded: LoadedConfig, secrets: Secrets): string {
  const name = loaded.config.postgres.url;
  const url = secrets.get(name);
  if (!url) throw new UserError(`the secrets file lacks ${name}`, `add ${name}=postgresql://user:password@host:5432/db`);
  return url;
}

/**
 * Where mcpgw reaches LiteLLM's database from this machine. Bundled: as mcpgw's keys role (rows of LiteLLM's
 * tables, nothing more; LiteLLM's own role is refused from this machine, src/db/provision.ts), at 127.0.0.1:host_port
 * when published, else the container's address on its network (mcpgw runs on the Docker host). External: the URL
 * secret, LiteLLM's own, its host made reachable from here (hostReachableUrl) through `postgres.network` and
 * LiteLLM's networks.
 */
export async function databaseUrl(loaded: LoadedConfig, model: StackModel, secrets: Secrets, engine: () => Promise<Engine>): Promise<string> {
  const { postgres } = loaded.config;
  if (postgres.mode === 'external') {
    const url = externalDatabaseUrl(loaded, secrets);
    if (!containerNameCandidate(url)) return url;
    let docker: Engine;
    try {
      docker = await engine();
    } catch {
      // No Docker engine here: no container name to resolve either; a host this machine cannot resolve is named
      // by the connection's own error.
      return url;
    }
    return hostReachableUrl(url, [postgres.network, ...litellmService(model).networks], docker);
  }
  if (postgres.host_port !== undefined) return bundledKeysUrl(secrets, '127.0.0.1', postgres.host_port, postgres.database);
  const service = postgresService(model);
  const address = service ? await (await engine()).containerAddress(service.containerName, postgres.network) : undefined;
  if (!address) throw new StepFailed(`the Postgres container of stack "${model.name}" is not running`, 'run `mcpgw up` first');
  return bundledKeysUrl(secrets, address, POSTGRES_PORT, postgres.database);
}

/** mcpgw's keys role on the bundled Postgres at `host:port` (its password from the secrets file, which `up` fills). */
export function bundledKeysUrl(secrets: Secrets, host: string, port: number, database: string): string {
  const keysPassword = secrets.get(POSTGRES_KEYS_PASSWORD_SECRET);
  if (!keysPassword) {
    throw new UserError(
      `the secrets file lacks ${POSTGRES_KEYS_PASSWORD_SECRET}, the password of mcpgw's own database role`,
      '`mcpgw up` adds it and creates the role',
    );
  }
  return `postgresql://${POSTGRES_KEYS_ROLE}:${encodeURIComponent(keysPassword)}@${host}:${port}/${database}`;
}

/**
 * Where mcpgw reaches LiteLLM's database when mcpgw.yaml does not validate (`keys list`, doctor): from what runs, as
 * `databaseUrl` would from the file. The stack's bundled Postgres container, found by its labels: mcpgw's keys role
 * (its password from the secrets file), the database the container was created with, at its published port or its
 * address on its network. Without one (external mode): the URL LiteLLM's container runs with, its host made
 * reachable from here. Never LiteLLM's own role on the bundled Postgres, which is refused from this machine.
 */
export async function runningDatabaseUrl(engine: Engine, stack: string, secrets: Secrets): Promise<string> {
  const postgres = await labelledContainer(engine, stack, POSTGRES_SERVICE);
  const fix = 'run `mcpgw status` to see what runs; `mcpgw up` once mcpgw.yaml is fixed';
  if (postgres) {
    const details = await engine.containerDetails(postgres.id);
    if (!details?.running) throw new StepFailed(`the Postgres container of stack "${stack}" is not running`, fix);
    // The database the container was created with, as mcpgw creates it from postgres.database.
    const database = envValue(details.env, 'POSTGRES_DB');
    if (!database) throw new StepFailed(`container ${details.name} names no database (POSTGRES_DB): mcpgw did not create it`, fix);
    const published = details.ports.find((port) => port.target === POSTGRES_PORT && port.hostPort > 0);
    if (published) return bundledKeysUrl(secrets, reachableHost(published.hostIp), published.hostPort, database);
    for (const network of details.networks) {
      const address = await engine.containerAddress(details.name, network);
      if (address) return bundledKeysUrl(secrets, address, POSTGRES_PORT, database);
    }
    throw new StepFailed(`the Postgres container of stack "${stack}" has no address on its networks`, fix);
  }
  const litellm = await labelledContainer(engine, stack, LITELLM_SERVICE);
  const details = litellm && (await engine.containerDetails(litellm.id));
  const url = details && envValue(details.env, 'DATABASE_URL');
  if (!details || !url) throw new StepFailed(`no Postgres or LiteLLM container is labelled ${STACK_LABEL}=${stack} on this engine`, fix);
  return hostReachableUrl(url, details.networks, engine);
}

/** A variable of a container's environment (NAME=value lines). */
function envValue(env: string[], name: string): string | undefined {
  const line = env.find((entry) => entry.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1) || undefined;
}

/** The URL's host, when it may be a container's name (not an address, not this machine). */
function containerNameCandidate(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (!host || host.startsWith('[') || isIP(host) !== 0 || host === 'localhost') return undefined;
  return host.toLowerCase();
}

/**
 * `url` with its host replaced by an address this machine can route to, when the host is what LiteLLM resolves
 * through Docker's DNS: the name or an alias (a compose service name, say) of a running container on one of
 * `networks` (the first network that has it wins, a container's own name over another's alias). The port stays:
 * the Docker host reaches bridge addresses directly. Any other host (an address, a DNS name) is left as it is.
 */
export async function hostReachableUrl(url: string, networks: string[], engine: Pick<Engine, 'networkMembers'>): Promise<string> {
  const host = containerNameCandidate(url);
  if (!host) return url;
  for (const network of new Set(networks)) {
    const members = await engine.networkMembers(network);
    const match =
      members.find((member) => member.name.toLowerCase() === host) ?? members.find((member) => member.aliases.some((alias) => alias.toLowerCase() === host));
    if (match) {
      const parsed = new URL(url);
      parsed.hostname = match.address;
      return parsed.toString();
    }
  }
  return url;
}

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;

/** Connects with `pg`, turning its failures into errors that say what to fix (never the password). */
export async function connectDatabase(url: string): Promise<SqlClient> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    // LiteLLM stores naive UTC timestamps (TIMESTAMP(3)); pg would read them in the machine's local zone.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === TIMESTAMP_WITHOUT_TIME_ZONE
          ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
          : pgModule.types.getTypeParser(oid, format as 'text')) as typeof pgModule.types.getTypeParser,
    },
  });
  const where = describeTarget(url);
  // A dropped connection also fails the pending query, which reports it; without a listener the 'error'
  // event would crash the process instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw explainConnectError(error as pg.DatabaseError & NodeJS.ErrnoException, where);
  }
  return client as unknown as SqlClient;
}

function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${decodeURIComponent(parsed.username)}@${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'the configured database';
  }
}

export function explainConnectError(error: { code?: string; message: string }, where: string): StepFailed {
  switch (error.code) {
    case 'ENOTFOUND':
      return new StepFailed(
        `Postgres at ${where} is unreachable (${error.code}: no such host here)`,
        "fix the host in the database URL; a container's name is used only when that container runs on `postgres.network` or one of LiteLLM's networks",
      );
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return new StepFailed(`Postgres at ${where} is unreachable (${error.code})`, 'start it (`mcpgw up`) or fix the host and port in the database URL');
    case '28P01':
      return new StepFailed(
        `Postgres refused the password for ${where}`,
        'the password in the secrets file must match the role; for the bundled Postgres `mcpgw up` re-applies it',
      );
    case '28000':
      return new StepFailed(`Postgres has no pg_hba.conf entry allowing ${where}`, 'add a `host … scram-sha-256` line for this client');
    case '3D000':
      return new StepFailed(`the database in ${where} does not exist`, 'create it, or run `mcpgw up` for the bundled Postgres');
    default:
      if (/SASL|SCRAM/i.test(error.message))
        return new StepFailed(`SCRAM authentication to ${where} failed: ${error.message}`, 'check the password and that the role is stored with scram-sha-256');
      if (/timeout/i.test(error.message))
        return new StepFailed(`Postgres at ${where} did not answer in time`, 'check that it is running and reachable from this machine');
      return new StepFailed(`cannot connect to Postgres at ${where}: ${error.message}`);
  }
}
