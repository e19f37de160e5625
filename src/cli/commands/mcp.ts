import path from 'node:path';
import { parseConfig } from '../../config/load.js';
import { keySecretName } from '../../config/rules.js';
import { missingSecrets, readSecrets } from '../../config/secrets.js';
import { DockerEngine } from '../../docker/engine.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { serverIds } from '../../keys/desired.js';
import { catalogEntry, containerEndpoint, loadCatalog, packageLabel, runsAs, source } from '../../mcp/catalog.js';
import { planAdd, planRemove, readConfigText, serverEntry, writeConfigText, type AddOptions } from '../../mcp/config-edit.js';
import { litellmAnswers } from '../../gateway/vantage.js';
import { DEFAULT_GATEWAY_TIMEOUT_S, gatewayTools, keyView, type KeyView } from '../../mcp/gateway.js';
import type { Cause } from '../../outcome.js';
import { diagnoseServer } from '../../probe/diagnose.js';
import { serverTargets } from '../../probe/targets.js';
import { serverRows, type ListSources } from '../../mcp/list.js';
import { listenProbe } from '../../mcp/ports.js';
import { missingCommandHint, missingInContainer, runningLiteLLM } from '../../mcp/stdio-check.js';
import { SERVICE_LABEL, STACK_LABEL } from '../../stack/labels.js';
import { buildStackModel, litellmBaseUrl, litellmPlace, litellmService, type StackModel } from '../../stack/model.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';
import { loadStack, type LoadedStack } from '../load-stack.js';
import { withKeyStore } from './keys.js';

export interface McpAddOptions extends AddOptions {
  fromCatalog?: string;
  apply?: boolean;
}

export async function mcpAddCommand(ctx: CommandContext, name: string, options: McpAddOptions): Promise<void> {
  const file = ctx.configFile;
  const text = await readConfigText(file);
  const catalog = options.fromCatalog ? catalogEntry(options.fromCatalog) : undefined;
  const current = parseConfig(text, file);
  // A stack whose images mcpgw builds may have no registry to pull from: it gets the catalog's packaged build.
  const offline = current.litellm.build === 'builtin';
  const packaged = offline && catalog?.packaged !== undefined && options.image === undefined;
  const entry = serverEntry(options, catalog, packaged);
  const plan = await planAdd(text, file, name, entry, listenProbe(current.mcp_bind));
  const model = buildStackModel(plan.config);
  const server = plan.config.mcp_servers[name];
  if (server?.transport === 'stdio' && !server.bridge) await checkCommandInLiteLLM(ctx, model, name);

  await writeConfigText(file, plan.text);

  const secretsFile = path.resolve(path.dirname(file), plan.config.secrets);
  const needed = Object.values(server?.env ?? {});
  const missing = missingSecrets(needed, await readSecrets(secretsFile).catch(() => new Map<string, string>()));
  if (ctx.options.json) ctx.ui.json({ added: name, port: plan.port ?? null, server: plan.config.mcp_servers[name], missingSecrets: missing });
  else ctx.ui.result(`added mcp_servers.${name} to ${file}${plan.port !== undefined ? ` (port ${plan.port})` : ''}`);
  if (missing.length > 0) ctx.ui.warn(`add ${missing.map((secret) => `${secret}=…`).join(', ')} to ${secretsFile} before \`mcpgw up\``);
  // The note tells how the pulled entry runs; the packaged build runs as written above.
  if (catalog?.note && !packaged) ctx.ui.info(`note: ${catalog.note}`);
  if (offline && catalog && options.image === undefined && typeof server?.image === 'string' && !server.build) {
    ctx.ui.warn(`the ${catalog.id} entry pulls ${server.image}, and this stack builds its images: without a registry \`mcpgw up\` cannot start it (give --image a local tag, or set mcp_servers.${name}.build)`);
  } else if (server?.build) {
    ctx.ui.info(`mcpgw up builds its image from ${packageLabel(server.build)}: no registry needed`);
  }
  if (options.apply) {
    const { upCommand } = await import('./up.js');
    await upCommand(ctx, {});
  } else {
    ctx.ui.info(`run \`mcpgw up\` to start it, then grant it to keys (keys: … mcp_servers: [${name}])`);
  }
}

