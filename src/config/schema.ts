import { z } from 'zod';
import { BUILTIN_LITELLM_IMAGE, BUILTIN_POSTGRES_IMAGE, packageImage, parseNpmSpec, parsePypiSpec, type PackageSource } from '../images/builtin.js';
import { observabilitySchema } from './observability.js';
import { RESERVED_POSTGRES_ROLES } from './postgres-roles.js';

/**
 * mcpgw.yaml, version 1. The schema is the single boundary: everything after `loadConfig` trusts these types.
 * Secrets are never values here, only the *names* of variables in the secrets file; the renderer turns them
 * into `os.environ/NAME` (LiteLLM) and env files (containers).
 */

export const DEFAULT_LITELLM_IMAGE = 'ghcr.io/berriai/litellm-database:v1.108.7';
export const DEFAULT_POSTGRES_IMAGE = 'postgres:16';
export const DEFAULT_MCP_PORT_RANGE = '48000-48999';
/** `probe_model:` value that runs mcpgw's canary model (templates/canary-model.py) in the stack. */
export const CANARY_PROBE_MODEL = 'canary';
/** The canary's model name in LiteLLM's model_list, and its service's name. */
export const CANARY_MODEL_NAME = 'mcpgw-canary';

const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVER_NAME = /^[a-z][a-z0-9_]*$/;
const STACK_NAME = /^[a-z][a-z0-9-]*$/;
/** The stack name when mcpgw.yaml gives none (`init` writes it). */
export const DEFAULT_STACK_NAME = 'litellm';
/** The secrets file, relative to mcpgw.yaml, when mcpgw.yaml names none. */
export const DEFAULT_SECRETS_FILE = './secrets/litellm.env';

/** `os.environ/NAME` is accepted as a synonym for `NAME`, since that is what LiteLLM users are used to writing. */
export const secretName = z.preprocess(
  (value) => (typeof value === 'string' && value.startsWith('os.environ/') ? value.slice('os.environ/'.length) : value),
  z.string().regex(SECRET_NAME, {
    message: 'must be the NAME of a variable in the secrets file (A–Z, 0–9, _), not a value',
  }),
);

const port = z.number().int().min(1).max(65535);
/**
 * Existing Docker networks a service also joins (mcpgw never creates or removes them): where LiteLLM reaches a
 * model server, or an MCP server its own database. Docker's network name rule.
 */
const joinedNetworks = z
  .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be a Docker network name (letters, digits, _ . -)' }))
  .default([]);
const duration = z.string().regex(/^[1-9][0-9]*[smhdw]$/, {
  message: 'must be a duration such as 30m, 24h, 90d or 2w',
});
const imageName = z
  .string()
  .min(1)
  .regex(/^[^\s]+$/, { message: 'must be an image reference without spaces' });

/**
 * `build:` on a service: mcpgw builds its image from package registries instead of pulling it. An image not
 * named fills in the one mcpgw builds; one named otherwise is refused by the rules (config/rules/builds.ts).
 */
function withBuiltImage(image: (build: unknown) => string | undefined) {
  return (value: unknown) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const service = value as Record<string, unknown>;
    if (service.build === undefined || service.image !== undefined) return value;
    const built = image(service.build);
    return built ? { ...service, image: built } : value;
  };
}
const builtin = z.literal('builtin', { message: 'must be builtin (mcpgw builds its own image of this service from package registries)' }).optional();
const pinned = (parse: (spec: string) => unknown, example: string) =>
  z.string().refine((spec) => parse(spec) !== undefined, { message: `must name one exact version, e.g. ${example} (a build must be repeatable)` });
const packageBuild = z.strictObject({
  npm: pinned(parseNpmSpec, '@modelcontextprotocol/server-everything@2026.8.31').optional(),
  pypi: pinned(parsePypiSpec, 'mcp-server-time==2026.10.10').optional(),
});

const model = z.strictObject({
  name: z.string().min(1),
  model: z.string().min(1),
  api_key: secretName.optional(),
  api_base: z.string().url().optional(),
});

