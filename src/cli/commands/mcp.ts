import { ReportedFailure } from '../../errors.js';
import { DEFAULT_GATEWAY_TIMEOUT_S } from '../../mcp/gateway.js';
import { containerEndpoint, loadCatalog, packageLabel, runsAs, source } from '../../mcp/catalog.js';
import { addServer, listServers, removeServer, restoreConfig, serverTools, type AddedServer } from '../../ops/mcp.js';
import { upStack } from '../../ops/up.js';
import { formatTable } from '../../ui/table.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';
import { keyInput } from '../key-input.js';
import { reportUp } from '../format/up.js';

export async function mcpAddCommand(ctx: CommandContext, name: string, options: CommandOptions<'mcp add'>): Promise<void> {
  const added = await addServer(ctx, name, {
    transport: options.transport,
    image: options.image,
    npm: options.npm,
    pypi: options.pypi,
    apt: options.apt,
    command: options.command,
    args: options.args,
    url: options.url,
    bridge: options.bridge,
    insideLitellm: options.insideLitellm,
    port: options.port,
    containerPort: options.containerPort,
    path: options.path,
    env: options.env,
    allowedTools: options.allowedTools,
    group: options.group,
    description: options.description,
    fromCatalog: options.fromCatalog,
  });
  const { server, catalog } = added;
  if (ctx.options.json) ctx.ui.json({ added: name, port: added.port ?? null, server: server, missingSecrets: added.missing });
  else ctx.ui.result(`added mcp_servers.${name} to ${added.file}${added.port !== undefined ? ` (port ${added.port})` : ''}`);
  if (added.missing.length > 0) ctx.ui.warn(`add ${added.missing.map((secret) => `${secret}=…`).join(', ')} to ${added.secretsFile} before \`mcpgw up\``);
  // The note tells how the pulled entry runs; the packaged build runs as written above.
  if (added.note && !added.packaged) ctx.ui.info(`note: ${added.note}`);
  if (added.offline && catalog && options.image === undefined && typeof server?.image === 'string' && !server.build) {
    ctx.ui.warn(
      `the ${catalog.id} entry pulls ${server.image}, and this stack builds its images: without a ` +
        `registry \`mcpgw up\` cannot start it (give --image a local tag, or set mcp_servers.${name}.build)`,
    );
  } else if (server?.build) {
    ctx.ui.info(`mcpgw up builds its image from ${packageLabel(server.build)}: no registry needed`);
  }
  if (options.apply) await applyAdded(ctx, name, added);
  else ctx.ui.info(`run \`mcpgw up\` to start it, then grant it to keys (keys: … mcp_servers: [${name}])`);
}

/**
 * `--apply`: runs `up`. When up fails before the stack runs (a config, image or start-up error), mcpgw.yaml goes
 * back byte for byte to what it was, so no broken server stays declared; once up has run and only the probe fails,
 * the server is running and stays, and the way to drop it is said.
 */
async function applyAdded(ctx: CommandContext, name: string, added: AddedServer): Promise<void> {
  let outcome: Awaited<ReturnType<typeof upStack>>;
  try {
    outcome = await upStack(ctx, {});
  } catch (error) {
    if (await restoreConfig(added))
      ctx.ui.warn(`\`up\` failed: ${added.file} is back as it was before mcp_servers.${name} was added (a container up started for it goes at the next up)`);
    else ctx.ui.warn(`\`up\` failed, and ${added.file} was edited meanwhile, so it was kept: \`mcpgw mcp remove ${name}\` drops the server`);
    throw error;
  }
  try {
    reportUp(ctx, outcome);
  } catch (error) {
    ctx.ui.warn(`mcp_servers.${name} stays in ${added.file}, started; if it is what fails, \`mcpgw mcp remove ${name}\` then \`mcpgw up\` drop it`);
    throw error;
  }
}