/** A LiteLLM-spawned command must exist in the running LiteLLM container; checked now when it runs, else by `up`. */
async function checkCommandInLiteLLM(ctx: CommandContext, model: StackModel, name: string): Promise<void> {
  const command = model.litellmConfig.mcp_servers[name]?.command;
  let engine: DockerEngine;
  try {
    engine = await DockerEngine.connect(ctx.deps.env);
  } catch {
    ctx.ui.info(`Docker is not reachable: \`mcpgw up\` checks that ${String(command)} exists in the LiteLLM container`);
    return;
  }
  const id = await runningLiteLLM(engine, model);
  if (!id) {
    ctx.ui.info(`LiteLLM is not running: \`mcpgw up\` checks that ${String(command)} exists in its container`);
    return;
  }
  const missing = await missingInContainer(engine, id, [String(command)]);
  if (missing.length > 0) {
    const image = litellmService(model).image;
    throw new UserError(`${String(command)} is not in the LiteLLM container, so LiteLLM cannot spawn ${name} (mcpgw.yaml unchanged)`, missingCommandHint(image));
  }
}

export async function mcpRemoveCommand(ctx: CommandContext, name: string, options: { force?: boolean }): Promise<void> {
  const file = ctx.configFile;
  const plan = planRemove(await readConfigText(file), file, name, Boolean(options.force));
  await writeConfigText(file, plan.text);
  if (ctx.options.json) {
    ctx.ui.json({ removed: name, ungranted: plan.ungranted });
    return;
  }
  ctx.ui.result(`removed mcp_servers.${name} from ${file}`);
  if (plan.ungranted.length > 0) ctx.ui.result(`dropped its grant from key(s) ${plan.ungranted.join(', ')}`);
  ctx.ui.info('run `mcpgw up` to remove its container and sync the keys\' grants');
}

function timeoutSeconds(flag: string | undefined): number {
  return flag === undefined ? DEFAULT_GATEWAY_TIMEOUT_S : flagDuration('--timeout', flag, '300');
}

export async function mcpListCommand(ctx: CommandContext, options: { timeout?: string } = {}): Promise<void> {
  const timeout = timeoutSeconds(options.timeout);
  const stack = await loadStack(ctx);
  const { config } = stack.loaded;
  const notes: string[] = [];
  const sources: ListSources = {};
  let engine: DockerEngine | undefined;
  try {
    engine = await DockerEngine.connect(ctx.deps.env);
    const containers = await engine.listContainers([`${STACK_LABEL}=${config.name}`]);
    sources.containers = new Map(containers.map((container) => [container.labels[SERVICE_LABEL] ?? container.name, container.state]));
  } catch (error) {
    notes.push(`container state unknown: ${(error as Error).message}`);
  }
  if (sources.containers?.get('litellm') === 'running') {
    // One request per server, side by side: LiteLLM's /mcp/ would visit them one after another, and one slow
    // or broken server then costs only its own count.
    ctx.ui.info('asking the gateway for each server\'s tools (LiteLLM starts a session with every server; this can take a while)');
    const base = litellmBaseUrl(stack.model);
    const masterKey = stack.secrets.get(config.litellm.master_key) ?? '';
    const counts = await Promise.all(
      Object.keys(config.mcp_servers).map(async (server) => {
        try {
          return [server, (await gatewayTools(base, masterKey, server, timeout)).length] as const;
        } catch (error) {
          notes.push(`${server}: tool count unknown: ${(error as Error).message}`);
          return [server, null] as const;
        }
      }),
    );
    sources.toolCounts = new Map(counts);
  } else {
    notes.push('tool counts unknown: LiteLLM is not running (`mcpgw up`)');
  }
  try {
    sources.dbGrants = await databaseGrants(ctx, stack, engine);
  } catch (error) {
    notes.push(`key grants from mcpgw.yaml only: LiteLLM's database is not reachable (${(error as Error).message.split('\n')[0]})`);
  }
  const rows = serverRows(config, stack.model, sources);
  // A server LiteLLM lists nothing from is unusable for every client: named with its cause, and exit 1.
  const unusable = sources.toolCounts ? rows.filter((row) => !row.tools).map((row) => row.name) : [];
  const failures = await whyNoTools(ctx, stack, engine, unusable);
  if (ctx.options.json) ctx.ui.json({ servers: rows, notes, failures });
  else {
    ctx.ui.result(
      formatTable(
        ['NAME', 'TRANSPORT', 'RUNS', 'ENDPOINT', 'STATE', 'TOOLS', 'KEYS'],
        rows.map((row) => [row.name, row.transport, row.runs, row.endpoint, row.state, row.tools === null ? '?' : String(row.tools), row.keys.join(',') || '-']),
      ),
    );
    for (const note of notes) ctx.ui.warn(note);
    for (const failure of failures) ctx.ui.warn(`${failure.server}: ${failure.cause}${failure.seen ? ` (${failure.seen})` : ''} (fix: ${failure.fix})`);
  }
  if (failures.length > 0) throw new ReportedFailure(`LiteLLM lists no tools from ${failures.map((failure) => failure.server).join(', ')}`, 'each server above names its cause and fix');
}

