import { CLIENTS } from '../../clients/index.js';
import type { ClientId } from '../../clients/types.js';
import { UserError } from '../../errors.js';
import { validateKey } from '../../keys/token.js';
import { OPENWEBUI_TOKEN_VAR } from '../../clients/openwebui.js';
import { configureClient } from '../../ops/client-config.js';
import { applyOpenWebui } from '../../ops/openwebui-apply.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { keyInput } from '../key-input.js';

type ClientConfigOptions = CommandOptions<'client-config'>;

/** `--apply` checked at the boundary: only for Open WebUI, never with --write, an absolute http(s) URL. */
function applyTarget(client: ClientId, options: ClientConfigOptions): string | undefined {
  if (options.apply === undefined) return undefined;
  if (client !== 'openwebui') throw new UserError(`--apply is for openwebui only (got ${client})`, `use --write for ${CLIENTS[client].title}`);
  if (options.write) throw new UserError('--apply and --write both given', 'Open WebUI has no file: pass --apply alone');
  let url: URL | undefined;
  try {
    url = new URL(options.apply);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    throw new UserError(
      `--apply ${options.apply} is not an http(s) URL without credentials`,
      `give Open WebUI's address, e.g. http://webui.lan:8080 (the token goes in ${OPENWEBUI_TOKEN_VAR})`,
    );
  return url.href;
}

export async function clientConfigCommand(ctx: CommandContext, client: ClientId, options: ClientConfigOptions): Promise<void> {
  const format = CLIENTS[client];
  if ((options.key !== undefined || options.keyFile !== undefined) && options.keyAlias !== undefined)
    throw new UserError(`${options.key !== undefined ? '--key' : '--key-file'} and --key-alias both given`, 'pass one of them');
  // A declared alias names its key in the secrets file; MCPGW_KEY is only asked when no alias is.
  const key = options.keyAlias === undefined ? await keyInput(ctx, options) : undefined;
  if (key !== undefined) validateKey(key, options.key !== undefined ? '--key' : '--key-file');
  if (!/^[A-Za-z0-9_-]+$/.test(options.name))
    throw new UserError(`--name ${options.name} is not a valid server name`, 'use letters, digits, "_" and "-" (VS Code and Codex accept no others)');
  const scope = options.scope ?? format.defaultScope;
  if (!format.scopes.includes(scope)) throw new UserError(`${format.title} has no ${scope} scope`, `use --scope ${format.scopes.join(' or ')}`);

  const apply = applyTarget(client, options);

  const request = { keyAlias: options.keyAlias, url: options.url, name: options.name, scope, ...(key !== undefined ? { key } : {}) };
  if (apply !== undefined) {
    const outcome = await applyOpenWebui(ctx, apply, request);
    if (ctx.options.json) {
      ctx.ui.json({ client, ...outcome });
      return;
    }
    const tools = `${outcome.tools.length} tool${outcome.tools.length === 1 ? '' : 's'}`;
    ctx.ui.result(
      outcome.action === 'unchanged'
        ? `Open WebUI at ${outcome.openWebui} already has connection ${options.name} → ${outcome.url}: nothing changed (verified there: ${tools})`
        : `${outcome.action} connection ${options.name} → ${outcome.url} in Open WebUI at ${outcome.openWebui} (verified there: ${tools})`,
    );
    return;
  }
  const { url, plan, written } = await configureClient(ctx, client, { ...request, write: Boolean(options.write) });
  if (!written) {
    // The configuration is the result the user asked for, key included: written as it is, not redacted.
    if (ctx.options.json)
      ctx.deps.stdout.write(
        `${JSON.stringify({ client, scope, url, file: plan.target?.file ?? null, snippet: plan.snippet, envVar: plan.envVar ?? null, notes: plan.notes }, null, 2)}\n`,
      );
    else ctx.deps.stdout.write(`${plan.snippet}\n`);
    if (!ctx.options.json) for (const note of plan.notes) ctx.ui.info(`note: ${note}`);
    return;
  }
  const result = written;
  if (ctx.options.json) {
    ctx.ui.json({
      client,
      scope,
      url,
      file: result.file,
      action: result.action,
      backup: result.backup ?? null,
      envVar: plan.envVar ?? null,
      notes: plan.notes,
    });
    return;
  }
  ctx.ui.result(`${result.action} ${result.file}${result.backup ? ` (previous version kept as ${result.backup})` : ''}`);
  for (const note of plan.notes) ctx.ui.info(`note: ${note}`);
}
