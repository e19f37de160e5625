import path from 'node:path';
import { grantingKeys } from '../config/grants.js';
import { parseConfig } from '../config/load.js';
import type { McpgwConfig } from '../config/schema.js';
import { ConfigError, UserError } from '../errors.js';
import { readIfExists } from '../fs.js';
import { writeRendered } from '../render/write.js';
import { buildCommand, type CatalogEntry } from './catalog.js';
import { assertPortFree, pickPort, type PortProbe } from './ports.js';
import { addServer, removeServer } from './yaml-edit.js';

export interface AddOptions {
  transport?: string;
  image?: string;
  /** An npm package, pinned (name@1.2.3), that mcpgw installs into an image it builds (`build: { npm }`). */
  npm?: string;
  /** A PyPI package, pinned (name==1.2.3), likewise (`build: { pypi }`). */
  pypi?: string;
  /** Debian packages the packaged program needs beside it (`build: { apt }`), only with npm or pypi. */
  apt?: string[];
  command?: string;
  args?: string[];
  url?: string;
  bridge?: string;
  /** stdio only: LiteLLM spawns it inside its own container (the user insists; doctor warns). */
  insideLitellm?: boolean;
  port?: string;
  containerPort?: string;
  path?: string;
  env?: string[];
  allowedTools?: string[];
  group?: string[];
  description?: string;
}

/** Field order of a written server entry: how a person would read it, whatever order the flags came in. */
const FIELD_ORDER = [
  'transport',
  'bridge',
  'inside_litellm',
  'description',
  'image',
  'build',
  'command',
  'args',
  'port',
  'container_port',
  'path',
  'url',
  'host_header',
  'environment',
  'env',
  'volumes',
  'allowed_tools',
  'probe',
  'groups',
];

/**
 * The mcpgw.yaml entry for the flags, on top of a catalog entry when one is given. Flags win. `packaged`: the
 * catalog entry's build from its package registry (`packaged`) instead of its image.
 */
export function serverEntry(options: AddOptions, catalog?: CatalogEntry, packaged = false): Record<string, unknown> {
  // The catalog's probe becomes the server's `probe`, the read-only call `mcpgw probe` proves it with.
  const entry: Record<string, unknown> = structuredClone(catalog ? { ...catalog.server, probe: catalog.probe } : {});
  if (packaged && catalog?.packaged) {
    delete entry.image;
    Object.assign(entry, structuredClone(catalog.packaged));
  }
  const set = (field: string, value: unknown) => {
    if (value !== undefined) entry[field] = value;
  };
  set('transport', options.transport);
  set('bridge', options.bridge);
  if (options.insideLitellm) entry.inside_litellm = true;
  set('description', options.description);
  set('image', options.image);
  const registry = packageFlag(options);
  if (registry) {
    // The image is the one mcpgw builds from the package; a catalog entry's image or build gives way to it.
    delete entry.image;
    entry.build = registry;
    entry.transport ??= 'stdio';
  }
  if (options.command !== undefined) entry.command = options.command.split(/\s+/).filter(Boolean);
  set('args', options.args);
  set('port', integerFlag('--port', options.port));
  set('container_port', integerFlag('--container-port', options.containerPort));
  set('path', options.path);
  set('url', options.url);
  if (options.env?.length) entry.env = { ...(entry.env as Record<string, string> | undefined), ...envFlags(options.env) };
  set('allowed_tools', options.allowedTools);
  set('groups', options.group);
  if (entry.transport === undefined)
    throw new UserError('--transport is required', 'pass --transport sse|http|stdio, or --from-catalog ENTRY (see `mcpgw mcp catalog`)');
  if (catalog?.build && entry.image === undefined && entry.build === undefined) {
    throw new UserError(
      `the ${catalog.id} entry needs an image that no registry publishes (the server and supergateway together)`,
      `build it once with: ${buildCommand(catalog.build)}\n  then add --image ${catalog.build.image}`,
    );
  }
  return ordered(entry);
}

/**
 * `build:` from --npm or --pypi: one package, from one registry, in an image mcpgw builds instead of a given one,
 * with the Debian packages --apt names beside it.
 */
