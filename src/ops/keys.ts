import path from 'node:path';
import { parse } from 'yaml';
import { declaredKeySecret, keySecretName } from '../config/key-secrets.js';
import { entryKey, pointsAtGateway, rewriteCommand, scanClientFiles } from '../clients/scan.js';
import { clientPlace } from '../clients/servers.js';
import type { McpgwConfig } from '../config/schema.js';
import { updateSecret } from '../config/secrets.js';
import { serversOf } from '../doctor/deployed.js';
import { type ConfigError, UserError } from '../errors.js';
import { readIfExists } from '../fs.js';
import { generateKeyViaApi } from '../keys/api.js';
import { declareBySecret, keptKeySecret } from '../keys/declaration.js';
import { declaredKeys, desiredKey, durationSeconds, legacyServerIds, serverIds, type KeyFields } from '../keys/desired.js';
import type { KeyChange, KeyRow } from '../keys/store.js';
import { abbreviateKey, generateKey, hashKey, KEY_PREFIX, refuseMasterKey } from '../keys/token.js';
import { configServerId } from '../litellm/server-id.js';
import { readConfigText, writeConfigText } from '../mcp/config-edit.js';
import { LITELLM_CONFIG_FILE } from '../render/litellm-config.js';
import { STACK_LABEL } from '../stack/labels.js';
import { litellmBaseUrl } from '../stack/model.js';
import type { OpContext } from './context.js';
import { withKeyStore, withRunningKeyStore } from './key-store.js';
import { loadStack, loadStackOrHints } from './stack.js';

export type CreateKeyRequest = KeyFields & {
  /** The key to store; a fresh one when absent. */
  key?: string;
  /** Through LiteLLM's /key/generate instead of a row written directly. */
  viaApi?: boolean;
  /** Kept in the secrets file under the alias's secret, so commands can take it by alias. */
  save?: boolean;
};

/**
 * Where `--save` keeps a key mcpgw.yaml does not declare: the alias's default secret. A declared key already has its
 * secret (and `keys sync` would overwrite its row from it), and a secret a declared key names is not free.
 */
function savedKeySecret(config: McpgwConfig, alias: string): string {
  if (config.keys.some((entry) => entry.alias === alias))
    throw new UserError(`--save: "${alias}" is declared in mcpgw.yaml`, 'a declared key already lives in the secrets file: drop --save');
  const secret = keySecretName(alias);
  const holder = config.keys.find((entry) => entry.secret === secret);
  if (holder) throw new UserError(`--save: ${secret} holds the key of "${holder.alias}"`, 'choose another alias');
  return secret;
}

/** Writes one key row; returns the key, which exists nowhere else once this returns. */
export async function createKey(
  ctx: OpContext,
  request: CreateKeyRequest,
): Promise<{ key: string; ungranted: boolean; saved?: { secretsFile: string; secret: string } }> {
  const key = request.key ?? generateKey(ctx.deps.randomBytes);
  ctx.ui.addSecrets([key]);
  const stack = await loadStack(ctx);
  const saveAs = request.save ? savedKeySecret(stack.loaded.config, request.alias) : undefined;
  refuseMasterKey(key, stack.secrets.get(stack.loaded.config.litellm.master_key), '--key');
  const declaredModels = stack.loaded.config.litellm.models.map((model) => model.name);
  const unknownModels = request.models.filter((model) => !declaredModels.includes(model));
  if (unknownModels.length > 0) {
    throw new UserError(
      `unknown model(s) ${unknownModels.join(', ')}`,
      declaredModels.length ? `models in mcpgw.yaml: ${declaredModels.join(', ')}` : 'declare it under litellm.models first',
    );
  }
  const { viaApi, save: _save, ...input } = request;
  const desired = desiredKey({ ...input, key }, serverIds(stack.model));
  await withKeyStore(ctx, stack, async (store) => {
    if (viaApi) {
      await store.assertAliasFree(desired);
      await generateKeyViaApi(litellmBaseUrl(stack.model), stack.secrets.get(stack.loaded.config.litellm.master_key) ?? '', key, desired);
    } else {
      await store.create(desired);
    }
  });
  const ungranted = desired.mcpServers.length === 0 && desired.mcpGroups.length === 0;
  if (saveAs === undefined) return { key, ungranted };
  await updateSecret(stack.loaded.secretsFile, saveAs, key);
  return { key, ungranted, saved: { secretsFile: stack.loaded.secretsFile, secret: saveAs } };
}