const litellm = z.preprocess(
  withBuiltImage((build) => (build === 'builtin' ? BUILTIN_LITELLM_IMAGE : undefined)),
  z.strictObject({
    image: imageName.default(DEFAULT_LITELLM_IMAGE),
    /** builtin: LiteLLM (DB mode) built from PyPI by mcpgw (images/litellm, images/litellm-db). */
    build: builtin,
    port: port.default(4000),
    master_key: secretName.default('LITELLM_MASTER_KEY'),
    salt_key: secretName.default('LITELLM_SALT_KEY'),
    /** Seconds a key (and its grants) is cached per worker; low values make revocation take effect sooner. */
    key_cache_ttl: z.number().int().min(0).max(3600).default(60),
    models: z.array(model).default([]),
    /**
     * LiteLLM's admin UI (/ui/) on its published port. Off by default: mcpgw manages keys itself, and LiteLLM
     * serves the UI on the same LAN port as the API (DISABLE_ADMIN_UI is set unless this is true).
     */
    admin_ui: z.boolean().default(false),
    /** Extra container labels. Reverse-proxy labels (traefik.*) need `lan_only: false`. */
    labels: z.record(z.string(), z.string()).default({}),
    /** Existing networks LiteLLM also joins, e.g. where a model server runs; no MCP server of the stack is put on them. */
    networks: joinedNetworks,
    /**
     * LiteLLM containers serving behind one front door (`engine: swarm` only): each one is a replica, sharing the
     * master key, salt key, config.yaml, Postgres and Redis.
     */
    replicas: z.number().int().min(1).max(32).default(1),
  }),
);

const postgres = z.preprocess(
  withBuiltImage((build) => (build === 'builtin' ? BUILTIN_POSTGRES_IMAGE : undefined)),
  z.strictObject({
    mode: z.enum(['bundled', 'external']).default('bundled'),
    image: imageName.default(DEFAULT_POSTGRES_IMAGE),
    /** builtin: Debian's PostgreSQL built by mcpgw (images/postgres). */
    build: builtin,
    network: z.string().min(1).default('postgres-net'),
    /** Set when `network` already exists and is shared with other stacks (as in the seed); mcpgw never removes it. */
    network_external: z.boolean().default(false),
    database: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('litellm'),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .refine((user) => !RESERVED_POSTGRES_ROLES.includes(user), { message: `must not be one of mcpgw's own roles (${RESERVED_POSTGRES_ROLES.join(', ')})` })
      .default('litellm'),
    password: secretName.default('POSTGRES_PASSWORD'),
    /** external mode: the secret holding the full postgresql:// URL. */
    url: secretName.default('DATABASE_URL'),
    /** Publish Postgres on 127.0.0.1:<host_port> so mcpgw on the host can manage keys; never on the LAN. */
    host_port: port.optional(),
  }),
);

