import { connectDatabase, databaseUrl, type SqlClient } from '../../db/connect.js';
import { DockerEngine } from '../../docker/engine.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { keySecretName } from '../../config/rules.js';
import { updateSecret } from '../../config/secrets.js';
import { declaredKeys, desiredKey, durationSeconds, legacyServerIds, serverIds } from '../../keys/desired.js';
import { generateKeyViaApi } from '../../keys/api.js';
import { KeyStore } from '../../keys/store.js';
import { litellmBaseUrl } from '../../stack/model.js';
import { abbreviateKey, generateKey, hashKey, KEY_PREFIX, refuseMasterKey, validateNewKey } from '../../keys/token.js';
import { keyAlias } from '../../config/schema.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';
import { loadStack, type LoadedStack } from '../load-stack.js';

async function withStore<T>(ctx: CommandContext, work: (store: KeyStore, stack: LoadedStack) => Promise<T>): Promise<T> {
  return withKeyStore(ctx, await loadStack(ctx), work);
}

/** Opens LiteLLM's database for key work (schema checked), runs `work`, and always closes the connection. */
export async function withKeyStore<T>(
  ctx: CommandContext,
  stack: LoadedStack,
  work: (store: KeyStore, stack: LoadedStack) => Promise<T>,
  engine: () => Promise<DockerEngine> = () => DockerEngine.connect(ctx.deps.env),
): Promise<T> {
  const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
  ctx.ui.addSecrets([url]);
  const db: SqlClient = await connectDatabase(url);
  try {
    const store = new KeyStore(db, () => ctx.deps.clock.now());
    await store.assertSchema();
    return await work(store, stack);
  } finally {
    await db.end();
  }
}

export interface CreateOptions {
  alias: string;
  mcp?: string[];
  mcpGroup?: string[];
  models?: string[];
  expires?: string;
  budget?: string;
  key?: string;
  viaApi?: boolean;
}

export async function keysCreateCommand(ctx: CommandContext, options: CreateOptions): Promise<void> {
  if (options.key !== undefined) ctx.ui.addSecrets([options.key]);
  // Every argument is checked before Docker or the database is asked anything.
  const alias = keyAlias.safeParse(options.alias);
  if (!alias.success) throw new UserError(`--alias ${JSON.stringify(options.alias.slice(0, 64))} is not a key alias`, '2–64 lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit, e.g. --alias claude-code');
  if (options.key !== undefined) validateNewKey(options.key, '--key');
  const key = options.key ?? generateKey(ctx.deps.randomBytes);
  ctx.ui.addSecrets([key]);
  const budget = options.budget === undefined ? undefined : Number(options.budget);
  if (budget !== undefined && !(budget > 0)) throw new UserError(`--budget ${options.budget} is not a positive number`, 'give the budget in USD, e.g. --budget 25');
  const expiresInSeconds = options.expires === undefined ? undefined : flagDuration('--expires', options.expires, '30d');
  const stack = await loadStack(ctx);
  refuseMasterKey(key, stack.secrets.get(stack.loaded.config.litellm.master_key), '--key');
  const declaredModels = stack.loaded.config.litellm.models.map((model) => model.name);
  const unknownModels = (options.models ?? []).filter((model) => !declaredModels.includes(model));
  if (unknownModels.length > 0) {
    throw new UserError(`unknown model(s) ${unknownModels.join(', ')}`, declaredModels.length ? `models in mcpgw.yaml: ${declaredModels.join(', ')}` : 'declare it under litellm.models first');
  }
  const desired = desiredKey(
    {
      alias: options.alias,
      key,
      models: options.models ?? [],
      mcpServers: options.mcp ?? [],
      mcpGroups: options.mcpGroup ?? [],
      ...(expiresInSeconds !== undefined ? { expires: `${expiresInSeconds}s` } : {}),
      ...(budget !== undefined ? { budget } : {}),
    },
    serverIds(stack.model),
  );
  await withKeyStore(ctx, stack, async (store) => {
    if (options.viaApi) {
      const masterKey = stack.secrets.get(stack.loaded.config.litellm.master_key) ?? '';
      await store.assertAliasFree(desired);
      await generateKeyViaApi(litellmBaseUrl(stack.model), masterKey, key, desired);
    } else {
      await store.create(desired);
    }
    if (desired.mcpServers.length === 0 && desired.mcpGroups.length === 0) {
      ctx.ui.warn(`${options.alias} has no MCP grant: current LiteLLM refuses it every MCP server (old versions gave it all of them)`);
    }
  });
  // The key itself goes to stdout exactly once (a result), never through the redacting channels.
  if (ctx.options.json) ctx.deps.stdout.write(`${JSON.stringify({ alias: options.alias, key }, null, 2)}\n`);
  else ctx.deps.stdout.write(`${key}\n`);
  ctx.ui.info(`created ${options.alias}: store this key now, mcpgw cannot show it again`);
}