/** A key row as `keys list` shows it: grants by server name, a grant LiteLLM cannot match named as such. */
export interface ListedKey {
  alias: string | null;
  key: string;
  models: string[];
  mcpServers: string[];
  mcpGroups: string[];
  mcpTools: Record<string, string[]>;
  budget: number | null;
  budgetDuration: string | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  expires: string | null;
  spend: number;
  blocked: boolean;
  managedByMcpgw: boolean;
  /** Declared in mcpgw.yaml by its hash (token_sha256): mcpgw keeps the row but has no value for it. */
  declaredByHash: boolean;
}

/** The keys in LiteLLM's database; `invalid` when mcpgw.yaml does not validate and they were read from what runs. */
export interface KeyListing {
  keys: ListedKey[];
  invalid?: ConfigError;
}

/**
 * Every key row, its grants by server name. When mcpgw.yaml does not validate, the database is found from the running
 * stack (its labelled containers, the secrets file the file names) and the server names from the config.yaml LiteLLM
 * was deployed with: a typo must not hide which keys exist.
 */
export async function listKeys(ctx: OpContext): Promise<KeyListing> {
  const stack = await loadStackOrHints(ctx);
  if ('invalid' in stack) {
    ctx.ui.warn(`${stack.invalid.message}: listing the keys in the database of the containers labelled ${STACK_LABEL}=${stack.name}`);
    const rows = await withRunningKeyStore(ctx, stack, (store) => store.list());
    const deployed = await readIfExists(path.join(path.dirname(path.resolve(ctx.configFile)), LITELLM_CONFIG_FILE));
    const servers = deployed === undefined ? [] : serversOf((parse(deployed) as Record<string, unknown> | null) ?? {});
    const ids = new Map(servers.map(([name, entry]) => [name, configServerId(name, entry)]));
    return { keys: rows.map(listed(ids, new Map(), new Set())), invalid: stack.invalid };
  }
  const rows: KeyRow[] = await withKeyStore(ctx, stack, (store) => store.list());
  const byHash = new Set(stack.loaded.config.keys.flatMap((key) => (key.token_sha256 ? [key.token_sha256] : [])));
  return { keys: rows.map(listed(serverIds(stack.model), legacyServerIds(stack.model), byHash)) };
}

/** A row as `keys list` shows it, given the server ids by name, the ids grants held before pinning, and the hashes mcpgw.yaml declares. */
function listed(ids: Map<string, string>, legacy: Map<string, string>, byHash: Set<string>): (row: KeyRow) => ListedKey {
  const names = new Map([...ids].map(([name, id]) => [id, name]));
  const serverName = (id: string) =>
    names.get(id) ?? (ids.has(id) ? id : legacy.has(id) ? `${names.get(legacy.get(id) ?? '')}(old id: keys sync)` : `unknown:${id}`);
  return (row) => ({
    alias: row.alias,
    key: row.keyName,
    models: row.models,
    mcpServers: row.mcpServers.map(serverName).sort(),
    mcpGroups: row.mcpGroups,
    mcpTools: Object.fromEntries(Object.entries(row.toolPermissions).map(([id, tools]) => [serverName(id), tools])),
    budget: row.budget,
    budgetDuration: row.budgetDuration,
    rpmLimit: row.rpmLimit,
    tpmLimit: row.tpmLimit,
    maxParallelRequests: row.maxParallelRequests,
    expires: row.expires?.toISOString() ?? null,
    spend: row.spend,
    blocked: row.blocked,
    managedByMcpgw: row.managed,
    declaredByHash: byHash.has(row.token),
  });
}

