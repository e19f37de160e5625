import { mcpServiceName } from '../config/names.js';
import { METRICS_KEY_SECRET } from '../config/generated-secrets.js';
import { POSTGRES_ADMIN_PASSWORD_SECRET, POSTGRES_ADMIN_ROLE } from '../config/postgres-roles.js';
import { REDIS_PASSWORD_SECRET } from '../config/generated-secrets.js';
import { CANARY_MODEL_NAME, CANARY_PROBE_MODEL, type McpgwConfig, type McpServerConfig } from '../config/schema.js';
import { LOG_JOB_LABEL, LOG_SELECT_LABEL, LOG_SELECT_VALUE, litellmSettings, observabilityModel, type ObservabilityModel } from './observability.js';
import type { LiteLLMPlace, ServerEndpoint } from '../gateway/vantage.js';
import { gatewayMcpUrl, publishedBaseUrl } from './endpoints.js';
import { labelsFor, SERVICE_LABEL, STACK_LABEL } from './labels.js';
import { pinnedServerId } from '../litellm/server-id.js';
import { BUILTIN_HAPROXY_IMAGE, BUILTIN_LITELLM_IMAGE } from '../images/builtin.js';

/**
 * The one in-memory description of a stack. docker-compose.yml, config.yaml, the per-service env files and
 * `mcpgw up` are all projections of it, so they cannot disagree.
 */
export interface StackModel {
  name: string;
  host: string;
  /** What clients on the LAN connect to. */
  gatewayUrl: string;
  networks: NetworkModel[];
  /**
   * Networks earlier mcpgw versions created and this model no longer uses: the one MCP network every server,
   * the canary and LiteLLM shared (`network:` in mcpgw.yaml). `up` removes each once nothing is attached to it.
   */
  retiredNetworks: string[];
  volumes: string[];
  services: ServiceModel[];
  litellmConfig: LiteLLMConfig;
  /** Every secret name the containers read, for presence checks before anything is written or started. */
  requiredSecrets: string[];
  /** Present only when mcpgw.yaml enables a part of `observability:`. */
  observability?: ObservabilityModel;
  /** One engine's front door (a swarm's is in its SwarmModel): what its haproxy.cfg is rendered from. */
  frontDoor?: FrontDoorModel;
}

/** HAProxy on LiteLLM's published port, sending each request to a LiteLLM container (or task) that is ready. */
export interface FrontDoorModel {
  /** Published: what LAN clients connect to (litellm.port). */
  port: number;
  /** Where HAProxy listens inside its container. */
  listens: number;
  /** The DNS name that resolves to every LiteLLM container (or task), and the port they listen on. */
  backendHost: string;
  backendPort: number;
  /**
   * Server slots HAProxy fills from DNS: on one engine LiteLLM and, during an upgrade, its successor beside it; on a
   * swarm every replica, plus the one a start-first update runs beside them, plus one whose record lingers.
   */
  slots: number;
  /** Where its haproxy.cfg is rendered, relative to the output folder. */
  configFile: string;
}

export interface NetworkModel {
  name: string;
  external: boolean;
  /** No gateway out of the host: nothing on it needs one (the bundled Postgres network). */
  internal: boolean;
  /**
   * The one service LiteLLM reaches over this network: each MCP server, the canary and Postgres have their own.
   * A network mcpgw.yaml names for a service to join (`networks:`) serves what the user runs on it: its name.
   */
  serves: string;
  labels: Record<string, string>;
}

/** How a container variable gets its value from the secrets file. */
export type SecretEnv =
  | { name: string; kind: 'secret'; secret: string }
  | { name: string; kind: 'postgres-url'; user: string; host: string; port: number; database: string; passwordSecret: string };

export interface PortModel {
  hostIp: string;
  published: number;
  target: number;
}

/** How `up` knows a service is ready: Docker health, an MCP transport answering, or LiteLLM's health routes. */
export type Readiness =
  | { kind: 'health' }
  | { kind: 'mcp'; transport: 'sse' | 'http'; path: string /** Per-request deadline when answering is slow by design. */; answerMs?: number }
  | { kind: 'litellm'; database: boolean }
  /** LiteLLM answering through the front door, on the port LAN clients use. */
  | { kind: 'front-door' };

