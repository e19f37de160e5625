import { METRICS_KEY_SECRET } from '../config/generated-secrets.js';
import { declaredKeySecret } from '../config/key-secrets.js';
import { KEY_ALLOWED_ROUTES } from '../litellm/routes.js';
import type { McpgwConfig } from '../config/schema.js';
import type { Secrets } from '../config/secrets.js';
import { UserError } from '../errors.js';
import type { StackModel } from '../stack/model.js';
import { configServerId, stableServerId } from '../litellm/server-id.js';
import { abbreviateKey, hashKey, refuseMasterKey, validateNewKey } from './token.js';

/** A key as it must exist in LiteLLM's DB: the hash (never the key), grants by server id, limits. */
export interface DesiredKey {
  alias: string;
  token: string;
  /** LiteLLM's abbreviation of the key; null for a key declared by its hash, whose value mcpgw never had. */
  keyName: string | null;
  models: string[];
  /** Server ids, sorted. */
  mcpServers: string[];
  mcpGroups: string[];
  expiresInSeconds?: number;
  budget?: number;
  budgetDuration?: string;
  /** Server id → the only tools the key may see and call there (LiteLLM's mcp_tool_permissions), sorted. */
  toolPermissions: Record<string, string[]>;
  rpmLimit?: number;
  tpmLimit?: number;
  maxParallelRequests?: number;
  /** LiteLLM's allowed_routes: KEY_ALLOWED_ROUTES for a client's key, /metrics alone for the scrape key. */
  allowedRoutes: readonly string[];
}