/** Revokes by key (sk-…) or by alias; returns how many rows went. */
export async function revokeKey(ctx: OpContext, target: string): Promise<number> {
  const match = target.startsWith(KEY_PREFIX) ? { token: hashKey(target) } : { alias: target };
  if (match.token) ctx.ui.addSecrets([target]);
  const stack = await loadStack(ctx);
  const removed = await withKeyStore(ctx, stack, (store) => store.revoke(match));
  if (removed === 0) throw new UserError(`no key matches ${match.token ? 'that key' : `alias "${target}"`}`, 'see `mcpgw keys list`');
  return removed;
}

/**
 * A new key for `alias`; the old one keeps working for `graceSeconds`. A declared key's secret is rewritten, and so
 * is a saved one (`keys create --save`, or `save` now); a key declared by its hash becomes a key declared by its value: the value goes to the secrets file under its default
 * secret and mcpgw.yaml's `token_sha256:` becomes `secret:` (else the next sync would put the old hash back).
 */
export async function rotateKey(
  ctx: OpContext,
  alias: string,
  graceSeconds: number,
  save = false,
): Promise<{ key: string; secretsFile?: string; secret?: string; redeclared?: string; clients: string[] }> {
  const key = generateKey(ctx.deps.randomBytes);
  ctx.ui.addSecrets([key]);
  const stack = await loadStack(ctx);
  const { config, file, secretsFile } = stack.loaded;
  const declared = config.keys.find((entry) => entry.alias === alias);
  const secret = declared ? declaredKeySecret(declared) : save ? savedKeySecret(config, alias) : keySecretName(alias);
  // After the rotation mcpgw keeps the new value of every declared key (one declared by hash is redeclared by value).
  const kept = declared !== undefined || save || keptKeySecret(config, stack.secrets, alias) !== undefined;
  // Prepared before anything changes, so a declaration mcpgw cannot rewrite stops the rotation instead of following it.
  let redeclared: string | undefined;
  if (declared?.token_sha256) {
    const holder = config.keys.find((entry) => entry !== declared && entry.token_sha256 === undefined && declaredKeySecret(entry) === secret);
    if (holder)
      throw new UserError(`${secret} already holds the key of "${holder.alias}"`, `give "${holder.alias}" another secret: in mcpgw.yaml, then rotate`);
    redeclared = declareBySecret(await readConfigText(file), declared.token_sha256, secret, file);
  }
  const { oldToken } = await withKeyStore(ctx, stack, (store) =>
    store.rotate(
      alias,
      { token: hashKey(key), keyName: abbreviateKey(key), ...(declared?.expires ? { expiresInSeconds: durationSeconds(declared.expires) } : {}) },
      graceSeconds,
    ),
  );
  const clients = await clientsHolding(ctx, config, oldToken, alias, kept);
  if (!kept) return { key, clients };
  await updateSecret(secretsFile, secret, key);
  if (redeclared === undefined) return { key, secretsFile, secret, clients };
  await writeConfigText(file, redeclared);
  return { key, secretsFile, secret, redeclared: file, clients };
}

/** The commands that give each client config on this machine still holding the key `oldToken` hashes the new one. */
async function clientsHolding(ctx: OpContext, config: McpgwConfig, oldToken: string, alias: string, kept: boolean): Promise<string[]> {
  const scan = await scanClientFiles(clientPlace(ctx.deps.env, ctx.deps.cwd));
  return scan.entries
    .filter((entry) => {
      const held = entryKey(entry);
      return held !== undefined && pointsAtGateway(entry, config) && hashKey(held) === oldToken;
    })
    .map((entry) => `${entry.file} ${entry.at}: ${rewriteCommand(entry, alias, kept)}`);
}

/** The database made to match mcpgw.yaml's keys (or, dry, what would change). */
export async function syncKeys(ctx: OpContext, dryRun: boolean): Promise<{ changes: KeyChange[]; migrated: number; closedRoutes: number }> {
  const stack = await loadStack(ctx);
  return withKeyStore(ctx, stack, async (store) => {
    const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
    const changes = await store.sync(keys, { dryRun, legacyServerIds: legacyServerIds(stack.model) });
    return { changes, migrated: store.migratedGrants, closedRoutes: store.closedRoutes };
  });
}