export interface ServiceModel {
  /** Compose service name, also the container's DNS name on its networks. */
  name: string;
  role: 'litellm' | 'postgres' | 'mcp' | 'canary' | 'front-door';
  containerName: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  environment: Record<string, string>;
  secretEnv: SecretEnv[];
  /** Published on this machine: the gateway's (the front door's), and only what mcpgw.yaml asks for besides (publish, postgres.host_port). */
  ports: PortModel[];
  /** The port the service listens on inside its container, published or not (what a LAN host must not reach). */
  listens: number;
  networks: string[];
  volumes: { source: string; target: string; kind: 'bind' | 'volume'; readOnly: boolean }[];
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
  dependsOn: { service: string; condition: 'service_healthy' | 'service_started' }[];
  labels: Record<string, string>;
  /** Extra json-file logging options (observability), on top of the rotation every service gets. */
  logOptions?: Record<string, string>;
  readiness: Readiness;
  /** uid:gid the process runs as, where the image is known to allow one that is not root; absent: the image's user. */
  user?: string;
  /** Capabilities given back after HARDENING drops them all: only what the service's own start-up needs. */
  capAdd: string[];
}

/** What every service runs with: no capability (some given back by capAdd), and no gaining any through setuid. */
export const HARDENING = { capDrop: ['ALL'], securityOpt: ['no-new-privileges:true'] } as const;
/** Debian's nobody: in every image mcpgw builds, and a uid no file of the image belongs to. */
export const UNPRIVILEGED_USER = '65534:65534';
/**
 * The bundled Postgres entrypoint starts as root, chowns and chmods its data directory (a volume created
 * root-owned, or one restored with other owners) and drops to the postgres user with setpriv/gosu.
 */
export const POSTGRES_CAPS = ['CHOWN', 'DAC_READ_SEARCH', 'FOWNER', 'SETGID', 'SETUID'];

export type LiteLLMConfig = {
  model_list: { model_name: string; litellm_params: Record<string, string | number> }[];
  mcp_servers: Record<string, Record<string, unknown>>;
  general_settings: Record<string, unknown>;
  litellm_settings?: Record<string, unknown>;
};

