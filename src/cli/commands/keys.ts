import { keyAlias } from '../../config/schema.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { validateNewKey } from '../../keys/token.js';
import { createKey, listKeys, revokeKey, rotateKey, syncKeys } from '../../ops/keys.js';
import { formatTable } from '../../ui/table.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { configJson, invalidConfigFailure } from '../format/invalid-config.js';
import { flagDuration } from '../flags.js';
import { KEY_ENV, keyInput } from '../key-input.js';

/** What `keys create` gives a key unless told otherwise: a key nobody remembers should not work forever. */
const DEFAULT_KEY_LIFETIME = '90d';

export async function keysCreateCommand(ctx: CommandContext, options: CommandOptions<'keys create'>): Promise<void> {
  const given = await keyInput(ctx, options);
  // Every argument is checked before Docker or the database is asked anything.
  const alias = keyAlias.safeParse(options.alias);
  if (!alias.success)
    throw new UserError(
      `--alias ${JSON.stringify(options.alias.slice(0, 64))} is not a key alias`,
      '2–64 lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit, e.g. --alias claude-code',
    );
  if (given !== undefined) validateNewKey(given, options.key !== undefined ? '--key' : options.keyFile !== undefined ? '--key-file' : KEY_ENV);
  const budget = options.budget === undefined ? undefined : Number(options.budget);
  if (budget !== undefined && !(budget > 0))
    throw new UserError(`--budget ${options.budget} is not a positive number`, 'give the budget in USD, e.g. --budget 25');
  const expires = options.expires ?? DEFAULT_KEY_LIFETIME;
  const expiresInSeconds = expires === 'never' ? undefined : flagDuration('--expires', expires, '30d');
  const { key, ungranted, saved } = await createKey(ctx, {
    alias: options.alias,
    models: options.models ?? [],
    mcpServers: options.mcp ?? [],
    mcpGroups: options.mcpGroup ?? [],
    ...(expiresInSeconds !== undefined ? { expires: `${expiresInSeconds}s` } : {}),
    ...(budget !== undefined ? { budget } : {}),
    ...(given !== undefined ? { key: given } : {}),
    ...(options.viaApi ? { viaApi: true } : {}),
    ...(options.save ? { save: true } : {}),
  });
  if (ungranted) ctx.ui.warn(`${options.alias} has no MCP grant: current LiteLLM refuses it every MCP server (old versions gave it all of them)`);
  // The key itself goes to stdout exactly once (a result), never through the redacting channels.
  if (ctx.options.json) ctx.deps.stdout.write(`${JSON.stringify({ alias: options.alias, key }, null, 2)}\n`);
  else ctx.deps.stdout.write(`${key}\n`);
  ctx.ui.info(
    saved
      ? `created ${options.alias}: kept in ${saved.secretsFile} (${saved.secret}), so --key-alias ${options.alias} and \`mcp tools --key ${options.alias}\` find it`
      : `created ${options.alias}: store this key now, mcpgw cannot show it again (--save keeps it in the secrets file)`,
  );
  ctx.ui.info(
    expiresInSeconds === undefined
      ? `${options.alias} never expires (--expires never)`
      : `${options.alias} expires in ${expires}${options.expires === undefined ? ` (the default; --expires DURATION or --expires never to choose)` : ''}`,
  );
}

export async function keysListCommand(ctx: CommandContext): Promise<void> {
  const { keys: rows, invalid } = await listKeys(ctx);
  if (ctx.options.json) {
    ctx.ui.json({ keys: rows, ...configJson(invalid) });
    if (invalid) throw invalidConfigFailure(invalid, true);
    return;
  }
  ctx.ui.result(
    formatTable(
      ['ALIAS', 'KEY', 'MODELS', 'MCP SERVERS', 'EXPIRES', 'SPEND', 'LIMITS', 'BLOCKED'],
      rows.map((row) => [
        row.alias ?? '-',
        row.declaredByHash ? `${row.key} (by hash)` : row.key,
        row.models.length ? row.models.join(',') : 'all',
        [
          ...row.mcpServers.map((server) => (row.mcpTools[server] ? `${server}[${row.mcpTools[server].join('|')}]` : server)),
          ...row.mcpGroups.map((group) => `group:${group}`),
        ].join(',') || 'NONE',
        row.expires?.slice(0, 10) ?? 'never',
        row.budget !== null ? `${row.spend.toFixed(2)}/${row.budget}${row.budgetDuration ? ` per ${row.budgetDuration}` : ''}` : row.spend.toFixed(2),
        limitsText(row),
        row.blocked ? 'yes' : 'no',
      ]),
    ),
  );
  const ungranted = rows.filter((row) => row.mcpServers.length === 0 && row.mcpGroups.length === 0);
  for (const row of ungranted)
    ctx.ui.warn(`${row.alias ?? row.key} has no MCP grant: it sees no MCP server on current LiteLLM (and every server on versions before the change)`);
  if (invalid) throw invalidConfigFailure(invalid, false);
}