const mcpServer = z.preprocess(
  withBuiltImage((build) => (build && typeof build === 'object' ? packageImage(build as PackageSource) : undefined)),
  z.strictObject({
    transport: z.enum(['sse', 'http', 'stdio'], {
      message: 'must be one of sse, http, stdio (LiteLLM silently takes a server without one as http, streamable HTTP)',
    }),
    description: z.string().optional(),
    /** A container mcpgw runs for this server (sse/http, or a bridged stdio server). */
    image: imageName.optional(),
    /** The server's package, installed into an image mcpgw builds (one of npm, pypi; exact version). */
    build: packageBuild.optional(),
    /**
     * stdio only, and the default for a stdio server with an image (or build): its command runs in that container
     * behind mcpgw's bridge, which keeps one process of it and serves it to LiteLLM as streamable http. Not sse:
     * supergateway's SSE output, the one SSE bridge tried, runs one process for every session and sends each reply
     * to all of them, so LiteLLM's concurrent sessions received each other's answers.
     */
    bridge: z
      .enum(['http'], {
        message: "must be http: supergateway's SSE output sends every reply to all sessions, so requests through LiteLLM get each other's answers",
      })
      .optional(),
    /**
     * stdio only: LiteLLM spawns the command inside its own container instead, where it can read LiteLLM's
     * environment (master key, salt key, DATABASE_URL, provider keys). Only when the user insists; doctor warns.
     */
    inside_litellm: z.literal(true, { message: 'must be true (or left out: a stdio server runs in its own container behind the bridge)' }).optional(),
    /** Container command (sse/http with image), the stdio command the bridge runs, or the one LiteLLM spawns. */
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    args: z.array(z.string()).optional(),
    /** The server's port in the MCP range: its identity, and where it listens in its container unless container_port says otherwise. */
    port: port.optional(),
    /** Port the server listens on inside its container; defaults to `port`. */
    container_port: port.optional(),
    /**
     * Publish `port` on `mcp_bind` of this machine. Off by default: LiteLLM reaches the server over its network,
     * and Docker 20.10 forwards a published port to any LAN host that routes the bridge via this machine, whatever
     * its address, so a published server is also guarded by DOCKER-USER rules (`mcpgw up` as root).
     */
    publish: z.boolean().default(false),
    path: z.string().regex(/^\//, { message: 'must start with /' }).optional(),
    /** An MCP server mcpgw does not run: LiteLLM connects to this URL. */
    url: z.string().url().optional(),
    /**
     * The Host header LiteLLM sends to the server instead of the URL's own (rendered as static_headers). For
     * servers whose MCP SDK allows only localhost names (DNS-rebinding protection), e.g. "localhost:8000".
     */
    host_header: z
      .string()
      // With the port: the MCP Python SDK's allow-list entries (localhost:*) match only a Host that has one.
      .regex(/^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/, {
        message: 'must be host:port, e.g. localhost:8000 (the port the server listens on; the MCP SDK refuses a Host without one)',
      })
      .optional(),
    /** Plain (non-secret) environment, e.g. PORT. Secrets go in `env`. */
    environment: z.record(z.string().regex(ENV_NAME, { message: 'variable names use letters, digits and _' }), z.string()).default({}),
    /** Secret environment of the server: variable name → secret name. */
    env: z.record(z.string().regex(ENV_NAME, { message: 'variable names use letters, digits and _' }), secretName).default({}),
    allowed_tools: z.array(z.string().min(1)).optional(),
    /** A safe, read-only tool `mcpgw probe` calls to prove the server executes tools; "{nonce}" in a string argument is echoed back. */
    probe: z
      .strictObject({
        tool: z.string().min(1),
        arguments: z.record(z.string(), z.unknown()).default({}),
        /**
         * For a server whose safe call is a refusal (fetch refuses an address it may not reach): the call proves
         * the server by coming back as the tool's own error containing this text ("{nonce}" replaced).
         */
        expect_error: z.string().min(1).optional(),
      })
      .optional(),
    groups: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).default([]),
    /** Existing networks this server's container also joins, e.g. where its own database runs. */
    networks: joinedNetworks,
    /**
     * Named volumes of this server's container, volume → the directory it is mounted on: files the server keeps
     * beyond its container's life. mcpgw creates each as <stack>-mcp-<server>-<volume>, labelled with the stack, so
     * `down --volumes` removes them.
     */
    volumes: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'volume names use lowercase letters, digits, "_" and "-", starting with a letter' }),
        z.string().regex(/^\/[^:]+$/, { message: 'must be an absolute directory in the container, e.g. /data' }),
      )
      .default({}),
  }),
);

/**
 * LiteLLM's own key_alias rule (2–255 characters, starting and ending with a letter or digit, what its
 * enable_key_alias_format_validation checks), within mcpgw's lowercase names.
 */
export const keyAlias = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, { message: 'use 2–64 lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit' })
  .min(2);

const key = z.strictObject({
  alias: keyAlias,
  /** Secret holding the key value (sk-…); defaults to MCPGW_KEY_<ALIAS>. */
  secret: secretName.optional(),
  /**
   * A key known only by its hash, LiteLLM's token column (sha256 hex of the key): one made by hand or by another
   * tool whose value nobody has, kept so its clients keep working (`mcpgw adopt` writes these). Instead of secret.
   */
  token_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: 'must be the 64 lowercase hex digits of sha256(key), as in LiteLLM_VerificationToken.token' })
    .optional(),
  models: z.array(z.string().min(1)).default([]),
  mcp_servers: z.array(z.string()).default([]),
  mcp_groups: z.array(z.string()).default([]),
  expires: duration.optional(),
  budget: z.number().positive().optional(),
  /** How often LiteLLM resets the key's spend (LiteLLM's budget_duration). */
  budget_duration: duration.optional(),
  /**
   * Per-server tool allow-lists (LiteLLM's mcp_tool_permissions): the key sees and calls only these tools of
   * that server. Each server must also be in mcp_servers (LiteLLM grants every server named here anyway).
   */
  mcp_tools: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
  rpm_limit: z.number().int().positive().optional(),
  tpm_limit: z.number().int().positive().optional(),
  max_parallel_requests: z.number().int().positive().optional(),
});

/**
 * A deployment mcpgw took over (`mcpgw adopt --write`) rather than created: what ran it before, so `mcpgw upgrade`
 * can replace that LiteLLM container with mcpgw's (kept, stopped and renamed, until the new one is proven) and
 * nothing else mcpgw does mistakes it for a foreign container.
 */