/** Why LiteLLM lists no tools from these servers: their containers, and what they answer LiteLLM's own place. */
async function whyNoTools(ctx: CommandContext, stack: LoadedStack, engine: DockerEngine | undefined, servers: string[]): Promise<({ server: string } & Cause)[]> {
  if (servers.length === 0) return [];
  const targets = serverTargets(stack.loaded.config, stack.model).filter((target) => servers.includes(target.name));
  const reach = litellmAnswers(engine, litellmPlace(stack.model), () => ctx.deps.randomBytes(4).toString('hex'), targets.flatMap((target) => (target.endpoint ? [target.endpoint] : [])));
  const explained = await Promise.all(targets.map(async (target) => (await diagnoseServer(target, engine, (server) => reach(server.name), litellmService(stack.model).containerName)).map((cause) => ({ server: target.name, ...cause }))));
  return explained.flat();
}

/** Server name → aliases of keys in LiteLLM's database that grant it (by the stable server id). */
async function databaseGrants(ctx: CommandContext, stack: LoadedStack, engine: DockerEngine | undefined): Promise<Map<string, string[]>> {
  const rows = await withKeyStore(ctx, stack, (store) => store.list(), engine ? async () => engine : undefined);
  const names = new Map([...serverIds(stack.model)].map(([name, id]) => [id, name]));
  const grants = new Map<string, string[]>();
  for (const row of rows) {
    for (const id of row.mcpServers) {
      const server = names.get(id);
      if (server) grants.set(server, [...(grants.get(server) ?? []), row.alias ?? row.keyName]);
    }
  }
  return grants;
}

