import path from 'node:path';
import { parse } from 'yaml';
import { invalidConfigHints, loadConfig, type LoadedConfig } from '../config/load.js';
import type { McpgwConfig, SwarmConfig } from '../config/schema.js';
import { readSecrets, type Secrets } from '../config/secrets.js';
import { databaseUrl, runningDatabaseUrl, type SqlClient } from '../db/connect.js';
import { ConfigError } from '../errors.js';
import { readIfExists } from '../fs.js';
import type { ContainerSummary } from '../docker/containers.js';
import type { Deps } from '../deps.js';
import type { Engine } from '../docker/engine.js';
import { declaredKeys, serverIds, type DesiredKey } from '../keys/desired.js';
import { leaseKey } from '../keys/lease.js';
import { KeyStore, type KeyRow, type RotatedKey } from '../keys/store.js';
import type { KeyLease } from '../keys/lease.js';
import { checkLiveliness } from '../gateway/litellm-checks.js';
import { litellmVersion, type LitellmVersion } from '../gateway/litellm-version.js';
import { renderStack, type RenderedFile, type SwarmRendering } from '../render/render.js';
import { loadTemplates } from '../render/templates.js';
import { SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import { buildStackModel, LITELLM_SERVICE, litellmBaseUrl, litellmService, type StackModel } from '../stack/model.js';
import { runningGatewayUrl } from '../stack/running.js';
import { LITELLM_CONFIG_FILE } from '../render/litellm-config.js';
import type { SwarmModel } from '../stack/swarm.js';
import type { Cluster } from '../swarm/cluster.js';
import { swarmDatabaseUrl } from '../swarm/database.js';

/**
 * Everything the doctor touches outside its own logic: its part of the commands' `Deps` (`cwd` is where
 * project-scoped client files, .mcp.json and .vscode/mcp.json, are looked for), and what only the doctor needs.
 * The CLI passes real ones, tests real or small fakes.
 */
export interface DoctorDeps extends Pick<Deps, 'cwd' | 'env' | 'clock' | 'randomBytes' | 'docker' | 'database' | 'hostShell'> {
  configFile: string;
  /** Registers values for redaction before anything can print them. */
  protect(values: Iterable<string>): void;
  /** Deadline of one request (HTTP, MCP, SQL) inside a check. */
  requestTimeoutMs: number;
  /** --offline: no model call and no MCP tool call; the gateway checks list tools instead (fast). */
  offline: boolean;
  /** --replicas: the replicas.* checks run also on one engine with one LiteLLM. */
  replicas?: boolean;
  /** The user the doctor runs as, for the secrets file's owner. */
  uid: number | undefined;
  /** engine: swarm: the stack as Swarm runs it, with the image launches read on this machine's engine (no node asked). */
  swarmRendering?(loaded: LoadedConfig, model: StackModel): Promise<SwarmRendering>;
  /** engine: swarm: connects the swarm mcpgw.yaml names (asked once per run: every check shares one cluster). */
  connectSwarm?(swarm: SwarmConfig): Promise<Cluster>;
}

/** Where the stack is, from mcpgw.yaml or (`valid: false`) from what a file that does not validate still tells. */
export interface StackPlace {
  name: string;
  /** mcpgw.yaml's directory, where the deployed files are. */
  dir: string;
  secretsFile: string;
  engine: McpgwConfig['engine'];
  valid: boolean;
}

/** The stack's swarm as the swarm checks read it. */
export interface DoctorSwarm {
  cluster: Cluster;
  model: SwarmModel;
}

/** pg runs one query at a time per connection; checks in parallel queue theirs here instead of overlapping. */
function serialized(client: SqlClient): SqlClient {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    query: <R extends object>(sql: string, params?: unknown[]) => {
      const result = tail.then(() => client.query<R>(sql, params));
      tail = result.catch(() => undefined);
      return result;
    },
    end: () => client.end(),
  };
}

/**
 * Shared, lazily built resources for the checks: each is made once on first use and memoized (a failure too),
 * so checks run in parallel over one config parse, one Docker connection and one database connection.
 */
export class DoctorContext {
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly leases: KeyLease[] = [];
  private readonly connections: SqlClient[] = [];
  /** Tunnels into a swarm's tasks, closed after the connections through them. */
  private readonly tunnels: (() => Promise<void>)[] = [];

  constructor(readonly deps: DoctorDeps) {}

  /** Made once per run and shared by every caller (a rejection too): also for data several checks derive. */
  once<T>(name: string, make: () => Promise<T>): Promise<T> {
    let value = this.memo.get(name) as Promise<T> | undefined;
    if (!value) {
      value = make();
      // A memoized rejection is still observed by whoever awaits it; this only silences the unawaited copy.
      value.catch(() => undefined);
      this.memo.set(name, value);
    }
    return value;
  }

  get env(): Readonly<Record<string, string | undefined>> {
    return this.deps.env;
  }