const adopted = z.strictObject({
  /** The compose file of the deployment as it was found (its backup sits beside mcpgw.yaml under adopted/). */
  compose_file: z.string().min(1),
  /** Its compose project name. */
  project: z.string().min(1),
  /** The container that served LiteLLM before mcpgw's own; `mcpgw upgrade` stops and renames it, never removes it. */
  litellm_container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be a Docker container name' }),
  /** The LiteLLM version that container ran when it was adopted. */
  litellm_version: z.string().regex(/^\d+\.\d+\.\d+/, { message: 'must be a LiteLLM version such as 1.77.3' }),
});

/** An engine address as DOCKER_HOST takes it. */
const engineUrl = z.string().regex(/^(tcp|ssh|unix):\/\/[^\s]+$/, {
  message: 'must be an engine address as DOCKER_HOST takes it: tcp://host:2375, ssh://user@host or unix:///var/run/docker.sock',
});

/**
 * `engine: swarm`: the Docker Swarm mcpgw deploys the stack on. mcpgw talks to the manager's engine for the stack
 * and to each node's engine to put the stack's images there (Swarm does not move images between nodes).
 */
const swarm = z.strictObject({
  /** A manager node's engine; unset: DOCKER_HOST (else the local socket). */
  manager: engineUrl.optional(),
  /** Every node's engine that may run a task of the stack, the manager's included. */
  nodes: z.array(engineUrl).min(1, { message: 'must list the engine of every node (the manager included)' }),
});

export const configSchema = z.strictObject({
  version: z.literal(1, { message: 'must be 1 (the only version this mcpgw understands)' }),
  /** Where the stack runs: `compose`, containers on one Docker engine; `swarm`, services on a Docker Swarm (see `swarm:`). */
  engine: z.enum(['compose', 'swarm'], { message: 'must be compose (one Docker engine) or swarm (a Docker Swarm, see swarm:)' }).default('compose'),
  /** Prefix of every container name, each one DNS label (63 characters) on the stack network. */
  name: z.string().max(32).regex(STACK_NAME, { message: 'use lowercase letters, digits and "-", starting with a letter' }).default(DEFAULT_STACK_NAME),
  host: z.string().min(1),
  bind: z.string().min(1).default('0.0.0.0'),
  /** Address the ports of servers with `publish: true` are published on. Loopback by default: MCP servers have no auth of their own. */
  mcp_bind: z.string().min(1).default('127.0.0.1'),
  mcp_port_range: z
    .string()
    .regex(/^\d+-\d+$/, { message: 'must look like 48000-48999' })
    .default(DEFAULT_MCP_PORT_RANGE),
  /** The LAN-only hard rule. `false` is the explicit opt-in to TLS, reverse proxies and public names. */
  lan_only: z.boolean().default(true),
  secrets: z.string().min(1).default(DEFAULT_SECRETS_FILE),
  /**
   * Deprecated: the one network every MCP server shared with LiteLLM before each got its own. Only read so that
   * `up` can remove that network from an existing stack once nothing is attached to it.
   */
  network: z.string().min(1).default('litellm-mcp-net'),
  litellm: litellm.default(() => litellm.parse({})),
  postgres: postgres.default(() => postgres.parse({})),
  mcp_servers: z
    .record(z.string().regex(SERVER_NAME, { message: 'server names use a–z, 0–9 and _ (LiteLLM names tools <server>-<tool>, so "-" is ambiguous)' }), mcpServer)
    .default({}),
  keys: z.array(key).default([]),
  /** Keys older than this are reported by `mcpgw doctor` as due for `mcpgw keys rotate` (unset: no check). */
  keys_max_age: duration.optional(),
  /**
   * The model `mcpgw probe` asks to run an MCP tool through LiteLLM: `canary` runs mcpgw's deterministic canary
   * model in the stack (no provider key, no spend, no model's whims); a declared model's name picks that model.
   * Unset: the first declared model, if any.
   */
  probe_model: z.string().min(1).optional(),
  observability: observabilitySchema.optional(),
  adopted: adopted.optional(),
  swarm: swarm.optional(),
});

export type McpgwConfig = z.infer<typeof configSchema>;
export type McpServerConfig = McpgwConfig['mcp_servers'][string];
export type KeyConfig = McpgwConfig['keys'][number];
export type ModelConfig = McpgwConfig['litellm']['models'][number];
export type Transport = McpServerConfig['transport'];
export type AdoptedConfig = NonNullable<McpgwConfig['adopted']>;
export type SwarmConfig = NonNullable<McpgwConfig['swarm']>;
