import os from 'node:os';
import { CLIENTS } from '../../clients/index.js';
import { checkUrl, declaredKeyValue, gatewayUrl } from '../../clients/gateway.js';
import type { ClientId, Scope } from '../../clients/types.js';
import { writeConfigFile } from '../../clients/write.js';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { hostWarning } from '../../config/host.js';
import { UserError } from '../../errors.js';
import { readIfExists } from '../../fs.js';
import { refuseMasterKey, validateKey, weakKeyWarning } from '../../keys/token.js';
import { readSecrets } from '../../config/secrets.js';
import type { CommandContext } from '../context.js';

export interface ClientConfigOptions {
  key?: string;
  keyAlias?: string;
  url?: string;
  name: string;
  scope?: Scope;
  write?: boolean;
}

export async function clientConfigCommand(ctx: CommandContext, client: ClientId, options: ClientConfigOptions): Promise<void> {
  const format = CLIENTS[client];
  if (options.key !== undefined && options.keyAlias !== undefined) throw new UserError('--key and --key-alias both given', 'pass one of them');
  if (options.key !== undefined) {
    ctx.ui.addSecrets([options.key]);
    validateKey(options.key, '--key');
  }
  if (!/^[A-Za-z0-9_-]+$/.test(options.name)) throw new UserError(`--name ${options.name} is not a valid server name`, 'use letters, digits, "_" and "-" (VS Code and Codex accept no others)');
  const scope = options.scope ?? format.defaultScope;
  if (!format.scopes.includes(scope)) throw new UserError(`${format.title} has no ${scope} scope`, `use --scope ${format.scopes.join(' or ')}`);

  // mcpgw.yaml is needed only for what the flags do not give: the URL, or a key named by alias. When it exists,
  // its lan_only applies to --url as doctor would apply it to the written file.
  let loaded: LoadedConfig | undefined;
  const config = async () => (loaded ??= await loadConfig(ctx.configFile));
  const lanOnly = options.url !== undefined && (await readIfExists(ctx.configFile, 'mcpgw.yaml file')) !== undefined ? (await config()).config.lan_only : undefined;
  const notes: string[] = [];
  const url =
    options.url !== undefined
      ? checkUrl(options.url, { ...(lanOnly !== undefined ? { lanOnly } : {}), warn: (line) => ctx.ui.warn(line), note: (line) => notes.push(line) })
      : gatewayUrl(await config());
  if (options.url === undefined) {
    const warning = hostWarning((await config()).config.host);
    if (warning) ctx.ui.warn(warning);
  }
  const key = options.keyAlias !== undefined ? await declaredKeyValue(await config(), options.keyAlias) : options.key;
  if (key) ctx.ui.addSecrets([key]);
  if (options.key !== undefined) {
    // A master key pasted as --key: refused when this folder's stack can tell (its secrets file is readable).
    if ((await readIfExists(ctx.configFile, 'mcpgw.yaml file')) !== undefined) {
      const loadedConfig = await config();
      const secrets = await readSecrets(loadedConfig.secretsFile).catch(() => undefined);
      refuseMasterKey(options.key, secrets?.get(loadedConfig.config.litellm.master_key), '--key');
    }
  }
  const weak = key ? weakKeyWarning(key, options.key !== undefined ? '--key' : `the key for ${options.keyAlias}`) : undefined;
  if (weak) ctx.ui.warn(weak);

  const planned = format.plan({ name: options.name, url, key, scope, home: ctx.deps.env.HOME ?? os.homedir(), cwd: ctx.deps.cwd, platform: process.platform, env: ctx.deps.env });
  const plan = { ...planned, notes: [...notes, ...planned.notes] };

  if (!options.write) {
    // The configuration is the result the user asked for, key included: written as it is, not redacted.
    if (ctx.options.json) ctx.deps.stdout.write(`${JSON.stringify({ client, scope, url, file: plan.target?.file ?? null, snippet: plan.snippet, envVar: plan.envVar ?? null, notes: plan.notes }, null, 2)}\n`);
    else ctx.deps.stdout.write(`${plan.snippet}\n`);
    if (!ctx.options.json) for (const note of plan.notes) ctx.ui.info(`note: ${note}`);
    return;
  }

  if (!plan.target) throw new UserError(`${format.title} keeps its connections in its own database: there is no file to write`, `run without --write and follow the printed steps`);
  if (plan.target.holdsKey && key === undefined) throw new UserError(`${plan.target.file} holds the key itself: mcpgw needs it to write the file`, 'pass --key-alias ALIAS (a key from mcpgw.yaml) or --key sk-…');
  const result = await writeConfigFile(plan.target.file, plan.target.edit, { now: new Date(ctx.deps.clock.now()), newFileMode: plan.target.holdsKey ? 0o600 : 0o644, holdsKey: plan.target.holdsKey });
  if (result.tightenedFrom !== undefined) {
    plan.notes.unshift(`${result.file} was mode ${result.tightenedFrom.toString(8).padStart(4, '0')}, readable by other users; it holds the key, so it is now 0600`);
  }
  if (ctx.options.json) {
    ctx.ui.json({ client, scope, url, file: result.file, action: result.action, backup: result.backup ?? null, envVar: plan.envVar ?? null, notes: plan.notes });
    return;
  }
  ctx.ui.result(`${result.action} ${result.file}${result.backup ? ` (previous version kept as ${result.backup})` : ''}`);
  for (const note of plan.notes) ctx.ui.info(`note: ${note}`);
}