  /** The time a check judges ages and expiries at. */
  now(): Date {
    return new Date(this.deps.clock.now());
  }

  loaded(): Promise<LoadedConfig> {
    return this.once('config', () => loadConfig(this.deps.configFile));
  }

  /**
   * Where the stack is: its name, directory, secrets file and engine from mcpgw.yaml; when the file does not validate,
   * what it still tells (src/config/load.ts invalidConfigHints), so the checks of what runs still find it by its labels.
   */
  place(): Promise<StackPlace> {
    return this.once('place', async () => {
      const loaded = await this.loaded().catch((error: unknown) => {
        if (error instanceof ConfigError) return undefined;
        throw error;
      });
      if (loaded) return { name: loaded.config.name, dir: loaded.dir, secretsFile: loaded.secretsFile, engine: loaded.config.engine, valid: true };
      return { ...(await invalidConfigHints(this.deps.configFile)), dir: path.dirname(path.resolve(this.deps.configFile)), valid: false };
    });
  }

  secrets(): Promise<Secrets> {
    return this.once('secrets', async () => {
      const secrets = await readSecrets((await this.place()).secretsFile);
      this.deps.protect(secrets.values());
      return secrets;
    });
  }

  model(): Promise<StackModel> {
    return this.once('model', async () => buildStackModel((await this.loaded()).config));
  }

  rendered(): Promise<RenderedFile[]> {
    return this.once('rendered', async () => {
      const loaded = await this.loaded();
      const swarm = loaded.config.engine === 'swarm' ? await this.swarmRendering() : undefined;
      return renderStack(await this.model(), await this.secrets(), loadTemplates(), loaded.secretsFile, swarm);
    });
  }

  /** A file as deployed next to mcpgw.yaml (what compose and LiteLLM really read), undefined when absent. */
  deployedPath(relative: string): Promise<string> {
    return this.place().then((place) => path.join(place.dir, relative));
  }

  deployed(relative: string): Promise<string | undefined> {
    return this.once(`deployed:${relative}`, async () => {
      return readIfExists(await this.deployedPath(relative));
    });
  }

  /** The deployed config/config.yaml parsed, or undefined when it is absent; a YAML error is thrown. */
  deployedLitellmConfig(): Promise<Record<string, unknown> | undefined> {
    return this.once('deployed-litellm', async () => {
      const text = await this.deployed(LITELLM_CONFIG_FILE);
      if (text === undefined) return undefined;
      const parsed: unknown = parse(text);
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    });
  }

  /** The keys mcpgw.yaml declares, with their values from the secrets file, as sync would write them. */
  declaredKeys(): Promise<DesiredKey[]> {
    return this.once('declared-keys', async () => declaredKeys((await this.loaded()).config, await this.model(), await this.secrets()));
  }

  docker(): Promise<Engine> {
    return this.once('docker', () => this.deps.docker());
  }

  /** The stack's containers (any state), found by label. */
  containers(): Promise<ContainerSummary[]> {
    return this.once('containers', async () => (await this.docker()).listContainers([`${STACK_LABEL}=${(await this.place()).name}`]));
  }

  /** engine: swarm only: the stack as Swarm runs it (what `up` renders and deploys there). */
  swarmRendering(): Promise<SwarmRendering> {
    return this.once('swarm-rendering', async () => {
      const loaded = await this.loaded();
      if (loaded.config.engine !== 'swarm' || !this.deps.swarmRendering) throw new Error('mcpgw.yaml names no swarm (engine: compose)');
      return this.deps.swarmRendering(loaded, await this.model());
    });
  }

  /** engine: swarm only: the connected swarm and the stack as Swarm runs it. */
  swarm(): Promise<DoctorSwarm> {
    return this.once('swarm', async () => {
      const { config } = await this.loaded();
      if (!config.swarm || !this.deps.connectSwarm) throw new Error('mcpgw.yaml names no swarm (engine: compose)');
      const [cluster, rendering] = await Promise.all([this.deps.connectSwarm(config.swarm), this.swarmRendering()]);
      return { cluster, model: rendering.model };
    });
  }

  /** The swarm when mcpgw.yaml names one, undefined on one engine. */
  async swarmIfAny(): Promise<DoctorSwarm | undefined> {
    return (await this.loaded()).config.engine === 'swarm' ? this.swarm() : undefined;
  }

  /** On one engine the database is routed to from here; on a swarm through a tunnel into a task (as `mcpgw keys`). */
  private databaseUrl(): Promise<string> {
    return this.once('database-url', async () => {
      const place = await this.place();
      if (!place.valid) {
        const url = await runningDatabaseUrl(await this.docker(), place.name, await this.secrets());
        this.deps.protect([url]);
        return url;
      }
      const [loaded, secrets, swarm] = await Promise.all([this.loaded(), this.secrets(), this.swarmIfAny()]);
      let url: string;
      if (swarm) {
        const reached = await swarmDatabaseUrl(swarm.cluster, loaded, secrets);
        this.tunnels.push(reached.close);
        url = reached.url;
      } else url = await databaseUrl(loaded, await this.model(), secrets, () => this.docker());
      this.deps.protect([url]);
      return url;
    });
  }