export async function mcpToolsCommand(ctx: CommandContext, name: string | undefined, options: { key?: string; timeout?: string }): Promise<void> {
  const timeout = timeoutSeconds(options.timeout);
  const stack = await loadStack(ctx);
  const { config } = stack.loaded;
  if (name !== undefined && !config.mcp_servers[name]) {
    throw new UserError(`mcpgw.yaml has no MCP server "${name}"`, `declared servers: ${Object.keys(config.mcp_servers).join(', ') || 'none'}`);
  }
  const { key, as } = resolveKey(stack, options.key);
  ctx.ui.addSecrets([key]);
  const base = litellmBaseUrl(stack.model);
  const view: KeyView = name
    ? { listings: [{ server: name, tools: await gatewayTools(base, key, name, timeout) }], failures: [] }
    : await keyView(base, key, Object.keys(config.mcp_servers), timeout);
  if (name && view.listings[0]?.tools.length === 0) view.failures.push({ server: name, message: `LiteLLM lists no tools from ${name}` });
  // An empty or failed listing is explained from LiteLLM's own place on the network (container, transport, Host…).
  const engine = view.failures.length > 0 ? await DockerEngine.connect(ctx.deps.env).catch(() => undefined) : undefined;
  const causes = await whyNoTools(ctx, stack, engine, view.failures.map((failure) => failure.server));
  for (const failure of view.failures) {
    const found = causes.filter((cause) => cause.server === failure.server);
    if (found.length > 0) failure.hint = found.map((cause) => `${cause.cause}; fix: ${cause.fix}`).join('; ');
  }
  view.listings = view.listings.filter((listing) => listing.tools.length > 0);
  const tools = view.listings.flatMap((listing) => listing.tools);
  if (ctx.options.json) {
    ctx.ui.json({ server: name ?? null, as, tools, failures: view.failures });
  } else {
    if (as === 'master key') ctx.ui.info('listing as the master key, which sees every server; pass --key ALIAS|sk-… to see what a client sees');
    if (tools.length > 0) ctx.ui.result(formatTable(['TOOL', 'INPUTS', 'DESCRIPTION'], tools.map((tool) => [tool.name, tool.inputs, tool.description])));
    else if (view.failures.length === 0) {
      ctx.ui.warn(`${as} sees no tools${name ? ` on ${name}` : ''}: is the server granted to it (keys: mcp_servers) and running (\`mcpgw mcp list\`)?`);
    }
    for (const failure of view.failures) ctx.ui.warn(`${failure.server}: ${failure.message}${failure.hint ? ` (${failure.hint})` : ''}`);
  }
  if (view.failures.length > 0) {
    throw new ReportedFailure(
      `the tools of ${view.failures.map((failure) => failure.server).join(', ')} could not be listed for ${as}`,
      `a client with this key would not see them either; \`mcpgw probe --server ${view.failures[0]?.server}\` says why`,
    );
  }
}

/** --key takes a key value (sk-…) or the alias of a key declared in mcpgw.yaml (its value from the secrets file). */
function resolveKey(stack: LoadedStack, flag: string | undefined): { key: string; as: string } {
  const { config } = stack.loaded;
  if (flag === undefined) return { key: stack.secrets.get(config.litellm.master_key) ?? '', as: 'master key' };
  if (flag.startsWith('sk-')) return { key: flag, as: 'the given key' };
  const declared = config.keys.find((entry) => entry.alias === flag);
  if (!declared) throw new UserError(`"${flag}" is neither a key (sk-…) nor a key alias declared in mcpgw.yaml`, `declared aliases: ${config.keys.map((entry) => entry.alias).join(', ') || 'none'}`);
  const secret = declared.secret ?? keySecretName(flag);
  const value = stack.secrets.get(secret);
  if (!value) throw new UserError(`${stack.loaded.secretsFile} has no ${secret} (the key of ${flag})`, 'run `mcpgw up` or `mcpgw keys sync` to create declared keys, or pass the key itself');
  return { key: value, as: `key ${flag}` };
}

export async function mcpCatalogCommand(ctx: CommandContext): Promise<void> {
  const catalog = loadCatalog();
  if (ctx.options.json) {
    ctx.ui.json({ catalog });
    return;
  }
  ctx.ui.result(
    formatTable(
      ['ENTRY', 'RUNS AS', 'IMAGE / PACKAGE', 'LISTENS', 'PROBE', 'SECRETS'],
      catalog.map((entry) => [entry.id, runsAs(entry.server), source(entry), containerEndpoint(entry.server), entry.probe.tool, entry.secrets.join(',') || '-']),
    ),
  );
  ctx.ui.result('');
  for (const entry of catalog.filter((candidate) => candidate.build)) ctx.ui.result(`${entry.id}: build ${entry.build?.image} first; mcp add --from-catalog ${entry.id} prints how`);
  for (const entry of catalog) {
    if (entry.packaged) ctx.ui.result(`${entry.id}: where litellm.build is builtin, mcp add builds it from ${packageLabel(entry.packaged.build)}`);
  }
  ctx.ui.result('add one with: mcpgw mcp add NAME --from-catalog ENTRY [--image IMG] [--port 48xxx]');
}