/** The key settings managed as code besides grants, models and budget, as mcpgw.yaml names them. */
export interface KeySettings {
  mcpTools?: Record<string, string[]>;
  budgetDuration?: string;
  rpmLimit?: number;
  tpmLimit?: number;
  maxParallelRequests?: number;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

export function durationSeconds(text: string): number {
  const match = /^([1-9][0-9]*)([smhdw])$/.exec(text);
  if (!match) throw new UserError(`${text} is not a duration`, 'use e.g. 30m, 24h, 90d or 2w');
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

/** Server name → the id LiteLLM uses for it in the rendered config (the pinned server_id). */
export function serverIds(model: StackModel): Map<string, string> {
  return new Map(Object.entries(model.litellmConfig.mcp_servers).map(([name, entry]) => [name, configServerId(name, entry)]));
}

/**
 * The ids grants held before mcpgw pinned server ids (LiteLLM's derived ones for today's entries) → the pinned
 * id, for the one-time migration `keys sync` runs. Entries whose ids are already derived map to nothing.
 */
export function legacyServerIds(model: StackModel): Map<string, string> {
  const legacy = new Map<string, string>();
  for (const [name, entry] of Object.entries(model.litellmConfig.mcp_servers)) {
    const { server_id: pinned, ...unpinned } = entry;
    if (typeof pinned === 'string') legacy.set(stableServerId(name, unpinned), pinned);
  }
  return legacy;
}

/** A key's settings as mcpgw.yaml or `keys create` describes them, its grants by server name. */
export type KeyFields = {
  alias: string;
  models: string[];
  mcpServers: string[];
  mcpGroups: string[];
  expires?: string;
  budget?: number;
} & KeySettings;

/** The key itself, or only its hash (LiteLLM's token column) for a key whose value mcpgw never had. */
export type KeyIdentity = { key: string; tokenSha256?: undefined } | { tokenSha256: string; key?: undefined };

export type DesiredKeyInput = KeyFields & KeyIdentity;

export function desiredKey(input: DesiredKeyInput, ids: Map<string, string>): DesiredKey {
  if (input.key !== undefined) validateNewKey(input.key, `the key for ${input.alias}`);
  const idOf = (name: string) => {
    const id = ids.get(name);
    if (!id)
      throw new UserError(
        `unknown MCP server "${name}"`,
        ids.size ? `servers in mcpgw.yaml: ${[...ids.keys()].join(', ')}` : 'declare it under mcp_servers first',
      );
    return id;
  };
  // LiteLLM grants the union of mcp_servers and the servers of mcp_tool_permissions: both are written together.
  const mcpServers = [...input.mcpServers, ...Object.keys(input.mcpTools ?? {})].map(idOf);
  const toolPermissions = Object.fromEntries(
    Object.entries(input.mcpTools ?? {})
      .map(([name, tools]) => [idOf(name), [...new Set(tools)].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return {
    alias: input.alias,
    ...(input.key !== undefined ? { token: hashKey(input.key), keyName: abbreviateKey(input.key) } : { token: input.tokenSha256, keyName: null }),
    models: [...input.models].sort(),
    mcpServers: [...new Set(mcpServers)].sort(),
    mcpGroups: [...new Set(input.mcpGroups)].sort(),
    ...(input.expires ? { expiresInSeconds: durationSeconds(input.expires) } : {}),
    ...(input.budget !== undefined ? { budget: input.budget } : {}),
    ...(input.budgetDuration !== undefined ? { budgetDuration: input.budgetDuration } : {}),
    toolPermissions,
    ...(input.rpmLimit !== undefined ? { rpmLimit: input.rpmLimit } : {}),
    ...(input.tpmLimit !== undefined ? { tpmLimit: input.tpmLimit } : {}),
    ...(input.maxParallelRequests !== undefined ? { maxParallelRequests: input.maxParallelRequests } : {}),
    allowedRoutes: KEY_ALLOWED_ROUTES,
  };
}

/** The alias of the scrape key mcpgw keeps for Prometheus (observability.prometheus); no declared key may take it. */
export const METRICS_KEY_ALIAS = 'mcpgw-metrics';
/** LiteLLM serves /metrics under this route; a key allowed only this one gets 403 on every other route (1.108.7). */
const METRICS_ROUTES: readonly string[] = ['/metrics'];

/**
 * The scrape key: no models, no MCP servers, and allowed_routes that admit /metrics alone, so what Prometheus holds
 * reads metrics and nothing else (unlike the master key, which it needed before).
 */
export function metricsKey(key: string): DesiredKey {
  validateNewKey(key, METRICS_KEY_SECRET);
  return {
    alias: METRICS_KEY_ALIAS,
    token: hashKey(key),
    keyName: abbreviateKey(key),
    models: [],
    mcpServers: [],
    mcpGroups: [],
    toolPermissions: {},
    allowedRoutes: METRICS_ROUTES,
  };
}

/**
 * The keys declared in mcpgw.yaml: by value, read from the secrets file, or by hash (`token_sha256`), which needs
 * no secret; and the scrape key when Prometheus scrapes the stack. The master key is refused either way, and so are
 * two declarations of one key.
 */
export function declaredKeys(config: McpgwConfig, model: StackModel, secrets: Secrets): DesiredKey[] {
  const ids = serverIds(model);
  const missing = config.keys
    .filter((key) => key.token_sha256 === undefined)
    .map(declaredKeySecret)
    .filter((name) => !secrets.has(name));
  if (missing.length > 0) {
    throw new UserError(`the secrets file lacks ${missing.join(', ')}`, 'add each declared key as NAME=sk-… (mcpgw keys create --alias A prints a fresh one)');
  }
  const masterKey = secrets.get(config.litellm.master_key);
  const keys = config.keys.map((key) => {
    const secret = declaredKeySecret(key);
    let identity: KeyIdentity;
    if (key.token_sha256 !== undefined) {
      if (masterKey && hashKey(masterKey) === key.token_sha256)
        throw new UserError(`keys.${key.alias}: token_sha256 is the hash of the LiteLLM master key`, 'declare a virtual key, never the master key');
      identity = { tokenSha256: key.token_sha256 };
    } else {
      refuseMasterKey(secrets.get(secret) ?? '', masterKey, `${secret} (the key for ${key.alias})`);
      identity = { key: secrets.get(secret) ?? '' };
    }
    return desiredKey(
      {
        alias: key.alias,
        ...identity,
        models: key.models,
        mcpServers: key.mcp_servers,
        mcpGroups: key.mcp_groups,
        ...(key.expires ? { expires: key.expires } : {}),
        ...(key.budget !== undefined ? { budget: key.budget } : {}),
        mcpTools: key.mcp_tools,
        ...(key.budget_duration !== undefined ? { budgetDuration: key.budget_duration } : {}),
        ...(key.rpm_limit !== undefined ? { rpmLimit: key.rpm_limit } : {}),
        ...(key.tpm_limit !== undefined ? { tpmLimit: key.tpm_limit } : {}),
        ...(key.max_parallel_requests !== undefined ? { maxParallelRequests: key.max_parallel_requests } : {}),
      },
      ids,
    );
  });
  if (model.observability?.prometheus) {
    if (keys.some((key) => key.alias === METRICS_KEY_ALIAS))
      throw new UserError(`keys: the alias ${METRICS_KEY_ALIAS} is the scrape key mcpgw keeps for observability.prometheus`, 'give your key another alias');
    const scrape = secrets.get(METRICS_KEY_SECRET) ?? '';
    refuseMasterKey(scrape, masterKey, METRICS_KEY_SECRET);
    keys.push(metricsKey(scrape));
  }
  // A secret holding the key another declaration names by hash: one row, two declarations fighting over it.
  const seen = new Map<string, string>();
  for (const key of keys) {
    const first = seen.get(key.token);
    if (first !== undefined)
      throw new UserError(
        `keys "${first}" and "${key.alias}" are the same key (one sha256)`,
        `keep one declaration in mcpgw.yaml: merge ${key.alias}'s grants into ${first}`,
      );
    seen.set(key.token, key.alias);
  }
  return keys;
}
