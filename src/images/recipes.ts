import { createHash } from 'node:crypto';
import {
  BUILTIN_BASE_IMAGE,
  BUILTIN_HAPROXY_IMAGE,
  BUILTIN_LITELLM_IMAGE,
  BUILTIN_LITELLM_VERSION,
  BUILTIN_NODE_IMAGE,
  BUILTIN_POSTGRES_IMAGE,
  BUILTIN_POSTGRES_MAJOR,
  BUILTIN_PRISMA_PY_VERSION,
  BUILTIN_PROMETHEUS_CLIENT_VERSION,
  BUILTIN_REDIS_IMAGE,
  DEBIAN_SUITE,
  LITELLM_PINS,
  aptPackages,
  litellmProxyImage,
  packageImage,
  type PackageSource,
} from './builtin.js';

/** Files of the machine running mcpgw that a recipe copies in, put next to its Dockerfile by the builder. */
export type HostFile = 'ca-bundle' | 'node' | 'npm';

/** A Debian root filesystem from debootstrap, imported as an image: the parent of every other recipe. */
export interface BaseRecipe {
  kind: 'debootstrap';
  image: string;
  suite: string;
}

/** A Dockerfile recipe in the package's images/ folder, built FROM `parent` (passed as the BASE build arg). */
export interface DockerRecipe {
  kind: 'dockerfile';
  image: string;
  /** Folder under images/, also what the image's io.mcpgw.recipe label names together with the package. */
  dir: string;
  /** What a failed build names: the recipe and, for an MCP server image, the package. */
  what: string;
  parent: Recipe;
  /** Images the Dockerfile copies from (`FROM ${ARG} AS …`): ARG name → recipe; their ids feed the hash. */
  uses: Record<string, Recipe>;
  args: Record<string, string>;
  hostFiles: HostFile[];
}

export type Recipe = BaseRecipe | DockerRecipe;

export const BASE_RECIPE: BaseRecipe = { kind: 'debootstrap', image: BUILTIN_BASE_IMAGE, suite: DEBIAN_SUITE };

function dockerfile(image: string, dir: string, parent: Recipe, extra: Partial<Pick<DockerRecipe, 'uses' | 'args' | 'hostFiles' | 'what'>> = {}): DockerRecipe {
  return {
    kind: 'dockerfile',
    image,
    dir,
    what: extra.what ?? `recipe images/${dir}`,
    parent,
    uses: extra.uses ?? {},
    args: extra.args ?? {},
    hostFiles: extra.hostFiles ?? [],
  };
}

export const NODE_RECIPE = dockerfile(BUILTIN_NODE_IMAGE, 'node', BASE_RECIPE, { hostFiles: ['node', 'npm', 'ca-bundle'] });
export const POSTGRES_RECIPE = dockerfile(BUILTIN_POSTGRES_IMAGE, 'postgres', BASE_RECIPE, { args: { PG_MAJOR: BUILTIN_POSTGRES_MAJOR } });
/** Debian's redis-server and haproxy: what a swarm stack runs beside the LiteLLM replicas. */
export const REDIS_RECIPE = dockerfile(BUILTIN_REDIS_IMAGE, 'redis', BASE_RECIPE);
export const HAPROXY_RECIPE = dockerfile(BUILTIN_HAPROXY_IMAGE, 'haproxy', BASE_RECIPE);

/**
 * LiteLLM from PyPI without a database, with the packages LITELLM_PINS holds for that release; `version` other
 * than the builtin one is for older releases (tests, and the deployments `upgrade` starts from).
 */
export function litellmProxyRecipe(version = BUILTIN_LITELLM_VERSION, image = litellmProxyImage(version)): DockerRecipe {
  const pins = LITELLM_PINS[version] ?? [];
  return dockerfile(image, 'litellm', BASE_RECIPE, {
    what: `litellm[proxy]==${version}${pins.map((pin) => ` ${pin}`).join('')} (recipe images/litellm)`,
    args: { LITELLM_VERSION: version, LITELLM_PINS: pins.join(' ') },
    hostFiles: ['ca-bundle'],
  });
}