export async function keysRevokeCommand(ctx: CommandContext, target: string): Promise<void> {
  const removed = await revokeKey(ctx, target);
  if (ctx.options.json) ctx.ui.json({ revoked: removed });
  else ctx.ui.result(`revoked ${removed} key(s); LiteLLM workers may accept it until their key cache expires (litellm.key_cache_ttl)`);
}

export async function keysRotateCommand(ctx: CommandContext, alias: string, options: CommandOptions<'keys rotate'>): Promise<void> {
  const grace = options.grace ?? '24h';
  // `--grace 0` cuts the old key off at once: the only rotation a schema without LiteLLM's deprecated-token table allows.
  const graceSeconds = grace.trim() === '0' ? 0 : flagDuration('--grace', grace, '24h');
  const until = graceSeconds === 0 ? 'the old key is refused from now on' : `the old key stops working in ${grace}`;
  const { key, secretsFile, secret, redeclared, clients } = await rotateKey(ctx, alias, graceSeconds, Boolean(options.save));
  if (redeclared) ctx.ui.info(`${alias} was declared by its hash: ${redeclared} now declares it by its value, secret: ${secret}`);
  if (secretsFile) ctx.ui.info(`wrote the new key to ${secretsFile} (${secret}); update your clients, ${until}`);
  else ctx.ui.info(`rotated ${alias}: store the new key now; ${until}`);
  if (clients.length > 0) ctx.ui.info(`client configs here that hold the old key, and the command that updates each:\n  ${clients.join('\n  ')}`);
  else ctx.ui.info('no client config on this machine holds the old key: update the clients on other machines before it stops working');
  if (ctx.options.json) ctx.deps.stdout.write(`${JSON.stringify({ alias, key, graceSeconds, clients }, null, 2)}\n`);
  else ctx.deps.stdout.write(`${key}\n`);
}

export async function keysSyncCommand(ctx: CommandContext, options: CommandOptions<'keys sync'>): Promise<void> {
  const dryRun = Boolean(options.dryRun);
  const { changes, migrated, closedRoutes } = await syncKeys(ctx, dryRun);
  // Like litellm-as-code's --dry-run, a dry run that finds drift exits 1, so it can gate CI.
  const drift = changes.filter((change) => change.action !== 'keep');
  const pending = dryRun && (drift.length > 0 || migrated > 0 || closedRoutes > 0);
  const driftFailure = () =>
    new ReportedFailure(
      `${drift.length + (migrated > 0 ? 1 : 0) + (closedRoutes > 0 ? 1 : 0)} key change(s) pending: the database differs from mcpgw.yaml`,
      'run `mcpgw keys sync` to apply them',
    );
  if (ctx.options.json) {
    ctx.ui.json({
      dryRun,
      ok: !pending,
      changes,
      ...(migrated > 0 ? { migratedGrants: migrated } : {}),
      ...(closedRoutes > 0 ? { closedRoutes } : {}),
    });
    if (pending) throw driftFailure();
    return;
  }
  if (migrated > 0) ctx.ui.result(`${dryRun ? 'would move' : 'moved'} ${migrated} grant row(s) from LiteLLM's derived server ids to the pinned ones`);
  if (closedRoutes > 0)
    ctx.ui.result(
      `${dryRun ? 'would close' : 'closed'} LiteLLM's provider pass-through routes to ${closedRoutes} key(s) mcpgw wrote before it set allowed_routes`,
    );
  for (const change of changes) {
    const detail =
      change.action === 'update'
        ? ` (${change.fields.join(', ')})`
        : change.action === 'keep' && change.blocked
          ? ' (blocked in LiteLLM: left blocked; unblock it there if that was not meant)'
          : '';
    ctx.ui.result(`${change.action.padEnd(7)} ${change.alias}${detail}`);
  }
  if (changes.length === 0) ctx.ui.result('no keys are declared in mcpgw.yaml');
  if (dryRun) ctx.ui.result('(dry run: nothing was written)');
  if (pending) throw driftFailure();
}

function limitsText(row: { rpmLimit: number | null; tpmLimit: number | null; maxParallelRequests: number | null }): string {
  const parts = [
    row.rpmLimit !== null ? `${row.rpmLimit} rpm` : '',
    row.tpmLimit !== null ? `${row.tpmLimit} tpm` : '',
    row.maxParallelRequests !== null ? `${row.maxParallelRequests} parallel` : '',
  ];
  return parts.filter(Boolean).join(', ') || '-';
}
