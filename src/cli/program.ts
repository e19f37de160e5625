import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { CLIENT_IDS, type ClientId } from '../clients/types.js';
import { closest } from '../config/suggest.js';
import { UserError } from '../errors.js';
import { createContext, type CommandContext, type GlobalOptions } from './context.js';
import type { Deps } from '../ops/deps.js';

export const VERSION = '0.1.0';

/**
 * The command tree. Handlers are imported lazily so `mcpgw --help` never loads pg, dockerode or the renderer.
 * Each handler receives a context built from the injected dependencies and the global flags.
 */
export function buildProgram(deps: Deps, output: { writeOut(text: string): void } = { writeOut: (text) => deps.stdout.write(text) }): Command {
  const program = new Command('mcpgw')
    .description('Deploy, key, probe and diagnose a LiteLLM MCP gateway on your LAN')
    .version(VERSION, '-V, --version')
    .option('-f, --file <path>', 'stack description', 'mcpgw.yaml')
    .option('--json', 'machine-readable output on stdout (one JSON document, errors included)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'more detail on stderr (secrets stay redacted)')
    .option('--no-color', 'no colours (also NO_COLOR=1 or TERM=dumb)')
    .showHelpAfterError('(run mcpgw --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => deps.stderr.write(text),
    });
  // `help keys create` shows the help of `keys create` (commander's own help command stops at one level).
  program.helpCommand(false);

  const context = (command: Command): CommandContext => createContext(deps, command.optsWithGlobals<GlobalOptions>());
  const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

  program
    .command('init')
    .description('write a commented mcpgw.yaml and a secrets file (mode 0600) with generated keys')
    .option('--host <name>', 'LAN name clients use to reach the gateway (default: this machine)')
    .option('--force', 'replace existing files, keeping a backup of each')
    .option('--offline', 'a stack that needs no container registry and no provider key: images built from PyPI, Debian and npm, the canary probe model')
    .action(async (options, command: Command) => {
      const { initCommand } = await import('./commands/init.js');
      await initCommand(context(command), options);
    });

  program
    .command('render')
    .description('write docker-compose.yml, config/config.yaml and per-service env files from mcpgw.yaml')
    .option('-o, --out <dir>', 'output directory (default: next to mcpgw.yaml)')
    .addOption(new Option('--check', 'exit 1 when the files on disk differ from what mcpgw.yaml renders'))
    .action(async (options, command: Command) => {
      const { renderCommand } = await import('./commands/render.js');
      await renderCommand(context(command), options);
    });

  program
    .command('up')
    .description('render, then start the stack in order, each step gated on real health, idempotently')
    .option('--dry-run', 'print the plan (create / recreate / start / keep / remove) and change nothing')
    .option('--no-probe', 'skip the end-to-end probe after start-up')
    .option('--install-docker', "as root on Debian, without asking: install docker.io and start it when no Docker engine answers, and debootstrap when images are built")
    .action(async (options, command: Command) => {
      const { upCommand } = await import('./commands/up.js');
      await upCommand(context(command), options);
    });

  program
    .command('down')
    .description("stop and remove this stack's containers and networks (never foreign ones; volumes only with --volumes)")
    .option('--volumes', 'also delete the Postgres data volume')
    .action(async (options, command: Command) => {
      const { downCommand } = await import('./commands/down.js');
      await downCommand(context(command), options);
    });

  program
    .command('status')
    .description('state, health, ports, image and uptime of each service (exit 1 when one is down)')
    .action(async (_options, command: Command) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(context(command));
    });

  program
    .command('logs [service]')
    .description('container logs of one service or of all, secrets redacted')
    .option('--follow', 'keep streaming until Ctrl-C')
    .option('--since <when>', 'only lines newer than 10m, 2h, 1d or a timestamp')
    .option('--tail <lines>', 'lines per container')
    .action(async (service: string | undefined, options, command: Command) => {
      const { logsCommand } = await import('./commands/logs.js');
      await logsCommand(context(command), service, options);
    });

  program
    .command('probe')
    .description('prove end to end that MCP tools execute through the gateway and the model turn ends at stop')
    .option('--key <sk-...>', 'probe with this virtual key (default: a temporary key granted every server)')
    .option('--server <name>', 'probe only this MCP server')
    .option('--llm', 'require the LLM level (default when mcpgw.yaml declares a model or probe_model)')
    .option('--no-llm', 'skip the LLM level')
    .option('--model <name>', 'the model asked to run a tool (default: probe_model, else the first declared model)')
    .option('--timeout <duration>', 'deadline per request, e.g. 30s', '120s')
    .option('--replay <file>', "send a client's saved chat/responses request body through the gateway and explain where it ends")
    .action(async (options, command: Command) => {
      const { probeCommand } = await import('./commands/probe.js');
      await probeCommand(context(command), options);
    });

  program
    .command('backup')
    .description("dump LiteLLM's database (gzip, manifest with schema level and sha256, mode 0600) into backups/")
    .option('-o, --out <file>', 'write this file instead of backups/<stack>-<UTC time>.sql.gz')
    .option('--keep <n>', "keep only the newest n of this stack's backups in that folder")
    .action(async (options, command: Command) => {
      const { backupCommand } = await import('./commands/backup.js');
      await backupCommand(context(command), options);
    });

  program
    .command('restore <file>')
    .description('verify a backup, stop LiteLLM, replace its database in one transaction, start it, sync keys, probe')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--force', 'restore even a backup whose schema is newer than this stack')
    .option('--no-probe', 'skip the end-to-end probe after the restore')
    .action(async (file: string, options, command: Command) => {
      const { restoreCommand } = await import('./commands/backup.js');
      await restoreCommand(context(command), file, options);
    });

  program
    .command('doctor')
    .description('diagnose config, secrets, networks, database, keys, MCP servers, LiteLLM and client files, each finding with its fix')
    .option('--only <id...>', 'run only these checks or areas (e.g. database, mcp.gateway)', collect)
    .option('--offline', 'skip the checks that call the upstream model')
    .option('--timeout <duration>', 'deadline per check, e.g. 60s', '60s')
    .action(async (options, command: Command) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      await doctorCommand(context(command), options);
    });

  const images = program.command('images').description('images mcpgw builds from package registries (services marked build: in mcpgw.yaml)');
  images
    .command('build')
    .description('build every image mcpgw.yaml marks build: that is missing or whose recipe changed (a no-op otherwise)')
    .option('--log-dir <dir>', 'where the build logs go (default: ~/.cache/mcpgw/builds)')
    .action(async (options, command: Command) => {
      const { imagesBuildCommand } = await import('./commands/images.js');
      await imagesBuildCommand(context(command), options);
    });

  const keys = program.command('keys').description("LiteLLM virtual keys, written as LiteLLM's own rows with their MCP grants");
  keys
    .command('create')
    .description('create a virtual key and print it once')
    .requiredOption('--alias <alias>', 'name of the key')
    .option('--mcp <server...>', 'MCP servers it may use (names from mcpgw.yaml)', collect)
    .option('--mcp-group <group...>', 'MCP access groups it may use', collect)
    .option('--models <model...>', 'models it may use (default: all)', collect)
    .option('--expires <duration>', 'lifetime, e.g. 30d')
    .option('--budget <usd>', 'maximum spend')
    .option('--key <sk-...>', 'use this key instead of generating one')
    .option('--via-api', "create it through LiteLLM's /key/generate with the master key instead of writing the rows")
    .action(async (options, command: Command) => {
      const { keysCreateCommand } = await import('./commands/keys.js');
      await keysCreateCommand(context(command), options);
    });
  keys
    .command('list')
    .description('keys with alias, abbreviated key, models, MCP grants, expiry, spend (never the key or its hash)')
    .action(async (_options, command: Command) => {
      const { keysListCommand } = await import('./commands/keys.js');
      await keysListCommand(context(command));
    });
  keys
    .command('revoke <alias-or-key>')
    .description('delete a key and its grants')
    .action(async (target: string, _options, command: Command) => {
      const { keysRevokeCommand } = await import('./commands/keys.js');
      await keysRevokeCommand(context(command), target);
    });
  keys
    .command('rotate <alias>')
    .description('replace a key by a new one with the same grants; the old one expires after the grace period')
    .option('--grace <duration>', 'how long the old key keeps working', '24h')
    .action(async (alias: string, options, command: Command) => {
      const { keysRotateCommand } = await import('./commands/keys.js');
      await keysRotateCommand(context(command), alias, options);
    });
  keys
    .command('sync')
    .description('make the keys declared in mcpgw.yaml exist with exactly their grants (e.g. after a DB wipe)')
    .option('--dry-run', 'report what would change and write nothing')
    .action(async (options, command: Command) => {
      const { keysSyncCommand } = await import('./commands/keys.js');
      await keysSyncCommand(context(command), options);
    });

  program
    .command('client-config')
    .description("print (or --write into the client's own file) the config that connects an MCP client to the gateway")
    .addArgument(new Argument('<client>', `which client: ${CLIENT_IDS.join(', ')}`).argParser(clientId))
    .option('--key <sk-...>', 'the virtual key to configure')
    .option('--key-alias <alias>', 'use the key declared in mcpgw.yaml under this alias (read from the secrets file)')
    .option('--url <url>', 'MCP endpoint (default: http://<host>:<litellm.port>/mcp/ from mcpgw.yaml)')
    .option('--name <name>', "the server's name in the client", 'litellm')
    .addOption(new Option('--scope <scope>', 'user-level file or the project (cwd) file (default: project for vscode, else user)').choices(['user', 'project']))
    .option('--write', "merge into the client's config file (backup first, atomic, idempotent)")
    .action(async (client: ClientId, options, command: Command) => {
      const { clientConfigCommand } = await import('./commands/client-config.js');
      await clientConfigCommand(context(command), client, options);
    });

  const mcp = program.command('mcp').description('add, remove, list and inspect the MCP servers in mcpgw.yaml');
  mcp
    .command('add <name>')
    .description('add an MCP server to mcpgw.yaml in place (comments kept), validated before it is written')
    .option('--transport <transport>', 'sse | http | stdio')
    .option('--image <image>', 'container mcpgw runs (sse/http, or the bridge of a stdio server)')
    .option('--command <command>', 'command to run (container command, or the stdio server command)')
    .option('--args <arg...>', 'arguments after the command')
    .option('--url <url>', 'an MCP server mcpgw does not run')
    .option('--bridge <transport>', 'stdio only: run it in its own container behind mcpgw\'s bridge, served as streamable http (http)')
    .option('--port <port>', 'published host port (default: the next free one in mcp_port_range)')
    .option('--container-port <port>', 'port the server listens on inside its container (default: --port)')
    .option('--path <path>', 'MCP path inside the container (default /sse or /mcp)')
    .option('--env <VAR=SECRET_NAME...>', 'secret environment: variable = name of a secret in the secrets file', collect)
    .option('--allowed-tools <tools>', 'only these tools (comma-separated)', (value: string) => value.split(',').filter(Boolean))
    .option('--group <group...>', 'MCP access group(s)', collect)
    .option('--description <text>', 'shown to clients')
    .option('--from-catalog <entry>', 'start from a catalog entry (`mcpgw mcp catalog`); flags override it')
    .option('--apply', 'run `mcpgw up` afterwards')
    .action(async (name: string, options, command: Command) => {
      const { mcpAddCommand } = await import('./commands/mcp.js');
      await mcpAddCommand(context(command), name, options);
    });
  mcp
    .command('remove <name>')
    .description('remove an MCP server from mcpgw.yaml (refused while a declared key grants it)')
    .option('--force', "also drop it from those keys' grants (the next key sync removes them from the database)")
    .action(async (name: string, options, command: Command) => {
      const { mcpRemoveCommand } = await import('./commands/mcp.js');
      await mcpRemoveCommand(context(command), name, options);
    });
  mcp
    .command('list')
    .description('each server: transport, how it runs, endpoint, container state, tool count, keys granting it')
    .option('--timeout <seconds>', 'how long to wait for the gateway to list a server\'s tools', '120')
    .action(async (options, command: Command) => {
      const { mcpListCommand } = await import('./commands/mcp.js');
      await mcpListCommand(context(command), options);
    });
  mcp
    .command('tools [name]')
    .description('the tools a key sees through the gateway, with an input summary of each')
    .option('--key <alias-or-sk>', 'a declared key alias or a key value (default: the master key, which sees all)')
    .option('--timeout <seconds>', 'how long to wait for the gateway to list the tools', '120')
    .action(async (name: string | undefined, options, command: Command) => {
      const { mcpToolsCommand } = await import('./commands/mcp.js');
      await mcpToolsCommand(context(command), name, options);
    });
  mcp
    .command('catalog')
    .description('well-adopted MCP servers mcp add --from-catalog knows: image or package, transport, secrets, probe tool')
    .action(async (_options, command: Command) => {
      const { mcpCatalogCommand } = await import('./commands/mcp.js');
      await mcpCatalogCommand(context(command));
    });

  program
    .command('help [command...]')
    .description('show the help of a command, e.g. help keys create')
    .action((names: string[]) => {
      let target: Command = program;
      for (const [index, name] of names.entries()) {
        const next = target.commands.find((command) => command.name() === name || command.aliases().includes(name));
        if (!next) {
          const known = target.commands.map((command) => command.name());
          const guess = closest(name, known);
          throw new UserError(`mcpgw ${[...names.slice(0, index), name].join(' ')} is not a command`, guess ? `did you mean "${guess}"? (mcpgw ${[...names.slice(0, index), guess].join(' ')} --help)` : `commands here: ${known.join(', ')}`);
        }
        target = next;
      }
      target.outputHelp();
    });

  return program;
}

/** The client argument, with a "did you mean" for a typo (commander's choices() lists them without one). */
function clientId(value: string): ClientId {
  if ((CLIENT_IDS as readonly string[]).includes(value)) return value as ClientId;
  const guess = closest(value, CLIENT_IDS);
  throw new InvalidArgumentError(`${guess ? `Did you mean ${guess}? ` : ''}Clients: ${CLIENT_IDS.join(', ')}.`);
}
