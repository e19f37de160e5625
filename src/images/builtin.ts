/**
 * The images mcpgw can build itself, from package registries only (Debian, PyPI, npm), for machines that reach
 * no container registry. Names and versions are pinned here; the recipes are in the package's images/ folder.
 * Pure data, so the config schema can name these images without loading the builder.
 */

import { createHash } from 'node:crypto';

/** Debian suite of every built image: the LiteLLM recipe's venv is Python 3.11, bookworm's python3. */
export const DEBIAN_SUITE = 'bookworm';
/** The LiteLLM release `litellm.build: builtin` installs (`litellm[proxy]==` from PyPI). */
export const BUILTIN_LITELLM_VERSION = '1.108.7';
/**
 * Packages pinned beside `litellm[proxy]==VERSION`, by LiteLLM release. pip resolves an older release's ranges to
 * today's newest versions, which that release never ran with. 1.77.3 (September 2025) gets the set of its month:
 * with today's pydantic (2.12+) the mcp 1.x SDK fails at import (`eval_type_backport`, a pydantic internal it
 * imports, is gone); mcp 1.12.4 is the newest 1.x its `uvicorn<0.30` allows (1.13+ require uvicorn>=0.31.1);
 * openai 1.108.1 is of the same week (its `openai>=1.99.5` would take a 3.x SDK). A release not listed (the builtin
 * one among them) takes pip's resolution.
 */
export const LITELLM_PINS: Readonly<Record<string, readonly string[]>> = {
  '1.77.3': ['pydantic==2.11.9', 'mcp==1.12.4', 'openai==1.108.1'],
};
/** prisma-client-py, which LiteLLM's DB mode needs; 0.15.0's engine commit is the one the wasm shim ships. */
export const BUILTIN_PRISMA_PY_VERSION = '0.15.0';
/**
 * prometheus_client in the DB-mode image, for LiteLLM's `prometheus` callback (observability.prometheus): LiteLLM
 * 1.108.7 asks for >=0.20.0,<1.0 in its `proxy-runtime` extra, which `litellm[proxy]` leaves out; pinned to that
 * floor (a build must be repeatable).
 */
export const BUILTIN_PROMETHEUS_CLIENT_VERSION = '0.20.0';
/** Debian bookworm's PostgreSQL major (the recipe installs postgresql-15 by name, so this is what runs). */
export const BUILTIN_POSTGRES_MAJOR = '15';
/** Debian bookworm's Redis and HAProxy releases (installed by package name: the tag says what the suite ships). */
export const BUILTIN_REDIS_VERSION = '7.0';
export const BUILTIN_HAPROXY_VERSION = '2.6';
/** The Node major the node image carries: it is the node running mcpgw, copied in (Debian's nodejs is 18). */
export const BUILTIN_NODE_MAJOR = '20';

/**
 * The one directory an MCP server's image built from a package gives its user (nobody) to write in: a volume
 * mounted there starts out owned by nobody too (Docker copies the owner of the directory it covers into a new
 * volume), so a server that keeps files can keep them there (images/mcp-npm, images/mcp-pypi).
 */
export const PACKAGE_DATA_DIR = '/data';

export const BUILTIN_BASE_IMAGE = `mcpgw/debian:${DEBIAN_SUITE}`;
export const BUILTIN_NODE_IMAGE = `mcpgw/node:${BUILTIN_NODE_MAJOR}`;
export const BUILTIN_POSTGRES_IMAGE = `mcpgw/postgres:${BUILTIN_POSTGRES_MAJOR}`;
/** LiteLLM's coordination Redis and the front door of a swarm stack (`engine: swarm`). */
export const BUILTIN_REDIS_IMAGE = `mcpgw/redis:${BUILTIN_REDIS_VERSION}`;
export const BUILTIN_HAPROXY_IMAGE = `mcpgw/haproxy:${BUILTIN_HAPROXY_VERSION}`;
/** LiteLLM from PyPI without a database (the layer the DB-mode image adds Prisma to), named by its version. */
export const litellmProxyImage = (version: string): string => `mcpgw/litellm:${version}`;
export const BUILTIN_LITELLM_PROXY_IMAGE = litellmProxyImage(BUILTIN_LITELLM_VERSION);
/** LiteLLM in DB mode: what `litellm.build: builtin` runs. */
export const BUILTIN_LITELLM_IMAGE = `mcpgw/litellm-db:${BUILTIN_LITELLM_VERSION}`;