/** LiteLLM in DB mode (images/litellm-db) on the proxy layer of the same release. */
export function litellmDbRecipe(version = BUILTIN_LITELLM_VERSION, image = BUILTIN_LITELLM_IMAGE, proxyImage = litellmProxyImage(version)): DockerRecipe {
  return dockerfile(image, 'litellm-db', litellmProxyRecipe(version, proxyImage), {
    what: `LiteLLM ${version} DB mode: prisma==${BUILTIN_PRISMA_PY_VERSION}, the Prisma wasm engine shim and prometheus_client==${BUILTIN_PROMETHEUS_CLIENT_VERSION} (recipe images/litellm-db)`,
    uses: { NODE_IMAGE: NODE_RECIPE },
    args: { PRISMA_PY_VERSION: BUILTIN_PRISMA_PY_VERSION, PROMETHEUS_CLIENT_VERSION: BUILTIN_PROMETHEUS_CLIENT_VERSION },
  });
}

export const LITELLM_RECIPE = litellmDbRecipe();

/** The image of an MCP server installed from npm or PyPI at build time, with the Debian packages it asks for. */
export function packageRecipe(source: PackageSource): DockerRecipe {
  const image = packageImage(source);
  if (!image) throw new Error(`unpinned package ${JSON.stringify(source)} passed validation`);
  const registry = 'npm' in source ? { npm: source.npm } : { pypi: source.pypi };
  const apt = aptPackages(source);
  if (apt.length === 0) return registryRecipe(image, registry);
  // Debian's packages go in a layer of their own on the package's image, which stays as it is without them.
  const parent = packageRecipe(registry);
  return dockerfile(image, 'mcp-apt', parent, { what: `${parent.what} with Debian's ${apt.join(', ')}`, args: { APT_PACKAGES: apt.join(' ') } });
}

function registryRecipe(image: string, source: { npm: string } | { pypi: string }): DockerRecipe {
  if ('npm' in source) return dockerfile(image, 'mcp-npm', NODE_RECIPE, { what: `npm package ${source.npm}`, args: { PACKAGE: source.npm } });
  return dockerfile(image, 'mcp-pypi', BASE_RECIPE, {
    what: `PyPI package ${source.pypi}`,
    uses: { NODE_IMAGE: NODE_RECIPE },
    args: { PACKAGE: source.pypi },
    hostFiles: ['ca-bundle'],
  });
}

/** The label value naming a recipe on the images it builds: the folder, and the package for an MCP server. */
export function recipeLabel(recipe: Recipe): string {
  if (recipe.kind === 'debootstrap') return `debootstrap:${recipe.suite}`;
  const detail = recipe.args.PACKAGE ?? recipe.args.APT_PACKAGES;
  return detail ? `${recipe.dir}:${detail}` : recipe.dir;
}

/**
 * Every recipe `wanted` needs, parents and used images first, each once: the order the builder goes in, so a
 * rebuilt parent (a new id) is there before the hash of its children is taken.
 */
export function buildOrder(wanted: Recipe[]): Recipe[] {
  const order: Recipe[] = [];
  const seen = new Set<string>();
  const visit = (recipe: Recipe): void => {
    if (seen.has(recipe.image)) return;
    if (recipe.kind === 'dockerfile') {
      visit(recipe.parent);
      for (const used of Object.values(recipe.uses)) visit(used);
    }
    seen.add(recipe.image);
    order.push(recipe);
  };
  for (const recipe of wanted) visit(recipe);
  return order;
}

/** One file of a build context: its path in the context, content digest and whether it is executable. */
export interface ContextEntry {
  path: string;
  sha256?: string;
  executable?: boolean;
  /** Set for a symbolic link (its target), which the context keeps as a link. */
  link?: string;
}

/**
 * The recipe hash an image carries in io.mcpgw.recipe-hash: the context (paths, contents, executable bits,
 * links), the build args and the ids of the parent and used images, so an unchanged recipe is a no-op and a
 * changed file, version or rebuilt parent is a rebuild. 32 hex characters, like test/stack/prepare.sh's.
 */
export function recipeHash(entries: ContextEntry[], args: Record<string, string>, imageIds: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(entry.link !== undefined ? `link ${entry.path} -> ${entry.link}\n` : `file ${entry.path} ${entry.executable ? 'x' : '-'} ${entry.sha256}\n`);
  }
  for (const [name, value] of Object.entries(args).sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`arg ${name}=${value}\n`);
  for (const [name, id] of Object.entries(imageIds).sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`image ${name}=${id}\n`);
  return hash.digest('hex').slice(0, 32);
}