export const LITELLM_CONTAINER_PORT = 4000;
export const FRONT_DOOR_SERVICE = 'front-door';
/** The front door's own port inside its container: LiteLLM's, so the published mapping reads as LiteLLM's did. */
export const FRONT_DOOR_PORT = LITELLM_CONTAINER_PORT;
/** HAProxy's runtime API, on the front door container's own loopback only: how an upgrade drains the old LiteLLM. */
export const FRONT_DOOR_ADMIN_PORT = 4099;
/** The header the front door adds to every answer: the address of the LiteLLM container (or replica) that gave it. */
export const REPLICA_HEADER = 'x-mcpgw-replica';
/** Where the front door's configuration is mounted (the path the haproxy image starts with). */
export const HAPROXY_CONFIG_PATH = '/etc/haproxy/haproxy.cfg';
/** One engine's front door configuration, rendered beside the compose file. */
const FRONT_DOOR_CONFIG_FILE = 'front-door/haproxy.cfg';
/** Accepting connections is serving: with no LiteLLM ready yet it answers 503, which is no reason to restart it. */
export const FRONT_DOOR_HEALTHCHECK = {
  test: ['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${FRONT_DOOR_PORT}`],
  interval: '5s',
  timeout: '3s',
  retries: 3,
  startPeriod: '5s',
};
/** How long a bridged server may take to answer its first initialize: the bridge starts the stdio command then. */
export const BRIDGE_ANSWER_MS = 20_000;
/** mcpgw's stdio bridge (templates/mcp-bridge.mjs), rendered beside the compose file and mounted into each bridge. */
export const BRIDGE_SCRIPT_FILE = 'bridge/mcp-bridge.mjs';
const BRIDGE_SCRIPT_PATH = '/mcpgw/mcp-bridge.mjs';
/** mcpgw's canary model (templates/canary-model.py), rendered beside the compose file and mounted into its container. */
export const CANARY_SCRIPT_FILE = 'canary/canary-model.py';
const CANARY_SCRIPT_PATH = '/mcpgw/canary-model.py';
const CANARY_PORT = 8080;
export const POSTGRES_PORT = 5432;
/** The bundled Postgres's first-start script (templates/postgres-init.sh), run by the image's entrypoint. */
export const POSTGRES_INIT_FILE = 'postgres/mcpgw-init.sh';
const POSTGRES_INIT_PATH = '/docker-entrypoint-initdb.d/mcpgw-init.sh';
export const LITELLM_CONFIG_PATH = '/app/config.yaml';
export const POSTGRES_SERVICE = 'postgres';
export const LITELLM_SERVICE = 'litellm';
/** A swarm stack's coordination Redis (src/stack/swarm.ts runs it): its service name is its DNS name. */
export const REDIS_SERVICE = 'redis';
export const REDIS_PORT = 6379;

export { mcpServiceName };

/** The servers LiteLLM connects to over HTTP, as config.yaml gives them to it (a stdio server has no URL). */
export function litellmEndpoints(model: Pick<StackModel, 'litellmConfig'>): ServerEndpoint[] {
  return Object.entries(model.litellmConfig.mcp_servers).flatMap(([name, entry]) => {
    const { url, transport, static_headers: headers } = entry as { url?: string; transport?: string; static_headers?: Record<string, string> };
    if (typeof url !== 'string' || (transport !== 'sse' && transport !== 'http')) return [];
    return [{ name, url, transport, headers: headers ?? {} }];
  });
}

/** Where the stack's LiteLLM stands, for asking MCP servers from there (src/gateway/vantage.ts). */
export function litellmPlace(model: StackModel): LiteLLMPlace {
  const litellm = litellmService(model);
  return { container: litellm.containerName, image: litellm.image, networks: litellm.networks, labels: labelsFor(model.name, 'vantage') };
}

/** The stack's LiteLLM service: every stack model has one. */
export function litellmService(model: Pick<StackModel, 'services'>): ServiceModel {
  const litellm = model.services.find((service) => service.role === 'litellm');
  if (!litellm) throw new Error('the stack model has no LiteLLM service');
  return litellm;
}

/** The container service of an MCP server mcpgw runs; none for one given by url or spawned inside LiteLLM. */
export function mcpServerService(model: Pick<StackModel, 'services'>, server: string): ServiceModel | undefined {
  return model.services.find((service) => service.role === 'mcp' && service.name === mcpServiceName(server));
}

/** The bundled Postgres service; none when postgres.mode is external. */
export function postgresService(model: Pick<StackModel, 'services'>): ServiceModel | undefined {
  return model.services.find((service) => service.role === 'postgres');
}

/**
 * The service whose published port LAN clients and mcpgw call: one engine's front door; on a swarm the LiteLLM service
 * model, which carries the port its front door publishes on the data node.
 */
export function gatewayService(model: Pick<StackModel, 'services'>): ServiceModel {
  return model.services.find((service) => service.role === 'front-door') ?? litellmService(model);
}

/** Whether the service is the gateway LAN clients reach with a key: LiteLLM, or the front door before it. */
export function isGatewayRole(role: ServiceModel['role']): boolean {
  return role === 'litellm' || role === 'front-door';
}

/** LiteLLM's published port as this machine reaches it, e.g. http://127.0.0.1:4000: what mcpgw itself calls. */
export function litellmBaseUrl(model: Pick<StackModel, 'services'>): string {
  const port = gatewayService(model).ports[0];
  if (!port) throw new Error('the stack model publishes no LiteLLM port');
  return publishedBaseUrl(port);
}

export function defaultMcpPath(transport: 'sse' | 'http'): string {
  return transport === 'sse' ? '/sse' : '/mcp';
}

/** Servers mcpgw runs a container for: sse/http with an image, and stdio servers behind mcpgw's bridge. */
export function runsOwnContainer(server: McpServerConfig): boolean {
  return server.image !== undefined && !spawnedInLiteLLM(server);
}

/**
 * A stdio server LiteLLM spawns inside its own container, which the user asked for (`inside_litellm: true`):
 * it can read LiteLLM's environment. Every other stdio server runs in its own container behind mcpgw's bridge.
 */
export function spawnedInLiteLLM(server: Pick<McpServerConfig, 'transport' | 'inside_litellm'>): boolean {
  return server.transport === 'stdio' && server.inside_litellm === true;
}

/** The transport LiteLLM speaks to the server: a bridged stdio server is reached over its bridge's transport. */
export function gatewayTransport(server: McpServerConfig): McpServerConfig['transport'] {
  return server.transport === 'stdio' && !spawnedInLiteLLM(server) ? (server.bridge ?? 'http') : server.transport;
}

/**
 * The network only LiteLLM and one service share, named from the stack and the service (a Docker network name:
 * letters, digits, `-`, `_`, `.`), so no MCP server reaches another one, the canary or Postgres.
 */
export function serviceNetworkName(stack: string, service: string): string {
  return `${stack}-${service}-net`;
}

export function buildStackModel(config: McpgwConfig): StackModel {
  const pgNetwork = config.postgres.network;
  const bundled = config.postgres.mode === 'bundled';

  const mcpServices = Object.entries(config.mcp_servers)
    .filter(([, server]) => runsOwnContainer(server))
    .map(([name, server]) => mcpService(config, name, server));

  const observability = observabilityModel(config);
  const services: ServiceModel[] = [];
  if (bundled) services.push(bundledPostgres(config));
  services.push(...mcpServices);
  if (config.probe_model === CANARY_PROBE_MODEL) services.push(canaryService(config));

  // One network per service LiteLLM talks to, each shared by that service and LiteLLM alone.
  const networks: NetworkModel[] = services.map((service) =>
    service.role === 'postgres'
      ? {
          name: pgNetwork,
          external: config.postgres.network_external,
          internal: !config.postgres.network_external,
          serves: service.name,
          labels: labelsFor(config.name, service.name),
        }
      : {
          name: service.networks[0] ?? '',
          external: false,
          internal: service.role === 'canary',
          serves: service.name,
          labels: labelsFor(config.name, service.name),
        },
  );
  // An external Postgres on a shared network (the seed's): LiteLLM joins it to reach the database by name.
  if (!bundled && config.postgres.network_external) networks.push({ name: pgNetwork, external: true, internal: false, serves: POSTGRES_SERVICE, labels: {} });
  // LiteLLM's own network, first: its published port and its way out (to model providers) go through it, since
  // the Postgres and canary networks are internal and a stack need not have MCP servers.
  networks.unshift({
    name: serviceNetworkName(config.name, LITELLM_SERVICE),
    external: false,
    internal: false,
    serves: LITELLM_SERVICE,
    labels: labelsFor(config.name, LITELLM_SERVICE),
  });
  const ownNetworks = networks.map((network) => network.name);
  // Networks mcpgw.yaml has services join besides their own: the user's, so external.
  const joined = [...config.litellm.networks, ...Object.values(config.mcp_servers).flatMap((server) => server.networks)];
  for (const name of new Set(joined)) {
    if (!networks.some((network) => network.name === name)) networks.push({ name, external: true, internal: false, serves: name, labels: {} });
  }
  services.push(litellm(config, [...new Set([...ownNetworks, ...config.litellm.networks])], mcpServices));
  const litellmNet = serviceNetworkName(config.name, LITELLM_SERVICE);
  // On one engine the front door holds LiteLLM's port, so an upgrade starts the new LiteLLM beside the old one.
  const door: FrontDoorModel | undefined =
    config.engine === 'swarm'
      ? undefined
      : {
          port: config.litellm.port,
          listens: FRONT_DOOR_PORT,
          backendHost: LITELLM_SERVICE,
          backendPort: LITELLM_CONTAINER_PORT,
          slots: 2,
          configFile: FRONT_DOOR_CONFIG_FILE,
        };
  if (door) services.push(frontDoorService(config, litellmNet));
  const shipped = services.map((service) => withLogShipping(service, observability));
  const settings = litellmSettings(observability);
  const names = new Set(networks.map((network) => network.name));

  return {
    name: config.name,
    host: config.host,
    gatewayUrl: gatewayMcpUrl(config.host, config.litellm.port),
    networks,
    retiredNetworks: names.has(config.network) ? [] : [config.network],
    volumes: [
      ...(bundled ? [pgVolume(config)] : []),
      ...Object.entries(config.mcp_servers)
        .filter(([, server]) => runsOwnContainer(server))
        .flatMap(([name, server]) => serverVolumes(config.name, name, server).map(({ volume }) => volume)),
    ],
    services: shipped,
    litellmConfig: settings ? { ...litellmConfig(config), litellm_settings: settings } : litellmConfig(config),
    // The scrape key: rendered for Prometheus, synced into LiteLLM like a declared key.
    requiredSecrets: [...requiredSecrets(shipped), ...(observability?.prometheus ? [METRICS_KEY_SECRET] : [])].sort(),
    ...(observability ? { observability } : {}),
    ...(door ? { frontDoor: door } : {}),
  };
}

/**
 * One engine's HAProxy on LiteLLM's port, on LiteLLM's own network: it sends each request to a ready LiteLLM container
 * by their shared DNS name, so a new LiteLLM can serve beside the old one before it stops (an upgrade's cut-over).
 */
function frontDoorService(config: McpgwConfig, network: string): ServiceModel {
  return {
    name: FRONT_DOOR_SERVICE,
    role: 'front-door',
    containerName: `${config.name}-${FRONT_DOOR_SERVICE}`,
    image: BUILTIN_HAPROXY_IMAGE,
    environment: {},
    secretEnv: [],
    ports: [{ hostIp: config.bind, published: config.litellm.port, target: FRONT_DOOR_PORT }],
    listens: FRONT_DOOR_PORT,
    networks: [network],
    volumes: [{ source: `./${FRONT_DOOR_CONFIG_FILE}`, target: HAPROXY_CONFIG_PATH, kind: 'bind', readOnly: true }],
    healthcheck: FRONT_DOOR_HEALTHCHECK,
    // `docker compose up --wait` returns once the front door's TCP check passes: started after a healthy LiteLLM, it
    // finds it in DNS ready (mcpgw's own up waits for the route itself).
    dependsOn: [{ service: LITELLM_SERVICE, condition: 'service_healthy' }],
    labels: labelsFor(config.name, FRONT_DOOR_SERVICE),
    readiness: { kind: 'front-door' },
    user: UNPRIVILEGED_USER,
    capAdd: [],
  };
}

function pgVolume(config: McpgwConfig): string {
  return `${config.name}-pgdata`;
}

/** An MCP server's named volumes (mcp_servers.X.volumes) as Docker names them: the stack's, then the service's. */
function serverVolumes(stack: string, name: string, server: McpServerConfig): { volume: string; target: string }[] {
  return Object.entries(server.volumes).map(([volume, target]) => ({ volume: `${stack}-${mcpServiceName(name)}-${volume}`, target }));
}

/**
 * The bootstrap superuser is mcpgw's admin role, not LiteLLM's. LiteLLM's role is made an ordinary one owning its
 * database by the first-start script (so `docker compose up` alone works) and checked by every `mcpgw up`
 * (src/db/provision.ts), which also moves a volume made the old way over to that shape.
 */
function bundledPostgres(config: McpgwConfig): ServiceModel {
  const { user, database, password } = config.postgres;
  return {
    name: POSTGRES_SERVICE,
    role: 'postgres',
    containerName: `${config.name}-${POSTGRES_SERVICE}`,
    image: config.postgres.image,
    // SCRAM for every role, so an md5 hash can never be stored (one of the seed's failures).
    command: ['postgres', '-c', 'password_encryption=scram-sha-256'],
    environment: {
      POSTGRES_USER: POSTGRES_ADMIN_ROLE,
      POSTGRES_DB: database,
      POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256',
      MCPGW_LITELLM_ROLE: user,
    },
    secretEnv: [
      { name: 'POSTGRES_PASSWORD', kind: 'secret', secret: POSTGRES_ADMIN_PASSWORD_SECRET },
      { name: 'MCPGW_LITELLM_PASSWORD', kind: 'secret', secret: password },
    ],
    ports: config.postgres.host_port ? [{ hostIp: '127.0.0.1', published: config.postgres.host_port, target: POSTGRES_PORT }] : [],
    listens: POSTGRES_PORT,
    networks: [config.postgres.network],
    volumes: [
      { source: pgVolume(config), target: '/var/lib/postgresql/data', kind: 'volume', readOnly: false },
      { source: `./${POSTGRES_INIT_FILE}`, target: POSTGRES_INIT_PATH, kind: 'bind', readOnly: true },
    ],
    healthcheck: { test: ['CMD', 'pg_isready', '-U', user, '-d', database], interval: '5s', timeout: '5s', retries: 12, startPeriod: '10s' },
    dependsOn: [],
    labels: labelsFor(config.name, POSTGRES_SERVICE),
    readiness: { kind: 'health' },
    capAdd: POSTGRES_CAPS,
  };
}

function mcpService(config: McpgwConfig, name: string, server: McpServerConfig): ServiceModel {
  const service = mcpServiceName(name);
  const port = server.port ?? 0;
  // The caller passes only container servers: sse, http, or stdio with a bridge.
  const transport = gatewayTransport(server) === 'sse' ? 'sse' : 'http';
  const command = server.command === undefined ? undefined : [...toArray(server.command), ...(server.args ?? [])];
  const bridged = server.transport === 'stdio';
  const container = `${config.name}-${service}`;
  const launch = bridged ? bridgeLaunch(command ?? [], server.container_port ?? port) : command ? { command } : {};
  return {
    name: service,
    role: 'mcp',
    containerName: container,
    image: server.image ?? '',
    ...launch,
    environment: sortedRecord(server.environment),
    secretEnv: Object.entries(server.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([variable, secret]) => ({ name: variable, kind: 'secret', secret })),
    // Unpublished unless asked for: LiteLLM, the only one that calls it, reaches it over the network.
    ports: server.publish ? [{ hostIp: config.mcp_bind, published: port, target: server.container_port ?? port }] : [],
    listens: server.container_port ?? port,
    networks: [serviceNetworkName(config.name, service), ...server.networks],
    volumes: [
      ...(bridged ? [{ source: `./${BRIDGE_SCRIPT_FILE}`, target: BRIDGE_SCRIPT_PATH, kind: 'bind' as const, readOnly: true }] : []),
      ...serverVolumes(config.name, name, server).map(({ volume, target }) => ({ source: volume, target, kind: 'volume' as const, readOnly: false })),
    ],
    dependsOn: [],
    labels: { ...labelsFor(config.name, service), 'io.mcpgw.transport': server.transport },
    readiness: {
      kind: 'mcp',
      transport,
      path: server.path ?? defaultMcpPath(transport),
      // The bridge starts the command on the first initialize and keeps it; later sessions are answered at once.
      ...(bridged ? { answerMs: BRIDGE_ANSWER_MS } : {}),
    },
    // An image mcpgw built from a package runs as nobody: the package is installed root-owned and read-only to it.
    // Other images keep their own user (many need to write where only root may), still without any capability.
    ...(server.build ? { user: UNPRIVILEGED_USER } : {}),
    capAdd: [],
  };
}

/**
 * mcpgw's bridge runs the stdio command once and serves it to every session as streamable HTTP at /mcp, on the
 * image's own node. The entrypoint is set so an image whose entrypoint is something else (supergateway, the
 * server) behaves the same; the command's words are passed as they are, with no shell in between.
 */
function bridgeLaunch(command: string[], port: number): { entrypoint: string[]; command: string[] } {
  return { entrypoint: ['node', BRIDGE_SCRIPT_PATH], command: ['--port', String(port), '--path', defaultMcpPath('http'), '--', ...command] };
}

/**
 * The canary model runs on the stack's LiteLLM image (it has Python; the script needs nothing else), as nobody, on
 * its own internal network shared with LiteLLM only and never published: LiteLLM is the one that calls it.
 */
function canaryService(config: McpgwConfig): ServiceModel {
  const health = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${CANARY_PORT}/health')`;
  return {
    name: CANARY_MODEL_NAME,
    role: 'canary',
    containerName: `${config.name}-${CANARY_MODEL_NAME}`,
    image: config.litellm.image,
    entrypoint: ['python3', CANARY_SCRIPT_PATH],
    command: ['--port', String(CANARY_PORT)],
    environment: {},
    secretEnv: [],
    ports: [],
    listens: CANARY_PORT,
    networks: [serviceNetworkName(config.name, CANARY_MODEL_NAME)],
    volumes: [{ source: `./${CANARY_SCRIPT_FILE}`, target: CANARY_SCRIPT_PATH, kind: 'bind', readOnly: true }],
    healthcheck: { test: ['CMD', 'python3', '-c', health], interval: '2s', timeout: '3s', retries: 15, startPeriod: '2s' },
    dependsOn: [],
    labels: labelsFor(config.name, CANARY_MODEL_NAME),
    readiness: { kind: 'health' },
    user: UNPRIVILEGED_USER,
    capAdd: [],
  };
}

/** The model the probe asks to run a tool by default: the canary, the one probe_model names, else the first declared. */
export function probeModelName(config: Pick<McpgwConfig, 'probe_model' | 'litellm'>): string | undefined {
  if (config.probe_model === CANARY_PROBE_MODEL) return CANARY_MODEL_NAME;
  return config.probe_model ?? config.litellm.models[0]?.name;
}

function litellm(config: McpgwConfig, networks: string[], mcpServices: ServiceModel[]): ServiceModel {
  const { litellm, postgres } = config;
  const secretEnv: SecretEnv[] = [
    { name: litellm.master_key, kind: 'secret', secret: litellm.master_key },
    // LiteLLM reads the salt key from this exact variable name; it encrypts credentials stored in the DB.
    { name: 'LITELLM_SALT_KEY', kind: 'secret', secret: litellm.salt_key },
    postgres.mode === 'bundled'
      ? {
          name: 'DATABASE_URL',
          kind: 'postgres-url',
          user: postgres.user,
          host: POSTGRES_SERVICE,
          port: POSTGRES_PORT,
          database: postgres.database,
          passwordSecret: postgres.password,
        }
      : { name: 'DATABASE_URL', kind: 'secret', secret: postgres.url },
  ];
  for (const secret of litellmSecretNames(config)) secretEnv.push({ name: litellmSecretVariable(secret), kind: 'secret', secret });
  // Under its own name, not REDIS_PASSWORD: LiteLLM builds a Redis client of its own from REDIS_* variables.
  if (config.engine === 'swarm') secretEnv.push({ name: REDIS_PASSWORD_SECRET, kind: 'secret', secret: REDIS_PASSWORD_SECRET });
  const dependsOn: ServiceModel['dependsOn'] = [];
  if (postgres.mode === 'bundled') dependsOn.push({ service: POSTGRES_SERVICE, condition: 'service_healthy' });
  for (const mcp of mcpServices) dependsOn.push({ service: mcp.name, condition: 'service_started' });
  return {
    name: LITELLM_SERVICE,
    role: 'litellm',
    containerName: `${config.name}-${LITELLM_SERVICE}`,
    image: litellm.image,
    command: ['--config', LITELLM_CONFIG_PATH, '--port', String(LITELLM_CONTAINER_PORT)],
    environment: {
      // The bundled price map instead of a download at start-up: the LAN may have no internet.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      // The UI's SSO and its discovery answer say it is off; its static pages are still served (see README).
      ...(litellm.admin_ui ? {} : { DISABLE_ADMIN_UI: 'True' }),
      // LiteLLM refuses to spawn stdio servers unless this is set; only stacks that declare one get it.
      ...(Object.values(config.mcp_servers).some(spawnedInLiteLLM) ? { LITELLM_ENABLE_MCP_STDIO: 'true' } : {}),
    },
    secretEnv,
    // The front door publishes the port: on one engine its own service; on a swarm on the data node, which `host`
    // names (mcpgw calls LiteLLM there too).
    ports: config.engine === 'swarm' ? [{ hostIp: config.host, published: litellm.port, target: LITELLM_CONTAINER_PORT }] : [],
    listens: LITELLM_CONTAINER_PORT,
    networks,
    volumes: [{ source: './config/config.yaml', target: LITELLM_CONFIG_PATH, kind: 'bind', readOnly: true }],
    healthcheck: {
      test: ['CMD', 'python3', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${LITELLM_CONTAINER_PORT}/health/liveliness')`],
      interval: '10s',
      timeout: '5s',
      retries: 6,
      startPeriod: '40s',
    },
    dependsOn,
    labels: { ...labelsFor(config.name, LITELLM_SERVICE), ...litellm.labels },
    readiness: { kind: 'litellm', database: true },
    // mcpgw's own LiteLLM image writes nothing at start (migrations go to the database): it runs as nobody. Another
    // image keeps its user: the official one generates its Prisma client into the image at start-up.
    ...(litellm.image === BUILTIN_LITELLM_IMAGE ? { user: UNPRIVILEGED_USER } : {}),
    capAdd: [],
  };
}

/**
 * The prefix of the variable each secret LiteLLM resolves itself (model keys, the env of stdio servers it spawns)
 * gets in LiteLLM's environment. Under its own name a secret called ANTHROPIC_API_KEY would be the credential
 * LiteLLM's /anthropic pass-through route sends for any key (src/litellm/routes.ts); no provider reads MCPGW_*.
 */
export const LITELLM_SECRET_PREFIX = 'MCPGW_SECRET_';

export function litellmSecretVariable(secret: string): string {
  return `${LITELLM_SECRET_PREFIX}${secret}`;
}

/** The secrets file's name of a variable in LiteLLM's environment (the same name unless mcpgw prefixed it). */
export function secretOfLitellmVariable(variable: string): string {
  return variable.startsWith(LITELLM_SECRET_PREFIX) ? variable.slice(LITELLM_SECRET_PREFIX.length) : variable;
}

/** Secrets LiteLLM resolves itself through os.environ/ references in config.yaml (models and stdio servers). */
function litellmSecretNames(config: McpgwConfig): string[] {
  const names = new Set<string>();
  for (const model of config.litellm.models) if (model.api_key) names.add(model.api_key);
  for (const server of Object.values(config.mcp_servers)) {
    if (spawnedInLiteLLM(server)) for (const secret of Object.values(server.env)) names.add(secret);
  }
  return [...names].sort();
}

function litellmConfig(config: McpgwConfig): LiteLLMConfig {
  const mcpServers: LiteLLMConfig['mcp_servers'] = {};
  for (const [name, server] of Object.entries(config.mcp_servers)) mcpServers[name] = litellmServerEntry(config.name, name, server);
  return {
    model_list: config.litellm.models
      .map((model): LiteLLMConfig['model_list'][number] => ({
        model_name: model.name,
        litellm_params: {
          model: model.model,
          ...(model.api_key ? { api_key: environRef(litellmSecretVariable(model.api_key)) } : {}),
          ...(model.api_base ? { api_base: model.api_base } : {}),
        },
      }))
      .concat(config.probe_model === CANARY_PROBE_MODEL ? [canaryModelEntry()] : []),
    mcp_servers: mcpServers,
    general_settings: {
      master_key: environRef(config.litellm.master_key),
      database_url: environRef('DATABASE_URL'),
      user_api_key_cache_ttl: config.litellm.key_cache_ttl,
      // /health answers only whether each model is healthy, not the provider's error text and traceback.
      health_check_details: false,
      ...(config.engine === 'swarm' ? { coordination_redis: coordinationRedis() } : {}),
    },
  };
}

/**
 * The replicas' shared Redis (limits, budgets, key cache invalidation, scheduled jobs once). Given here rather than
 * as REDIS_* variables, LiteLLM refuses to start when it cannot reach it instead of counting per replica silently.
 */
function coordinationRedis(): Record<string, unknown> {
  return { host: REDIS_SERVICE, port: REDIS_PORT, password: environRef(REDIS_PASSWORD_SECRET) };
}

/**
 * The canary as LiteLLM's OpenAI-compatible upstream. It needs no key (LiteLLM's OpenAI client insists on one, so
 * a word that is no credential stands there) and costs nothing, so the probe's turns add no spend.
 */
function canaryModelEntry(): LiteLLMConfig['model_list'][number] {
  return {
    model_name: CANARY_MODEL_NAME,
    litellm_params: {
      model: `openai/${CANARY_MODEL_NAME}`,
      api_base: `http://${CANARY_MODEL_NAME}:${CANARY_PORT}/v1`,
      api_key: 'no-key-needed',
      input_cost_per_token: 0,
      output_cost_per_token: 0,
    },
  };
}

function litellmServerEntry(stack: string, name: string, server: McpServerConfig): Record<string, unknown> {
  // A pinned server_id: grants name it, and it survives a changed URL or transport (LiteLLM's derived id does not).
  // transport is always explicit: LiteLLM takes a url without one as streamable HTTP, whatever the server speaks.
  const transport = gatewayTransport(server);
  const entry: Record<string, unknown> = { server_id: pinnedServerId(stack, name), transport };
  if (transport === 'stdio') {
    const [command = '', ...commandArgs] = toArray(server.command ?? '');
    entry.command = command;
    entry.args = [...commandArgs, ...(server.args ?? [])];
    const env: Record<string, string> = sortedRecord(server.environment);
    for (const [variable, secret] of Object.entries(server.env)) env[variable] = environRef(litellmSecretVariable(secret));
    if (Object.keys(env).length > 0) entry.env = sortedRecord(env);
  } else if (server.url) {
    entry.url = server.url;
  } else {
    const port = server.container_port ?? server.port ?? 0;
    entry.url = `http://${mcpServiceName(name)}:${port}${server.path ?? defaultMcpPath(transport)}`;
  }
  // LiteLLM passes static_headers on every request to the server; httpx sends an explicit Host as given.
  if (server.host_header && transport !== 'stdio') entry.static_headers = { Host: server.host_header };
  if (server.description) entry.description = server.description;
  if (server.allowed_tools) entry.allowed_tools = server.allowed_tools;
  if (server.groups.length > 0) entry.access_groups = server.groups;
  return entry;
}

function requiredSecrets(services: ServiceModel[]): string[] {
  const names = new Set<string>();
  for (const service of services) {
    for (const env of service.secretEnv) names.add(env.kind === 'secret' ? env.secret : env.passwordSecret);
  }
  return [...names].sort();
}

export function environRef(secret: string): string {
  return `os.environ/${secret}`;
}

function toArray(command: string | string[]): string[] {
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * With Loki on, every container carries the selection labels, and the json-file driver copies mcpgw's labels
 * into each log line's `attrs` too (for Promtail setups that tail /var/lib/docker/containers instead of using
 * Docker service discovery). Nothing changes when Loki is off.
 */
export function withLogShipping(service: ServiceModel, model: ObservabilityModel | undefined): ServiceModel {
  if (!model?.loki) return service;
  return {
    ...service,
    labels: { ...service.labels, [LOG_SELECT_LABEL]: LOG_SELECT_VALUE, [LOG_JOB_LABEL]: model.loki.job },
    logOptions: { labels: [STACK_LABEL, SERVICE_LABEL, LOG_JOB_LABEL].join(',') },
  };
}