export async function mcpRemoveCommand(ctx: CommandContext, name: string, options: CommandOptions<'mcp remove'>): Promise<void> {
  const { file, ungranted } = await removeServer(ctx, name, Boolean(options.force));
  if (ctx.options.json) {
    ctx.ui.json({ removed: name, ungranted });
    return;
  }
  ctx.ui.result(`removed mcp_servers.${name} from ${file}`);
  if (ungranted.length > 0) ctx.ui.result(`dropped its grant from key(s) ${ungranted.join(', ')}`);
  ctx.ui.info("run `mcpgw up` to remove its container and sync the keys' grants");
}

function timeoutSeconds(flag: string | undefined): number {
  return flag === undefined ? DEFAULT_GATEWAY_TIMEOUT_S : flagDuration('--timeout', flag, '300');
}

export async function mcpListCommand(ctx: CommandContext, options: CommandOptions<'mcp list'>): Promise<void> {
  const { servers, notes, failures } = await listServers(ctx, timeoutSeconds(options.timeout));
  if (ctx.options.json) ctx.ui.json({ servers, notes, failures });
  else {
    ctx.ui.result(
      formatTable(
        ['NAME', 'TRANSPORT', 'RUNS', 'ENDPOINT', 'STATE', 'TOOLS', 'KEYS'],
        servers.map((row) => [
          row.name,
          row.transport,
          row.runs,
          row.endpoint,
          row.state,
          row.tools === null ? '?' : String(row.tools),
          row.keys.join(',') || '-',
        ]),
      ),
    );
    for (const note of notes) ctx.ui.warn(note);
    for (const failure of failures) ctx.ui.warn(`${failure.server}: ${failure.cause}${failure.seen ? ` (${failure.seen})` : ''} (fix: ${failure.fix})`);
  }
  if (failures.length > 0)
    throw new ReportedFailure(
      `LiteLLM lists no tools from ${failures.map((failure) => failure.server).join(', ')}`,
      'each server above names its cause and fix',
    );
}

export async function mcpToolsCommand(ctx: CommandContext, name: string | undefined, options: CommandOptions<'mcp tools'>): Promise<void> {
  // An alias names a declared key and is no secret; only a key value is warned about and redacted.
  const key = await keyInput(ctx, options, (value) => value.startsWith('sk-'));
  const { as, tools, failures } = await serverTools(ctx, name, key, timeoutSeconds(options.timeout));
  if (ctx.options.json) {
    ctx.ui.json({ server: name ?? null, as, tools, failures });
  } else {
    if (as === 'master key') ctx.ui.info('listing as the master key, which sees every server; pass --key ALIAS|sk-… to see what a client sees');
    if (tools.length > 0)
      ctx.ui.result(
        formatTable(
          ['TOOL', 'INPUTS', 'DESCRIPTION'],
          tools.map((tool) => [tool.name, tool.inputs, tool.description]),
        ),
      );
    else if (failures.length === 0) {
      ctx.ui.warn(`${as} sees no tools${name ? ` on ${name}` : ''}: is the server granted to it (keys: mcp_servers) and running (\`mcpgw mcp list\`)?`);
    }
    for (const failure of failures) ctx.ui.warn(`${failure.server}: ${failure.message}${failure.hint ? ` (${failure.hint})` : ''}`);
  }
  if (failures.length > 0) {
    throw new ReportedFailure(
      `the tools of ${failures.map((failure) => failure.server).join(', ')} could not be listed for ${as}`,
      `a client with this key would not see them either; \`mcpgw probe --server ${failures[0]?.server}\` says why`,
    );
  }
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
      catalog.map((entry) => [
        entry.id,
        runsAs(entry.server),
        source(entry),
        containerEndpoint(entry.server),
        entry.probe.tool,
        entry.secrets.join(',') || '-',
      ]),
    ),
  );
  ctx.ui.result('');
  for (const entry of catalog.filter((candidate) => candidate.build))
    ctx.ui.result(`${entry.id}: build ${entry.build?.image} first; mcp add --from-catalog ${entry.id} prints how`);
  for (const entry of catalog) {
    if (entry.packaged) ctx.ui.result(`${entry.id}: where litellm.build is builtin, mcp add builds it from ${packageLabel(entry.packaged.build)}`);
  }
  ctx.ui.result('add one with: mcpgw mcp add NAME --from-catalog ENTRY [--image IMG] [--port 48xxx]');
}
