import { InvalidArgumentError } from 'commander';
import { CLIENT_IDS, DEFAULT_SERVER_NAME, type ClientId } from '../clients/types.js';
import { closest } from '../config/suggest.js';
import { defineCommand, type Handler, type OptionSpec, type OptionsOf } from './command-spec.js';
import { KEY_ENV } from './key-input.js';

/** The groups of subcommands, with their own help line. */
export const GROUPS: Record<string, string> = {
  images: 'images mcpgw builds from package registries (services marked build: in mcpgw.yaml)',
  keys: "LiteLLM virtual keys, written as LiteLLM's own rows with their MCP grants",
  mcp: 'add, remove, list and inspect the MCP servers in mcpgw.yaml',
};

const timeout = (what: string, fallback: string) =>
  ({ flags: '--timeout <seconds>', description: `how long to wait for the gateway to list ${what}`, default: fallback }) as const satisfies OptionSpec;

/** Every mcpgw command, in the order `mcpgw --help` lists them; src/cli/handlers.ts says what runs each. */
export const COMMANDS = [
  defineCommand({
    name: 'init',
    description: 'write a commented mcpgw.yaml and a secrets file (mode 0600) with generated keys',
    options: [
      { flags: '--host <name>', description: 'LAN name clients use to reach the gateway (default: this machine)' },
      { flags: '--force', description: 'replace existing files, keeping a backup of each' },
      {
        flags: '--offline',
        description: 'a stack that needs no container registry and no provider key: images built from PyPI, Debian and npm, the canary probe model',
      },
    ],
  }),
  defineCommand({
    name: 'adopt',
    args: '<path>',
    description: 'take stock of a LiteLLM deployment run by hand (read-only); --write describes it in mcpgw.yaml without changing what runs',
    options: [{ flags: '--write', description: 'write mcpgw.yaml and secrets/litellm.env (0600) for it, backing up its compose file and config.yaml' }],
  }),
  defineCommand({
    name: 'render',
    description: 'write docker-compose.yml, config/config.yaml and per-service env files from mcpgw.yaml',
    options: [
      { flags: '-o, --out <dir>', description: 'output directory (default: next to mcpgw.yaml)' },
      { flags: '--check', description: 'exit 1 when the files on disk differ from what mcpgw.yaml renders' },
    ],
  }),
  defineCommand({
    name: 'up',
    description: 'render, then start the stack in order, each step gated on real health, idempotently',
    options: [
      { flags: '--dry-run', description: 'print the plan (create / recreate / start / keep / remove) and change nothing' },
      { flags: '--no-probe', description: 'skip the end-to-end probe after start-up' },
      {
        flags: '--install-docker',
        description: 'as root on Debian, without asking: install docker.io and start it when no Docker engine answers, and debootstrap when images are built',
      },
    ],
  }),
  defineCommand({
    name: 'down',
    description: "stop and remove this stack's containers and networks (never foreign ones; volumes only with --volumes)",
    options: [{ flags: '--volumes', description: 'also delete the Postgres data volume' }],
  }),
  defineCommand({
    name: 'status',
    description: 'state, health, ports, image and uptime of each service (exit 1 when one is down)',
  }),
  defineCommand({
    name: 'logs',
    args: '[service]',
    description: 'container logs of one service or of all, secrets redacted',
    options: [
      { flags: '--follow', description: 'keep streaming until Ctrl-C' },
      { flags: '--since <when>', description: 'only lines newer than 10m, 2h, 1d or a timestamp' },
      { flags: '--tail <lines>', description: 'lines per container' },
    ],
  }),
  defineCommand({
    name: 'probe',
    description: 'prove end to end that MCP tools execute through the gateway and the model turn ends at stop',
    options: [
      { flags: '--key <sk-...>', description: 'probe with this virtual key (default: a temporary key granted every server)' },
      { flags: '--key-file <path>', description: `read the key from a file, or - for stdin (also: ${KEY_ENV}); --key shows it in ps` },
      { flags: '--server <name>', description: 'probe only this MCP server' },
      { flags: '--llm', description: 'require the LLM level (default when mcpgw.yaml declares a model or probe_model)' },
      { flags: '--no-llm', description: 'skip the LLM level' },
      { flags: '--model <name>', description: 'the model asked to run a tool (default: probe_model, else the first declared model)' },
      { flags: '--timeout <duration>', description: 'deadline per request, e.g. 30s', default: '120s' },
      { flags: '--replay <file>', description: "send a client's saved chat/responses request body through the gateway and explain where it ends" },
      { flags: '--replicas', description: 'judge each LiteLLM replica from inside its container, also on one engine (default: with replicas > 1 or a swarm)' },
    ],
  }),
  defineCommand({
    name: 'backup',
    description: "dump LiteLLM's database (gzip, signed manifest with schema level and sha256, mode 0600) into backups/",
    options: [
      { flags: '-o, --out <file>', description: 'write this file instead of backups/<stack>-<UTC time>.sql.gz' },
      { flags: '--keep <n>', description: "keep only the newest n of this stack's backups in that folder" },
    ],
  }),
  defineCommand({
    name: 'restore',
    args: '<file>',
    description: 'verify a backup (signature, checksum, SQL), stop LiteLLM, replace its database in one transaction, start it, sync keys, probe',
    options: [
      { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal)' },
      { flags: '--force', description: 'restore even a backup whose schema is newer than this stack' },
      { flags: '--trust', description: 'restore a backup without a valid signature (older mcpgw, another key); its SQL is still screened' },
      { flags: '--no-probe', description: 'skip the end-to-end probe after the restore' },
    ],
  }),
  defineCommand({
    name: 'upgrade',
    description: 'upgrade LiteLLM: preflight, verified backup, rehearsal on a throwaway copy, cut-over keeping the old container, automatic rollback',
    options: [
      { flags: '--to <version|image>', description: 'a LiteLLM version (e.g. 1.108.7) or an image reference (default: the builtin release)' },
      { flags: '-y, --yes', description: 'do not ask before the cut-over (required without a terminal)' },
    ],
  }),
  defineCommand({
    name: 'doctor',
    description: 'diagnose config, secrets, networks, database, keys, MCP servers, LiteLLM and client files, each finding with its fix',
    options: [
      { flags: '--only <id...>', description: 'run only these checks or areas (e.g. database, mcp.gateway)', list: true },
      { flags: '--offline', description: 'skip the checks that call the upstream model' },
      { flags: '--replicas', description: 'run the replicas.* checks also on one engine with one LiteLLM (default: with replicas > 1 or a swarm)' },
      { flags: '--timeout <duration>', description: 'deadline per check, e.g. 60s', default: '60s' },
    ],
  }),
  defineCommand({
    name: 'images build',
    description: 'build every image mcpgw.yaml marks build: that is missing or whose recipe changed (a no-op otherwise)',
    options: [{ flags: '--log-dir <dir>', description: 'where the build logs go (default: ~/.cache/mcpgw/builds)' }],
  }),
  defineCommand({
    name: 'keys create',
    description: 'create a virtual key and print it once',
    options: [
      // Mandatory, so commander refuses the command without it: the handler's alias is a string.
      { flags: '--alias <alias>', description: 'name of the key', required: true },
      { flags: '--mcp <server...>', description: 'MCP servers it may use (names from mcpgw.yaml)', list: true },
      { flags: '--mcp-group <group...>', description: 'MCP access groups it may use', list: true },
      { flags: '--models <model...>', description: 'models it may use (default: all)', list: true },
      { flags: '--expires <duration>', description: 'lifetime, e.g. 30d, or never (default: 90d)' },
      { flags: '--budget <usd>', description: 'maximum spend' },
      { flags: '--key <sk-...>', description: 'use this key instead of generating one' },
      { flags: '--key-file <path>', description: `read the key from a file, or - for stdin (also: ${KEY_ENV}); --key shows it in ps` },
      { flags: '--via-api', description: "create it through LiteLLM's /key/generate with the master key instead of writing the rows" },
      { flags: '--save', description: 'also keep it in the secrets file (mode 0600), so --key-alias and mcp tools --key take its alias' },
    ],
  }),
  defineCommand({
    name: 'keys list',
    description: 'keys with alias, abbreviated key, models, MCP grants, expiry, spend (never the key or its hash)',
  }),
  defineCommand({
    name: 'keys revoke',
    args: '<alias-or-key>',
    description: 'delete a key and its grants',
  }),
  defineCommand({
    name: 'keys rotate',
    args: '<alias>',
    description: 'replace a key by a new one with the same grants; the old one expires after the grace period',
    options: [
      { flags: '--grace <duration>', description: 'how long the old key keeps working (0: refused at once)', default: '24h' },
      { flags: '--save', description: 'keep the new key in the secrets file (a declared or already saved key always is)' },
    ],
  }),
  defineCommand({
    name: 'keys sync',
    description: 'make the keys declared in mcpgw.yaml exist with exactly their grants (e.g. after a DB wipe)',
    options: [{ flags: '--dry-run', description: 'report what would change and write nothing' }],
  }),
  defineCommand({
    name: 'client-config',
    argument: { name: '<client>', description: `which client: ${CLIENT_IDS.join(', ')}`, parse: clientId },
    description: "print (or --write into the client's own file) the config that connects an MCP client to the gateway",
    options: [
      { flags: '--key <sk-...>', description: 'the virtual key to configure' },
      { flags: '--key-file <path>', description: `read the key from a file, or - for stdin (also: ${KEY_ENV}); --key shows it in ps` },
      { flags: '--key-alias <alias>', description: 'use the key declared in mcpgw.yaml under this alias (read from the secrets file)' },
      { flags: '--url <url>', description: 'MCP endpoint (default: http://<host>:<litellm.port>/mcp/ from mcpgw.yaml)' },
      { flags: '--name <name>', description: "the server's name in the client", default: DEFAULT_SERVER_NAME },
      {
        flags: '--scope <scope>',
        description: 'user-level file or the project (cwd) file (default: project for vscode, else user)',
        choices: ['user', 'project'],
      },
      { flags: '--write', description: "merge into the client's config file (backup first, atomic, idempotent)" },
      { flags: '--apply <openwebui-url>', description: 'openwebui: merge the connection into this running Open WebUI (admin token in OPENWEBUI_ADMIN_TOKEN)' },
    ],
  }),
  defineCommand({
    name: 'mcp add',
    args: '<name>',
    description: 'add an MCP server to mcpgw.yaml in place (comments kept), validated before it is written',
    options: [
      { flags: '--transport <transport>', description: 'sse | http | stdio' },
      { flags: '--image <image>', description: 'container mcpgw runs (sse/http, or the one a stdio server runs in behind the bridge)' },
      { flags: '--npm <package@version>', description: 'build its image from this npm package (no registry image needed); stdio unless --transport' },
      { flags: '--pypi <package==version>', description: 'build its image from this PyPI package (no registry image needed); stdio unless --transport' },
      { flags: '--apt <package...>', description: 'with --npm or --pypi: Debian packages the program needs beside it (e.g. git)', list: true },
      { flags: '--command <command>', description: 'command to run (container command, or the stdio server command)' },
      { flags: '--args <arg...>', description: 'arguments after the command' },
      { flags: '--url <url>', description: 'an MCP server mcpgw does not run' },
      { flags: '--bridge <transport>', description: "stdio only: how mcpgw's bridge serves it (http, the default)" },
      {
        flags: '--inside-litellm',
        description: "stdio only: let LiteLLM spawn it in its own container, where it reads LiteLLM's master key, salt key and DATABASE_URL",
      },
      { flags: '--port <port>', description: 'published host port (default: the next free one in mcp_port_range)' },
      { flags: '--container-port <port>', description: 'port the server listens on inside its container (default: --port)' },
      { flags: '--path <path>', description: 'MCP path inside the container (default /sse or /mcp)' },
      { flags: '--env <VAR=SECRET_NAME...>', description: 'secret environment: variable = name of a secret in the secrets file', list: true },
      { flags: '--allowed-tools <tools>', description: 'only these tools (comma-separated)', csv: true },
      { flags: '--group <group...>', description: 'MCP access group(s)', list: true },
      { flags: '--description <text>', description: 'shown to clients' },
      { flags: '--from-catalog <entry>', description: 'start from a catalog entry (`mcpgw mcp catalog`); flags override it' },
      { flags: '--apply', description: 'run `mcpgw up` afterwards' },
    ],
  }),
  defineCommand({
    name: 'mcp remove',
    args: '<name>',
    description: 'remove an MCP server from mcpgw.yaml (refused while a declared key grants it)',
    options: [{ flags: '--force', description: "also drop it from those keys' grants (the next key sync removes them from the database)" }],
  }),
  defineCommand({
    name: 'mcp list',
    description: 'each server: transport, how it runs, endpoint, container state, tool count, keys granting it',
    options: [timeout("a server's tools", '120')],
  }),
  defineCommand({
    name: 'mcp tools',
    args: '[name]',
    description: 'the tools a key sees through the gateway, with an input summary of each',
    options: [
      { flags: '--key <alias-or-sk>', description: 'a declared key alias or a key value (default: the master key, which sees all)' },
      { flags: '--key-file <path>', description: `read the key from a file, or - for stdin (also: ${KEY_ENV}); --key shows it in ps` },
      timeout('the tools', '120'),
    ],
  }),
  defineCommand({
    name: 'mcp catalog',
    description: 'well-adopted MCP servers mcp add --from-catalog knows: image or package, transport, secrets, probe tool',
  }),
];

export type CommandName = (typeof COMMANDS)[number]['name'];
type Declared<Name extends CommandName> = Extract<(typeof COMMANDS)[number], { name: Name }>;
/** The options a command's handler receives, typed from its flags: `CommandOptions<'keys create'>`. */
export type CommandOptions<Name extends CommandName> = OptionsOf<NonNullable<Declared<Name>['options']>>;
export type CommandHandler<Name extends CommandName> = Handler<Declared<Name>>;

/** The client argument, with a "did you mean" for a typo (commander's choices() lists them without one). */
function clientId(value: string): ClientId {
  const known = CLIENT_IDS.find((id) => id === value);
  if (known) return known;
  const guess = closest(value, CLIENT_IDS);
  throw new InvalidArgumentError(`${guess ? `Did you mean ${guess}? ` : ''}Clients: ${CLIENT_IDS.join(', ')}.`);
}
