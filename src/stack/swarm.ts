import { REDIS_PASSWORD_SECRET } from '../config/generated-secrets.js';
import type { McpgwConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { BUILTIN_HAPROXY_IMAGE, BUILTIN_LITELLM_IMAGE, BUILTIN_REDIS_IMAGE, builtinImageLaunch, RECIPE_LABEL } from '../images/builtin.js';
import { labelsFor } from './labels.js';
import {
  FRONT_DOOR_HEALTHCHECK,
  FRONT_DOOR_PORT,
  FRONT_DOOR_SERVICE,
  HAPROXY_CONFIG_PATH,
  LITELLM_CONTAINER_PORT,
  LITELLM_SERVICE,
  litellmService,
  REDIS_SERVICE,
  serviceNetworkName,
  UNPRIVILEGED_USER,
  type FrontDoorModel,
  type NetworkModel,
  type ServiceModel,
  type StackModel,
} from './model.js';

/**
 * The stack as services on a Docker Swarm (`engine: swarm`), derived from the one StackModel: the same services,
 * env files and config.yaml, plus LiteLLM's migration as a one-off job, the coordination Redis and the front door.
 * swarm/stack.yml (src/render/swarm-stack.ts) and the deploy are projections of it.
 */
export interface SwarmModel {
  stack: string;
  /** The node label that pins the stateful services, the MCP servers, the canary and the front door to one node. */
  dataNodeLabel: string;
  services: SwarmService[];
  networks: NetworkModel[];
  volumes: string[];
  frontDoor: FrontDoorModel;
}

/**
 * The deploy goes stage by stage, each `docker stack deploy` of the services of the stages so far, each stage
 * converged before the next: what LiteLLM reaches first, then its migration, then the replicas and the front door.
 */
export type SwarmStage = 'data' | 'migrate' | 'serve';
export const SWARM_STAGES: readonly SwarmStage[] = ['data', 'migrate', 'serve'];

export type SwarmRole = ServiceModel['role'] | 'litellm-migrate' | 'redis' | 'front-door';

export interface SwarmService {
  name: string;
  role: SwarmRole;
  stage: SwarmStage;
  image: string;
  /** As the model gives them; absent: the image's own (needed from ImageLaunch when the service has secrets). */
  entrypoint?: string[];
  command?: string[];
  environment: Record<string, string>;
  /** The service's env file (env/<name>.env) holds these; it reaches the task as a Swarm secret. */
  secretEnv: ServiceModel['secretEnv'];
  networks: string[];
  /** Named volumes (local to the node the service is pinned to). */
  volumes: { source: string; target: string }[];
  /** Rendered files (paths relative to the output folder) the task reads, each a Swarm config. */
  configs: { file: string; target: string }[];
  /** Published on the node that runs the task (mode host: no routing mesh needed). */
  ports: { published: number; target: number }[];
  /** 'none': the image's own check is switched off (a job that exits is no unhealthy service). */
  healthcheck: ServiceModel['healthcheck'] | 'none' | undefined;
  user?: string;
  capAdd: string[];
  labels: Record<string, string>;
  logOptions?: Record<string, string>;
  mode: { kind: 'replicated'; replicas: number } | { kind: 'job' };
  /** On the data node (its volume, its one copy); otherwise wherever the scheduler spreads it. */
  pinned: boolean;
  stopGracePeriod: string;
  /**
   * Seconds a task goes on serving after Swarm's stop signal before its process gets it: the front door's time to
   * take it out of rotation, so no request is still arriving when the process begins to shut down.
   */
  drainSeconds?: number;
  /** Replaced task by task, the new one healthy before the old one stops, rolled back when one fails. */
  rolling: boolean;
}

export const MIGRATE_SERVICE = 'litellm-migrate';
/** Where Swarm mounts a service's env file secret; the entrypoint wrapper reads it. */
export const SECRETS_DIR = '/run/secrets';
export const HAPROXY_CONFIG_FILE = 'swarm/haproxy.cfg';
/**
 * How long a stopping replica keeps serving before LiteLLM hears the stop signal. Swarm drops the task from the
 * service's DNS answers about 2 s before it signals; the front door resolves every second and keeps a vanished record
 * 2 s more (templates/haproxy.cfg), so it stops routing to the replica at most ~1 s after the signal. LiteLLM cannot
 * take that request: on the signal its MCP answers (SSE streams) end at once, empty, under a 200 the front door cannot
 * retry. 6 s leaves 5 s of margin for a slow DNS round.
 */
export const LITELLM_DRAIN_SECONDS = 6;
/** The drain, LiteLLM's graceful shutdown (30 s) and its teardown headroom (10 s), before Swarm kills the task. */
export const LITELLM_STOP_GRACE = `${LITELLM_DRAIN_SECONDS + 30 + 10}s`;
/** The migration folder litellm-proxy-extras installs in mcpgw's LiteLLM images (the venv of images/litellm). */
export const BUILTIN_MIGRATIONS_DIR = '/opt/venv/lib/python3.11/site-packages/litellm_proxy_extras/migrations';

export function dataNodeLabel(stack: string): string {
  return `io.mcpgw.data.${stack}`;
}

/** The entrypoint and command an image starts with, and its labels (what mcpgw reads of it on the local engine). */
export interface ImageLaunch {
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
}

/** Launches of the images that are not mcpgw's own, by image reference. */
export type ImageLaunches = Readonly<Record<string, ImageLaunch>>;

/**
 * The images whose launch the swarm model needs and mcpgw does not know: a service with secrets whose entrypoint the
 * model leaves to the image, and the LiteLLM image (its migration command depends on how it was built).
 */
export function imagesToInspect(model: StackModel): string[] {
  const images = new Set<string>();
  for (const service of model.services) if (service.secretEnv.length > 0 && !service.entrypoint) images.add(service.image);
  images.add(litellmService(model).image);
  return [...images].filter((image) => !builtinImageLaunch(image)).sort();
}

export function buildSwarmModel(model: StackModel, config: McpgwConfig, launches: ImageLaunches): SwarmModel {
  const litellm = litellmService(model);
  const litellmNet = serviceNetworkName(model.name, LITELLM_SERVICE);
  const pinnedServices = model.services.filter((service) => service.role !== 'litellm').map((service) => fromService(service, 'data', true));
  const services: SwarmService[] = [
    ...pinnedServices,
    redisService(model.name, litellmNet),
    migrateService(litellm, config, launches),
    litellmReplicas(litellm, config.litellm.replicas),
    frontDoorService(model.name, litellmNet, config.litellm.port),
  ];
  return {
    stack: model.name,
    dataNodeLabel: dataNodeLabel(model.name),
    services,
    networks: model.networks,
    volumes: model.volumes,
    frontDoor: {
      port: config.litellm.port,
      listens: FRONT_DOOR_PORT,
      backendHost: `tasks.${LITELLM_SERVICE}`,
      backendPort: LITELLM_CONTAINER_PORT,
      slots: config.litellm.replicas + 2,
      configFile: HAPROXY_CONFIG_FILE,
    },
  };
}

/** A compose-model service as a swarm service: bind-mounted rendered files become configs, nothing is published. */
function fromService(service: ServiceModel, stage: SwarmStage, pinned: boolean): SwarmService {
  // The swarm rules (config/rules/swarm.ts) refuse what would publish anything but the front door (publish: true, postgres.host_port).
  return {
    name: service.name,
    role: service.role,
    stage,
    image: service.image,
    ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
    ...(service.command ? { command: service.command } : {}),
    environment: service.environment,
    secretEnv: service.secretEnv,
    networks: service.networks,
    volumes: service.volumes.filter((volume) => volume.kind === 'volume').map(({ source, target }) => ({ source, target })),
    configs: service.volumes.filter((volume) => volume.kind === 'bind').map((volume) => ({ file: volume.source.replace(/^\.\//, ''), target: volume.target })),
    ports: [],
    healthcheck: service.healthcheck,
    ...(service.user ? { user: service.user } : {}),
    capAdd: service.capAdd,
    labels: service.labels,
    ...(service.logOptions ? { logOptions: service.logOptions } : {}),
    mode: { kind: 'replicated', replicas: 1 },
    pinned,
    stopGracePeriod: '10s',
    rolling: false,
  };
}

/**
 * The serving replicas: `litellm` itself, never an image's migrating start script (the migration ran as its own
 * job), with schema updates off; healthy only once ready (database connected), so a rolling update waits for it.
 */
function litellmReplicas(litellm: ServiceModel, replicas: number): SwarmService {
  const ready = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${LITELLM_CONTAINER_PORT}/health/readiness')`;
  return {
    ...fromService(litellm, 'serve', false),
    entrypoint: ['litellm'],
    command: litellm.command ?? [],
    environment: { ...litellm.environment, DISABLE_SCHEMA_UPDATE: 'true' },
    healthcheck: { test: ['CMD', 'python3', '-c', ready], interval: '5s', timeout: '5s', retries: 3, startPeriod: '90s' },
    mode: { kind: 'replicated', replicas },
    stopGracePeriod: LITELLM_STOP_GRACE,
    drainSeconds: LITELLM_DRAIN_SECONDS,
    rolling: true,
  };
}

/**
 * The target image's migration, once, before any replica of it serves (as `upgrade` runs it, src/upgrade/migrate.ts):
 * mcpgw's DB-mode images with their migrate-deploy.mjs on the folder they ship, LiteLLM's own with
 * `litellm --skip_server_startup`. Its env file holds DATABASE_URL alone.
 */
function migrateService(litellm: ServiceModel, config: McpgwConfig, launches: ImageLaunches): SwarmService {
  const image = litellm.image;
  const launch = builtinImageLaunch(image) ?? launches[image];
  if (!launch) throw unknownImage(image, 'litellm.image');
  const mcpgwBuilt = image === BUILTIN_LITELLM_IMAGE || launch.labels[RECIPE_LABEL] === 'litellm-db';
  // Only the way to the database: the bundled Postgres's network, else LiteLLM's own (and an external one it joins).
  const networks =
    config.postgres.mode === 'bundled'
      ? [config.postgres.network]
      : litellm.networks.filter((network) => network === config.postgres.network || network === serviceNetworkName(config.name, LITELLM_SERVICE));
  return {
    ...fromService({ ...litellm, volumes: [] }, 'migrate', false),
    name: MIGRATE_SERVICE,
    role: 'litellm-migrate',
    entrypoint: mcpgwBuilt ? ['node', '/opt/prisma-engine-shim/migrate-deploy.mjs', BUILTIN_MIGRATIONS_DIR] : ['litellm'],
    command: mcpgwBuilt ? [] : ['--skip_server_startup'],
    environment: { DISABLE_SCHEMA_UPDATE: 'false' },
    secretEnv: litellm.secretEnv.filter((env) => env.name === 'DATABASE_URL'),
    networks,
    healthcheck: 'none',
    labels: labelsFor(config.name, MIGRATE_SERVICE),
    mode: { kind: 'job' },
  };
}

function redisService(stack: string, network: string): SwarmService {
  return {
    name: REDIS_SERVICE,
    role: 'redis',
    stage: 'data',
    image: BUILTIN_REDIS_IMAGE,
    environment: {},
    secretEnv: [{ name: 'REDIS_PASSWORD', kind: 'secret', secret: REDIS_PASSWORD_SECRET }],
    networks: [network],
    volumes: [],
    configs: [],
    ports: [],
    // The image's own check (redis-cli ping), at the service's pace.
    healthcheck: undefined,
    user: UNPRIVILEGED_USER,
    capAdd: [],
    labels: labelsFor(stack, REDIS_SERVICE),
    mode: { kind: 'replicated', replicas: 1 },
    pinned: true,
    stopGracePeriod: '10s',
    rolling: false,
  };
}

/** HAProxy in front of the replicas, on LiteLLM's port: the one thing of the stack the LAN reaches. */
function frontDoorService(stack: string, network: string, port: number): SwarmService {
  return {
    name: FRONT_DOOR_SERVICE,
    role: 'front-door',
    stage: 'serve',
    image: BUILTIN_HAPROXY_IMAGE,
    environment: {},
    secretEnv: [],
    networks: [network],
    volumes: [],
    configs: [{ file: HAPROXY_CONFIG_FILE, target: HAPROXY_CONFIG_PATH }],
    ports: [{ published: port, target: FRONT_DOOR_PORT }],
    healthcheck: FRONT_DOOR_HEALTHCHECK,
    user: UNPRIVILEGED_USER,
    capAdd: [],
    labels: labelsFor(stack, FRONT_DOOR_SERVICE),
    mode: { kind: 'replicated', replicas: 1 },
    pinned: true,
    // Its soft stop lets requests under way finish (hard-stop-after in haproxy.cfg bounds it).
    stopGracePeriod: '35s',
    rolling: false,
  };
}

/** The services of one deploy stage and those before it: what each `docker stack deploy` of the stages carries. */
export function servicesThrough(model: SwarmModel, stage: SwarmStage): SwarmService[] {
  const last = SWARM_STAGES.indexOf(stage);
  return model.services.filter((service) => SWARM_STAGES.indexOf(service.stage) <= last);
}

export function unknownImage(image: string, where: string): UserError {
  return new UserError(
    `mcpgw cannot tell how ${image} (${where}) starts: it is not on this machine's Docker engine`,
    `build or pull it here first (\`mcpgw images build\`, or \`docker pull ${image}\`): on a swarm its secrets reach it through a wrapper that then runs the image's own entrypoint`,
  );
}