function packageFlag(options: AddOptions): { npm: string; apt?: string[] } | { pypi: string; apt?: string[] } | undefined {
  const apt = options.apt?.length ? { apt: options.apt } : {};
  if (options.npm === undefined && options.pypi === undefined) {
    if (apt.apt) throw new UserError('--apt given without --npm or --pypi', 'the Debian packages go into the image mcpgw builds: add --npm or --pypi');
    return undefined;
  }
  if (options.npm !== undefined && options.pypi !== undefined)
    throw new UserError('--npm and --pypi both given', 'a server comes from one registry: pass one of them');
  if (options.image !== undefined)
    throw new UserError(`--image and ${options.npm !== undefined ? '--npm' : '--pypi'} both given`, 'mcpgw builds the image from the package: drop --image');
  return options.npm !== undefined ? { npm: options.npm, ...apt } : { pypi: options.pypi as string, ...apt };
}

function ordered(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(FIELD_ORDER.filter((field) => entry[field] !== undefined).map((field) => [field, entry[field]]));
}

function integerFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UserError(`${flag} ${value} is not a port number`, `give a whole number, e.g. ${flag} 48010`);
  return Number(value);
}

function envFlags(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
    if (!match?.[1] || !match[2])
      throw new UserError(
        `--env ${value.split('=')[0]}=… is not VAR=SECRET_NAME`,
        'name the variable and the secret that holds its value, e.g. --env DATABASE_URI=MCP_POSTGRES_URI',
      );
    env[match[1]] = match[2];
  }
  return env;
}

/** Whether mcpgw runs a container (and so publishes a port) for this entry. */
function needsPort(entry: Record<string, unknown>): boolean {
  return entry.url === undefined && (entry.transport === 'stdio' ? entry.inside_litellm !== true : entry.image !== undefined || entry.build !== undefined);
}

export interface EditResult {
  text: string;
  config: McpgwConfig;
}

/**
 * mcpgw.yaml with the server added, validated as a whole (schema and rules) before the caller writes it.
 * A free port is picked when the server needs one; a given port must be free on this machine.
 */
export async function planAdd(
  text: string,
  file: string,
  name: string,
  entry: Record<string, unknown>,
  isFree: PortProbe,
): Promise<EditResult & { port?: number }> {
  const current = parseConfig(text, file);
  const given = entry.port as number | undefined;
  const port = needsPort(entry) && given === undefined ? await pickPort(current, isFree) : given;
  const next = addServer(text, name, ordered({ ...entry, port }), file);
  const config = validateEdit(next, file, `adding ${name}`);
  // Range and duplicates are config errors (reported above); only then is the machine itself asked.
  if (given !== undefined) await assertPortFree(given, isFree);
  return { text: next, config, ...(port !== undefined ? { port } : {}) };
}

/** mcpgw.yaml without the server; refused while a declared key grants it, unless `force` also drops the grants. */
export function planRemove(text: string, file: string, name: string, force: boolean): EditResult & { ungranted: string[] } {
  const current = parseConfig(text, file);
  if (!current.mcp_servers[name])
    throw new UserError(`${file} has no MCP server "${name}"`, `declared servers: ${Object.keys(current.mcp_servers).join(', ') || 'none'}`);
  const granting = grantingKeys(current, name);
  if (granting.length > 0 && !force) {
    throw new UserError(
      `key(s) ${granting.join(', ')} still grant ${name}`,
      `remove ${name} from their mcp_servers (or mcp_groups) in mcpgw.yaml first, or pass --force ` +
        `to drop those grants too (the next \`mcpgw keys sync\` or \`up\` removes them from the database)`,
    );
  }
  const result = removeServer(text, name, { dropGrants: force }, file);
  return { text: result.text, config: validateEdit(result.text, file, `removing ${name}`), ungranted: result.ungranted };
}

/**
 * The whole edited document through the same validation as every command. Its problems are reported against
 * the edit, without line numbers: those would point into a file that was never written.
 */
function validateEdit(text: string, file: string, edit: string): McpgwConfig {
  try {
    return parseConfig(text, file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `${file} after ${edit} (nothing written)`,
      error.issues.map(({ line: _line, column: _column, ...issue }) => issue),
    );
  }
}

export async function readConfigText(file: string): Promise<string> {
  const text = await readIfExists(file);
  if (text === undefined) throw new UserError(`${file} not found`, 'run `mcpgw init` to create one, or pass -f PATH');
  return text;
}

/** Atomic replace (temp file + rename): an interrupted write never leaves a half-written mcpgw.yaml. */
export async function writeConfigText(file: string, text: string): Promise<void> {
  await writeRendered(path.dirname(file), [{ path: path.basename(file), content: text, secret: false }]);
}