  private async connect(): Promise<SqlClient> {
    const client = await this.deps.database(await this.databaseUrl());
    this.connections.push(client);
    return client;
  }

  /** One connection for every read-only query of every check, queries queued one after another on it. */
  db(): Promise<SqlClient> {
    return this.once('db', async () => serialized(await this.connect()));
  }

  /** LiteLLM's key tables, read on the shared connection, refused when the schema is one mcpgw cannot read. */
  private keyStore(): Promise<KeyStore> {
    return this.once('key-store', async () => {
      const store = new KeyStore(await this.db(), this.deps.clock);
      await store.assertSchema();
      return store;
    });
  }

  keyRows(): Promise<KeyRow[]> {
    return this.once('key-rows', async () => (await this.keyStore()).list());
  }

  rotatedKeys(): Promise<RotatedKey[]> {
    return this.once('rotated-keys', async () => (await this.keyStore()).rotated());
  }

  /**
   * A temporary key granted every declared server, revoked when the doctor closes. It is written on its own
   * connection: its transaction must not take in the read-only queries other checks send meanwhile.
   */
  gatewayKey(): Promise<string> {
    return this.once('gateway-key', async () => this.lease(Object.keys((await this.loaded()).config.mcp_servers)));
  }

  /** A temporary key with no grant at all, as any key mcpgw writes, for what such a key must be refused. */
  noGrantKey(): Promise<string> {
    return this.once('no-grant-key', () => this.lease([]));
  }

  private async lease(servers: string[]): Promise<string> {
    const store = new KeyStore(await this.connect(), this.deps.clock);
    await store.assertSchema();
    const lease = await leaseKey(store, serverIds(await this.model()), servers, {
      randomBytes: this.deps.randomBytes,
      protect: (key) => this.deps.protect([key]),
      prefix: 'mcpgw-doctor',
    });
    this.leases.push(lease);
    return lease.key;
  }

  /** LiteLLM's base URL from here: mcpgw.yaml's published port, else (the file does not validate) its running container's. */
  gatewayUrl(): Promise<string> {
    return this.once('gateway-url', async () => {
      const place = await this.place();
      return place.valid ? litellmBaseUrl(await this.model()) : runningGatewayUrl(await this.docker(), place.name);
    });
  }

  /** LiteLLM's container on this engine: mcpgw.yaml's, else (the file does not validate) the one labelled with the stack. */
  litellmContainer(): Promise<ContainerSummary | undefined> {
    return this.once('litellm-container', async () => {
      const place = await this.place();
      const containers = await this.containers();
      if (!place.valid) return containers.find((entry) => entry.labels[SERVICE_LABEL] === LITELLM_SERVICE);
      const { containerName } = litellmService(await this.model());
      return containers.find((entry) => entry.name === containerName);
    });
  }

  /** Resolves when LiteLLM answers its liveliness route; rejects with what was seen otherwise. */
  gatewayLive(): Promise<void> {
    return this.once('gateway-live', async () => {
      const url = await this.gatewayUrl();
      const outcome = await checkLiveliness(url, this.deps.requestTimeoutMs);
      if (outcome.status !== 'pass') throw new Error(`LiteLLM does not answer at ${url} (${outcome.evidence.join('; ')})`);
    });
  }

  /** LiteLLM's version; the proxy is asked only when it answers its liveliness route, so a dead one costs no wait. */
  litellmVersion(): Promise<LitellmVersion | undefined> {
    return this.once('litellm-version', async () => {
      const baseUrl = await this.gatewayLive().then(
        () => this.gatewayUrl(),
        () => undefined,
      );
      const runningImage = async () => {
        const container = await this.litellmContainer().catch(() => undefined);
        return container?.state === 'running' ? container.image : undefined;
      };
      const configuredImage = await this.loaded().then(
        (loaded) => loaded.config.litellm.image,
        () => undefined,
      );
      return litellmVersion({ baseUrl, runningImage, configuredImage, timeoutMs: this.deps.requestTimeoutMs });
    });
  }

  /** A fresh value only a tool can echo back. */
  nonce(): string {
    return `nonce-${this.deps.randomBytes(8).toString('hex')}`;
  }

  /** Revokes the temporary keys and closes the database connections. */
  async close(): Promise<void> {
    for (const lease of this.leases.splice(0)) await lease.release().catch(() => undefined);
    for (const connection of this.connections.splice(0)) await connection.end().catch(() => undefined);
    for (const close of this.tunnels.splice(0)) await close().catch(() => undefined);
  }
}
