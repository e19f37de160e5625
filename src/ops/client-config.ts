import { checkUrl, declaredKeyValue, gatewayUrl } from '../clients/gateway.js';
import { CLIENTS } from '../clients/index.js';
import { clientPlace } from '../clients/servers.js';
import type { ClientId, ClientPlan, Scope } from '../clients/types.js';
import { writeConfigFile, type WriteResult } from '../clients/write.js';
import { hostWarning } from '../config/host.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { readSecrets } from '../config/secrets.js';
import { UserError } from '../errors.js';
import { readIfExists } from '../fs.js';
import { refuseMasterKey, weakKeyWarning } from '../keys/token.js';
import type { OpContext } from './context.js';

export interface ClientConfigRequest {
  /** A key given as it is (already checked as a key). */
  key?: string;
  /** The alias of a key declared in mcpgw.yaml. */
  keyAlias?: string;
  url?: string;
  /** The server's name in the client's config. */
  name: string;
  scope: Scope;
  write: boolean;
}

export interface ClientConfigOutcome {
  url: string;
  /** The key the plan carries (already registered as a secret), for a use case that sends it on. */
  key?: string;
  plan: ClientPlan;
  /** Present when the file was written. */
  written?: WriteResult;
}

/** One client's connection to the gateway: the snippet, or the client's file edited in place (a backup kept). */
export async function configureClient(ctx: OpContext, client: ClientId, options: ClientConfigRequest): Promise<ClientConfigOutcome> {
  const format = CLIENTS[client];
  const { scope } = options;
  // mcpgw.yaml is needed only for what the flags do not give: the URL, or a key named by alias. When it exists,
  // its lan_only applies to --url as doctor would apply it to the written file.
  let loaded: LoadedConfig | undefined;
  const config = async () => (loaded ??= await loadConfig(ctx.configFile));
  const lanOnly =
    options.url !== undefined && (await readIfExists(ctx.configFile, 'mcpgw.yaml file')) !== undefined ? (await config()).config.lan_only : undefined;
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

  const planned = format.plan({ name: options.name, url, key, scope, ...clientPlace(ctx.deps.env, ctx.deps.cwd) });
  const plan = { ...planned, notes: [...notes, ...planned.notes] };

  if (!options.write) return { url, plan, ...(key !== undefined ? { key } : {}) };

  if (!plan.target)
    throw new UserError(
      `${format.title} keeps its connections in its own database: there is no file to write`,
      `run without --write and follow the printed steps`,
    );
  if (plan.target.holdsKey && key === undefined)
    throw new UserError(
      `${plan.target.file} holds the key itself: mcpgw needs it to write the file`,
      'pass --key-alias ALIAS (a key from mcpgw.yaml) or --key sk-…',
    );
  const result = await writeConfigFile(plan.target.file, plan.target.edit, {
    now: new Date(ctx.deps.clock.now()),
    newFileMode: plan.target.holdsKey ? 0o600 : 0o644,
    holdsKey: plan.target.holdsKey,
  });
  if (result.tightenedFrom !== undefined) {
    plan.notes.unshift(
      `${result.file} was mode ${result.tightenedFrom.toString(8).padStart(4, '0')}, readable by other users; it holds the key, so it is now 0600`,
    );
  }
  return { url, plan, written: result };
}
