import path from 'node:path';
import { parseConfig } from '../config/load.js';
import type { McpServerConfig } from '../config/schema.js';
import { missingSecrets, readSecrets } from '../config/secrets.js';
import type { Engine } from '../docker/engine.js';
import { UserError } from '../errors.js';
import { litellmAnswers } from '../gateway/vantage.js';
import { aliasKeyValue } from '../keys/declaration.js';
import { serverIds } from '../keys/desired.js';
import { catalogEntry, type CatalogEntry } from '../mcp/catalog.js';
import { planAdd, planRemove, readConfigText, serverEntry, writeConfigText, type AddOptions } from '../mcp/config-edit.js';
import { gatewayTools, keyView, type GatewayTool, type KeyView } from '../mcp/gateway.js';
import { serverRows, type ListSources, type ServerRow } from '../mcp/list.js';
import { listenProbe } from '../mcp/ports.js';
import { missingCommandHint, missingInContainer, runningLiteLLM } from '../mcp/stdio-check.js';
import type { Cause } from '../outcome.js';
import { diagnoseServer } from '../probe/diagnose.js';
import { serverTargets } from '../probe/targets.js';
import { SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import { buildStackModel, litellmBaseUrl, litellmPlace, litellmService, mcpServerService, spawnedInLiteLLM, type StackModel } from '../stack/model.js';
import type { OpContext } from './context.js';
import { withKeyStore } from './key-store.js';
import { loadStack, type LoadedStack } from './stack.js';
import { refuseOnSwarm } from './swarm-target.js';

export interface AddServerRequest extends AddOptions {
  fromCatalog?: string;
}

export interface AddedServer {
  file: string;
  /** mcpgw.yaml byte for byte as it was before the server was added, for `restoreConfig` when `--apply` fails. */
  previousText: string;
  /** What addServer wrote. */
  text: string;
  port?: number;
  server: McpServerConfig | undefined;
  catalog?: CatalogEntry;
  /** The catalog entry's note, with this server's container named where it says `<stack>-mcp-<server>`. */
  note?: string;
  /** The catalog's packaged build was written, because this stack builds its images (no registry needed). */
  packaged: boolean;
  /** litellm.build is builtin: the stack's images come from package registries. */
  offline: boolean;
  secretsFile: string;
  /** Secrets the server's env names that the secrets file lacks. */
  missing: string[];
}

/** How a catalog note names the container of the server it describes, before it has a name. */
const CONTAINER_PLACEHOLDER = '<stack>-mcp-<server>';

/** Adds mcp_servers.NAME to mcpgw.yaml (comments kept); a LiteLLM-spawned command is checked first when it can be. */
export async function addServer(ctx: OpContext, name: string, request: AddServerRequest): Promise<AddedServer> {
  const file = ctx.configFile;
  const text = await readConfigText(file);
  const catalog = request.fromCatalog ? catalogEntry(request.fromCatalog) : undefined;
  const current = parseConfig(text, file);
  // A stack whose images mcpgw builds may have no registry to pull from: it gets the catalog's packaged build.
  const offline = current.litellm.build === 'builtin';
  const packaged = offline && catalog?.packaged !== undefined && request.image === undefined;
  const entry = serverEntry(request, catalog, packaged);
  const plan = await planAdd(text, file, name, entry, listenProbe(current.mcp_bind));
  const model = buildStackModel(plan.config);
  const server = plan.config.mcp_servers[name];
  if (server && spawnedInLiteLLM(server)) await checkCommandInLiteLLM(ctx, model, name);

  await writeConfigText(file, plan.text);

  const secretsFile = path.resolve(path.dirname(file), plan.config.secrets);
  const missing = missingSecrets(Object.values(server?.env ?? {}), await readSecrets(secretsFile).catch(() => new Map<string, string>()));
  return {
    file,
    previousText: text,
    text: plan.text,
    ...(plan.port !== undefined ? { port: plan.port } : {}),
    server,
    ...(catalog ? { catalog } : {}),
    ...(catalog?.note ? { note: catalog.note.replaceAll(CONTAINER_PLACEHOLDER, mcpServerService(model, name)?.containerName ?? CONTAINER_PLACEHOLDER) } : {}),
    packaged,
    offline,
    secretsFile,
    missing,
  };
}

/**
 * Puts mcpgw.yaml back as it was before `addServer`, unless it was edited since (then the user's edit wins and the
 * answer is false): an `mcp add --apply` whose `up` failed leaves no half-added server behind.
 */
export async function restoreConfig(added: Pick<AddedServer, 'file' | 'previousText' | 'text'>): Promise<boolean> {
  if ((await readConfigText(added.file)) !== added.text) return false;
  await writeConfigText(added.file, added.previousText);
  return true;
}

/** A LiteLLM-spawned command must exist in the running LiteLLM container; checked now when it runs, else by `up`. */
async function checkCommandInLiteLLM(ctx: OpContext, model: StackModel, name: string): Promise<void> {
  const command = model.litellmConfig.mcp_servers[name]?.command;
  let engine: Engine;
  try {
    engine = await ctx.deps.docker();
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
    throw new UserError(
      `${String(command)} is not in the LiteLLM container, so LiteLLM cannot spawn ${name} (mcpgw.yaml unchanged)`,
      missingCommandHint(litellmService(model).image),
    );
  }
}

/** Removes mcp_servers.NAME and its grants from mcpgw.yaml; returns the keys that lost a grant. */
export async function removeServer(ctx: OpContext, name: string, force: boolean): Promise<{ file: string; ungranted: string[] }> {
  const file = ctx.configFile;
  const plan = planRemove(await readConfigText(file), file, name, force);
  await writeConfigText(file, plan.text);
  return { file, ungranted: plan.ungranted };
}

export type ServerFailure = { server: string } & Cause;

export interface ServerList {
  servers: ServerRow[];
  notes: string[];
  /** Servers LiteLLM lists no tools from, each with its cause. */
  failures: ServerFailure[];
}

/** Every declared server: how it runs, its container's state, the tools LiteLLM lists, the keys granting it. */
export async function listServers(ctx: OpContext, timeoutSeconds: number): Promise<ServerList> {
  const stack = await loadStack(ctx);
  const { config } = stack.loaded;
  refuseOnSwarm(config, 'mcp list', '`mcpgw probe` proves every server through the front door and on each replica; `mcpgw mcp tools` lists what a key sees');
  const notes: string[] = [];
  const sources: ListSources = {};
  let engine: Engine | undefined;
  try {
    engine = await ctx.deps.docker();
    const containers = await engine.listContainers([`${STACK_LABEL}=${config.name}`]);
    sources.containers = new Map(containers.map((container) => [container.labels[SERVICE_LABEL] ?? container.name, container.state]));
  } catch (error) {
    notes.push(`container state unknown: ${(error as Error).message}`);
  }
  if (sources.containers?.get('litellm') === 'running') {
    // One request per server, side by side: LiteLLM's /mcp/ would visit them one after another, and one slow
    // or broken server then costs only its own count.
    ctx.ui.info("asking the gateway for each server's tools (LiteLLM starts a session with every server; this can take a while)");
    const base = litellmBaseUrl(stack.model);
    const masterKey = stack.secrets.get(config.litellm.master_key) ?? '';
    const counts = await Promise.all(
      Object.keys(config.mcp_servers).map(async (server) => {
        try {
          return [server, (await gatewayTools(base, masterKey, server, timeoutSeconds)).length] as const;
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
  const servers = serverRows(config, stack.model, sources);
  // A server LiteLLM lists nothing from is unusable for every client: named with its cause.
  const unusable = sources.toolCounts ? servers.filter((row) => !row.tools).map((row) => row.name) : [];
  return { servers, notes, failures: await whyNoTools(ctx, stack, engine, unusable) };
}

/** Why LiteLLM lists no tools from these servers: their containers, and what they answer LiteLLM's own place. */
async function whyNoTools(ctx: OpContext, stack: LoadedStack, engine: Engine | undefined, servers: string[]): Promise<ServerFailure[]> {
  if (servers.length === 0) return [];
  const targets = serverTargets(stack.loaded.config, stack.model).filter((target) => servers.includes(target.name));
  const reach = litellmAnswers(
    engine,
    litellmPlace(stack.model),
    () => ctx.deps.randomBytes(4).toString('hex'),
    targets.flatMap((target) => (target.endpoint ? [target.endpoint] : [])),
  );
  const litellm = litellmService(stack.model).containerName;
  const explained = await Promise.all(
    targets.map(async (target) =>
      (await diagnoseServer(target, engine, (server) => reach(server.name), litellm)).map((cause) => ({ server: target.name, ...cause })),
    ),
  );
  return explained.flat();
}

/** Server name → aliases of keys in LiteLLM's database that grant it (by the stable server id). */
async function databaseGrants(ctx: OpContext, stack: LoadedStack, engine: Engine | undefined): Promise<Map<string, string[]>> {
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

export interface ToolsView {
  /** Whose view it is: 'master key', 'the given key', 'key ALIAS'. */
  as: string;
  tools: GatewayTool[];
  failures: KeyView['failures'];
}

/** The tools a key sees through the gateway (one server, or all); an empty or failed listing is explained. */
export async function serverTools(ctx: OpContext, name: string | undefined, keyFlag: string | undefined, timeoutSeconds: number): Promise<ToolsView> {
  const stack = await loadStack(ctx);
  const { config } = stack.loaded;
  if (name !== undefined && !config.mcp_servers[name]) {
    throw new UserError(`mcpgw.yaml has no MCP server "${name}"`, `declared servers: ${Object.keys(config.mcp_servers).join(', ') || 'none'}`);
  }
  const { key, as } = resolveKey(stack, keyFlag);
  ctx.ui.addSecrets([key]);
  const base = litellmBaseUrl(stack.model);
  const view: KeyView = name
    ? { listings: [{ server: name, tools: await gatewayTools(base, key, name, timeoutSeconds) }], failures: [] }
    : await keyView(base, key, Object.keys(config.mcp_servers), timeoutSeconds);
  if (name && view.listings[0]?.tools.length === 0) view.failures.push({ server: name, message: `LiteLLM lists no tools from ${name}` });
  // An empty or failed listing is explained from LiteLLM's own place on the network (container, transport, Host…).
  const engine = view.failures.length > 0 ? await ctx.deps.docker().catch(() => undefined) : undefined;
  const causes = await whyNoTools(
    ctx,
    stack,
    engine,
    view.failures.map((failure) => failure.server),
  );
  for (const failure of view.failures) {
    const found = causes.filter((cause) => cause.server === failure.server);
    if (found.length > 0) failure.hint = found.map((cause) => `${cause.cause}; fix: ${cause.fix}`).join('; ');
  }
  const tools = view.listings.filter((listing) => listing.tools.length > 0).flatMap((listing) => listing.tools);
  return { as, tools, failures: view.failures };
}

/** --key takes a key value (sk-…) or the alias of a key mcpgw keeps (declared in mcpgw.yaml, or saved by `keys create --save`). */
function resolveKey(stack: LoadedStack, flag: string | undefined): { key: string; as: string } {
  const { config, secretsFile } = stack.loaded;
  if (flag === undefined) return { key: stack.secrets.get(config.litellm.master_key) ?? '', as: 'master key' };
  if (flag.startsWith('sk-')) return { key: flag, as: 'the given key' };
  return { key: aliasKeyValue(config, stack.secrets, secretsFile, flag).value, as: `key ${flag}` };
}
