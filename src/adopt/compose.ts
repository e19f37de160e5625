import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import { readIfExists } from '../fs.js';

/** One service of a hand-written compose file, as far as adopting it goes. */
export interface ComposeService {
  name: string;
  image?: string;
  containerName?: string;
  command: string[];
  entrypoint: string[];
  /** Env files, resolved against the compose file's folder. */
  envFiles: string[];
  /** `environment:` entries (values as written; compose interpolation is not applied). */
  environment: Record<string, string>;
  networks: string[];
  ports: { published?: number; target: number; hostIp?: string }[];
  /** Bind mounts: host path (resolved) → container path. */
  binds: { source: string; target: string }[];
}

export interface ComposeProject {
  file: string;
  dir: string;
  /** `name:`, else the folder's name as compose derives it. */
  project: string;
  services: ComposeService[];
  /** Networks declared external (mcpgw must never create or remove them). */
  externalNetworks: string[];
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

/** PATH as given to `adopt`: a compose file, or a folder holding one; a usage error otherwise. */
export async function findComposeFile(target: string): Promise<string> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new UserError(`${target} does not exist`, 'give the compose file of the deployment, or its folder');
  if (info.isFile()) return path.resolve(target);
  for (const name of COMPOSE_NAMES) {
    const candidate = path.join(target, name);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return path.resolve(candidate);
  }
  throw new UserError(`${target} holds no compose file (${COMPOSE_NAMES.join(', ')})`, 'give the compose file itself: mcpgw adopt PATH/TO/docker-compose.yml');
}

/** compose's project name rule: lowercase, only a–z, 0–9, _ and -. */
export function projectName(dir: string): string {
  return path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '');
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function words(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}

function keyValues(value: unknown): Record<string, string> {
  if (Array.isArray(value))
    return Object.fromEntries(
      value.map(String).map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  return Object.fromEntries(Object.entries(record(value) ?? {}).map(([key, item]) => [key, item === null || item === undefined ? '' : String(item)]));
}

function ports(value: unknown): ComposeService['ports'] {
  return (Array.isArray(value) ? value : []).flatMap((entry): ComposeService['ports'] => {
    const long = record(entry);
    if (long) {
      const target = Number(long.target);
      if (!Number.isInteger(target)) return [];
      const published = Number(long.published);
      return [{ target, ...(Number.isInteger(published) ? { published } : {}), ...(typeof long.host_ip === 'string' ? { hostIp: long.host_ip } : {}) }];
    }
    // [ip:]published:target[/proto], or target alone
    const parts = String(entry)
      .replace(/\/\w+$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    if (!Number.isInteger(target)) return [];
    const published = parts.length >= 2 ? Number(parts.at(-2)) : Number.NaN;
    const hostIp = parts.length === 3 ? parts[0] : undefined;
    return [{ target, ...(Number.isInteger(published) ? { published } : {}), ...(hostIp ? { hostIp } : {}) }];
  });
}

function binds(value: unknown, dir: string): ComposeService['binds'] {
  return (Array.isArray(value) ? value : []).flatMap((entry): ComposeService['binds'] => {
    const long = record(entry);
    const [source, target] = long ? [String(long.source ?? ''), String(long.target ?? '')] : String(entry).split(':');
    // A named volume has no path: it is not a file mcpgw reads.
    if (!source || !target || !/^[./]/.test(source)) return [];
    return [{ source: path.resolve(dir, source), target }];
  });
}

/** Parses a compose file's text (no interpolation: `${VAR}` stays as written). */
export function parseCompose(text: string, file: string): ComposeProject {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, 'give the compose file docker compose runs');
  }
  const top = record(doc);
  const services = record(top?.services);
  if (!services) throw new UserError(`${file} has no services:`, 'give the compose file docker compose runs');
  const dir = path.dirname(file);
  const networks = record(top?.networks) ?? {};
  return {
    file,
    dir,
    project: typeof top?.name === 'string' ? top.name : projectName(dir),
    externalNetworks: Object.entries(networks).flatMap(([key, value]) => {
      const network = record(value);
      if (!network?.external) return [];
      return [typeof network.name === 'string' ? network.name : key];
    }),
    services: Object.entries(services).map(([name, value]) => {
      const service = record(value) ?? {};
      const envFile = service.env_file;
      const envFiles = (Array.isArray(envFile) ? envFile : envFile === undefined ? [] : [envFile])
        .map((entry) => (record(entry) ? String(record(entry)?.path ?? '') : String(entry)))
        .filter(Boolean)
        .map((entry) => path.resolve(dir, entry));
      const serviceNetworks = Array.isArray(service.networks) ? service.networks.map(String) : Object.keys(record(service.networks) ?? {});
      return {
        name,
        ...(typeof service.image === 'string' ? { image: service.image } : {}),
        ...(typeof service.container_name === 'string' ? { containerName: service.container_name } : {}),
        command: words(service.command),
        entrypoint: words(service.entrypoint),
        envFiles,
        environment: keyValues(service.environment),
        networks: serviceNetworks.map((network) => {
          const declared = record(networks[network]);
          return typeof declared?.name === 'string' ? declared.name : network;
        }),
        ports: ports(service.ports),
        binds: binds(service.volumes, dir),
      };
    }),
  };
}

/** The service that runs LiteLLM: its image names litellm, or its command runs the litellm proxy. */
export function litellmServiceOf(project: ComposeProject): ComposeService | undefined {
  return (
    project.services.find((service) => /(^|\/)litellm[^/]*(:|$)/.test(service.image ?? '')) ??
    project.services.find((service) => [...service.entrypoint, ...service.command].some((word) => /(^|\/)litellm$/.test(word)))
  );
}

/** Where the proxy reads its config inside the container: `--config PATH` (or `-c`), else LiteLLM's images' default. */
export function containerConfigPath(service: ComposeService): string {
  const args = [...service.entrypoint, ...service.command];
  for (const [index, word] of args.entries()) {
    if ((word === '--config' || word === '-c') && args[index + 1]) return args[index + 1] as string;
    if (word.startsWith('--config=')) return word.slice('--config='.length);
  }
  return '/app/config.yaml';
}

/** The host file mounted at the container's config path (a bind of the file itself, or of a folder above it). */
export function hostConfigPath(service: ComposeService): string | undefined {
  const inside = containerConfigPath(service);
  for (const bind of service.binds) {
    if (bind.target === inside) return bind.source;
    const prefix = bind.target.replace(/\/$/, '');
    if (inside.startsWith(`${prefix}/`)) return path.join(bind.source, inside.slice(prefix.length + 1));
  }
  return undefined;
}

/** The config.yaml LiteLLM is given by a compose file (read, with its host path), or undefined when it cannot be found. */
export async function adoptedLitellmConfig(composeFile: string): Promise<{ file: string; text: string } | undefined> {
  const text = await readIfExists(composeFile, 'compose file');
  if (text === undefined) return undefined;
  const service = litellmServiceOf(parseCompose(text, composeFile));
  const file = service && hostConfigPath(service);
  const config = file ? await readIfExists(file, 'config.yaml') : undefined;
  return file && config !== undefined ? { file, text: config } : undefined;
}