export async function keysListCommand(ctx: CommandContext): Promise<void> {
  await withStore(ctx, async (store, stack) => {
    const ids = serverIds(stack.model);
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const legacy = legacyServerIds(stack.model);
    // A grant LiteLLM cannot match is shown as such, not as a bare id that looks like a server.
    const serverName = (id: string) => names.get(id) ?? (ids.has(id) ? id : legacy.has(id) ? `${names.get(legacy.get(id) ?? '')}(old id: keys sync)` : `unknown:${id}`);
    const rows = (await store.list()).map((row) => ({
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
    }));
    if (ctx.options.json) {
      ctx.ui.json({ keys: rows });
      return;
    }
    ctx.ui.result(
      formatTable(
        ['ALIAS', 'KEY', 'MODELS', 'MCP SERVERS', 'EXPIRES', 'SPEND', 'LIMITS', 'BLOCKED'],
        rows.map((row) => [
          row.alias ?? '-',
          row.key,
          row.models.length ? row.models.join(',') : 'all',
          [...row.mcpServers.map((server) => (row.mcpTools[server] ? `${server}[${row.mcpTools[server].join('|')}]` : server)), ...row.mcpGroups.map((group) => `group:${group}`)].join(',') || 'NONE',
          row.expires?.slice(0, 10) ?? 'never',
          row.budget !== null ? `${row.spend.toFixed(2)}/${row.budget}${row.budgetDuration ? ` per ${row.budgetDuration}` : ''}` : row.spend.toFixed(2),
          limitsText(row),
          row.blocked ? 'yes' : 'no',
        ]),
      ),
    );
    const ungranted = rows.filter((row) => row.mcpServers.length === 0 && row.mcpGroups.length === 0);
    for (const row of ungranted) ctx.ui.warn(`${row.alias ?? row.key} has no MCP grant: it sees no MCP server on current LiteLLM (and every server on versions before the change)`);
  });
}

export async function keysRevokeCommand(ctx: CommandContext, target: string): Promise<void> {
  const match = target.startsWith(KEY_PREFIX) ? { token: hashKey(target) } : { alias: target };
  if (match.token) ctx.ui.addSecrets([target]);
  const removed = await withStore(ctx, (store) => store.revoke(match));
  if (removed === 0) throw new UserError(`no key matches ${match.token ? 'that key' : `alias "${target}"`}`, 'see `mcpgw keys list`');
  if (ctx.options.json) ctx.ui.json({ revoked: removed });
  else ctx.ui.result(`revoked ${removed} key(s); LiteLLM workers may accept it until their key cache expires (litellm.key_cache_ttl)`);
}

export async function keysRotateCommand(ctx: CommandContext, alias: string, options: { grace?: string }): Promise<void> {
  const graceSeconds = flagDuration('--grace', options.grace ?? '24h', '24h');
  const key = generateKey(ctx.deps.randomBytes);
  ctx.ui.addSecrets([key]);
  const stack = await loadStack(ctx);
  const declared = stack.loaded.config.keys.find((entry) => entry.alias === alias);
  await withKeyStore(ctx, stack, (store) =>
    store.rotate(alias, { token: hashKey(key), keyName: abbreviateKey(key), ...(declared?.expires ? { expiresInSeconds: durationSeconds(declared.expires) } : {}) }, graceSeconds),
  );
  if (declared) {
    const secret = declared.secret ?? keySecretName(alias);
    await updateSecret(stack.loaded.secretsFile, secret, key);
    ctx.ui.info(`wrote the new key to ${stack.loaded.secretsFile} (${secret}); update your clients, the old key stops working in ${options.grace ?? '24h'}`);
  } else {
    ctx.ui.info(`rotated ${alias}: store the new key now; the old one stops working in ${options.grace ?? '24h'}`);
  }
  if (ctx.options.json) ctx.deps.stdout.write(`${JSON.stringify({ alias, key, graceSeconds }, null, 2)}\n`);
  else ctx.deps.stdout.write(`${key}\n`);
}

export async function keysSyncCommand(ctx: CommandContext, options: { dryRun?: boolean }): Promise<void> {
  await withStore(ctx, async (store, stack) => {
    const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
    const changes = await store.sync(keys, { dryRun: Boolean(options.dryRun), legacyServerIds: legacyServerIds(stack.model) });
    const migrated = store.migratedGrants;
    // Like litellm-as-code's --dry-run, a dry run that finds drift exits 1, so it can gate CI.
    const drift = changes.filter((change) => change.action !== 'keep');
    const driftFailure = () =>
      new ReportedFailure(`${drift.length + (migrated > 0 ? 1 : 0)} key change(s) pending: the database differs from mcpgw.yaml`, 'run `mcpgw keys sync` to apply them');
    if (ctx.options.json) {
      ctx.ui.json({ dryRun: Boolean(options.dryRun), ok: !(options.dryRun && (drift.length > 0 || migrated > 0)), changes, ...(migrated > 0 ? { migratedGrants: migrated } : {}) });
      if (options.dryRun && (drift.length > 0 || migrated > 0)) throw driftFailure();
      return;
    }
    if (migrated > 0) ctx.ui.result(`${options.dryRun ? 'would move' : 'moved'} ${migrated} grant row(s) from LiteLLM's derived server ids to the pinned ones`);
    for (const change of changes) {
      const detail = change.action === 'update' ? ` (${change.fields.join(', ')})` : change.action === 'keep' && change.blocked ? ' (blocked in LiteLLM: left blocked; unblock it there if that was not meant)' : '';
      ctx.ui.result(`${change.action.padEnd(7)} ${change.alias}${detail}`);
    }
    if (changes.length === 0) ctx.ui.result('no keys are declared in mcpgw.yaml');
    if (options.dryRun) ctx.ui.result('(dry run: nothing was written)');
    if (options.dryRun && (drift.length > 0 || migrated > 0)) throw driftFailure();
  });
}

function limitsText(row: { rpmLimit: number | null; tpmLimit: number | null; maxParallelRequests: number | null }): string {
  const parts = [row.rpmLimit !== null ? `${row.rpmLimit} rpm` : '', row.tpmLimit !== null ? `${row.tpmLimit} tpm` : '', row.maxParallelRequests !== null ? `${row.maxParallelRequests} parallel` : ''];
  return parts.filter(Boolean).join(', ') || '-';
}