/** Label every image mcpgw builds carries: the hash of its recipe (context, build args, parent image id). */
export const RECIPE_HASH_LABEL = 'io.mcpgw.recipe-hash';
/** Label naming the recipe an image was built from (e.g. `litellm-db`, `npm:@scope/pkg@1.2.3`), for doctor. */
export const RECIPE_LABEL = 'io.mcpgw.recipe';

/**
 * A package an MCP server image installs at build time, pinned to one version, and the Debian packages (from the
 * base's suite) its program needs beside it, e.g. git for mcp-server-git, whose GitPython runs the git program.
 */
export type PackageSource = ({ npm: string } | { pypi: string }) & { apt?: string[] };

/** A Debian package name (policy 5.6.1): all `build.apt` may hold, since the names reach apt-get's command line. */
export const DEBIAN_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** The Debian packages of a build, each once and in one order, so that the same set names the same image. */
export function aptPackages(source: PackageSource): string[] {
  return [...new Set(source.apt ?? [])].sort();
}

/** `name@1.2.3` / `@scope/name@1.2.3`: an exact version, no range or tag (a build must be repeatable). */
const NPM_PINNED = /^((?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;
/** `name==1.2.3` (PEP 508 name, exact version). */
const PYPI_PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9][0-9A-Za-z.+!-]*)$/;

export function parseNpmSpec(spec: string): { name: string; version: string } | undefined {
  const match = NPM_PINNED.exec(spec);
  return match ? { name: match[1] as string, version: match[2] as string } : undefined;
}

export function parsePypiSpec(spec: string): { name: string; version: string } | undefined {
  const match = PYPI_PINNED.exec(spec);
  return match ? { name: match[1] as string, version: match[2] as string } : undefined;
}

/** The image mcpgw builds for a package: one per package, version and Debian packages, shared by every stack that uses it. */
export function packageImage(source: PackageSource): string | undefined {
  const [registry, parsed] = 'npm' in source ? (['npm', parseNpmSpec(source.npm)] as const) : (['pypi', parsePypiSpec(source.pypi)] as const);
  const apt = aptPackages(source);
  if (!parsed || !apt.every((name) => DEBIAN_PACKAGE_NAME.test(name))) return undefined;
  const repo = parsed.name
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/[^a-z0-9]+/g, '-');
  const tag = parsed.version.replace(/[^A-Za-z0-9_.-]/g, '_');
  // With Debian packages it is another image (a layer on this one), so stacks that differ there never rebuild each other's.
  const named = apt.length ? `${tag}-with-${apt.join('-').replace(/\+/g, '_')}` : tag;
  // A tag holds at most 128 characters: a long list is named by its digest instead.
  const withApt = named.length <= 128 ? named : `${tag}-with-${createHash('sha256').update(apt.join(' ')).digest('hex').slice(0, 12)}`;
  return `mcpgw/${registry}-${repo}:${withApt}`;
}

/**
 * How mcpgw's own images start (their Dockerfiles' ENTRYPOINT and CMD, and the recipe label they carry), for
 * renderings that wrap an image's start (a swarm task reads its secrets first); undefined for any other image.
 */
export function builtinImageLaunch(image: string): { entrypoint: string[]; cmd: string[]; labels: Record<string, string> } | undefined {
  const known: Record<string, [string[], string[], string]> = {
    [BUILTIN_POSTGRES_IMAGE]: [['docker-entrypoint.sh'], ['postgres'], 'postgres'],
    [BUILTIN_REDIS_IMAGE]: [['redis-entrypoint.sh'], ['redis-server'], 'redis'],
    [BUILTIN_HAPROXY_IMAGE]: [['haproxy', '-W', '-db', '-f', '/etc/haproxy/haproxy.cfg'], [], 'haproxy'],
    [BUILTIN_NODE_IMAGE]: [[], ['node'], 'node'],
    [BUILTIN_LITELLM_PROXY_IMAGE]: [['litellm'], ['--port', '4000'], 'litellm'],
    [BUILTIN_LITELLM_IMAGE]: [['/opt/prisma-engine-shim/start.sh'], ['--port', '4000'], 'litellm-db'],
  };
  const entry = known[image];
  if (entry) return { entrypoint: entry[0], cmd: entry[1], labels: { [RECIPE_LABEL]: entry[2] } };
  // Package images: npm ones keep the node image's CMD, PyPI ones the Debian base's.
  if (image.startsWith('mcpgw/npm-')) return { entrypoint: [], cmd: ['node'], labels: {} };
  if (image.startsWith('mcpgw/pypi-')) return { entrypoint: [], cmd: ['bash'], labels: {} };
  return undefined;
}
