import type { McpgwConfig } from '../config/schema.js';
import type { Engine } from '../docker/engine.js';
import { builderHost, defaultLogDir, ImageBuilder } from '../images/build.js';
import { HAPROXY_RECIPE, LITELLM_RECIPE, packageRecipe, POSTGRES_RECIPE, REDIS_RECIPE, type Recipe } from '../images/recipes.js';
import type { Clock } from '../time/clock.js';
import type { Progress } from '../ui/progress.js';
import { mcpServiceName, type StackModel } from './model.js';

/**
 * The recipes of the services mcpgw.yaml marks `build:`, in declaration order (the builder adds parents), the front
 * door's and on a swarm the coordination Redis's, which always run mcpgw's images.
 */
export function stackRecipes(config: McpgwConfig): Recipe[] {
  const recipes: Recipe[] = [];
  if (config.postgres.build === 'builtin' && config.postgres.mode === 'bundled') recipes.push(POSTGRES_RECIPE);
  if (config.litellm.build === 'builtin') recipes.push(LITELLM_RECIPE);
  for (const server of Object.values(config.mcp_servers)) {
    const { npm, pypi, apt } = server.build ?? {};
    if (npm) recipes.push(packageRecipe({ npm, apt }));
    else if (pypi) recipes.push(packageRecipe({ pypi, apt }));
  }
  if (config.engine === 'swarm') recipes.push(REDIS_RECIPE);
  recipes.push(HAPROXY_RECIPE);
  return recipes;
}

/** The images a stack builds and the builder for them on this machine (build logs in `logDir`). */
export interface LocalBuilds {
  recipes: Recipe[];
  builder: ImageBuilder;
}

export function localBuilds(
  config: McpgwConfig,
  engine: Engine,
  progress: Progress,
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock,
  logDir = defaultLogDir(env),
): LocalBuilds {
  return { recipes: stackRecipes(config), builder: new ImageBuilder({ engine, progress, clock, host: builderHost(env), logDir }) };
}

/**
 * Where no registry answers (an air-gapped LAN), the way out is mcpgw building the image from packages: the
 * fix names the build field of the service that uses the image, beside loading or retagging it.
 */
export function unpullableFix(model: StackModel, image: string): string {
  const builds = model.services
    .filter((service) => service.image === image)
    .map((service) => {
      if (service.role === 'litellm') return 'litellm.build: builtin';
      if (service.role === 'postgres') return 'postgres.build: builtin';
      const server = Object.keys(model.litellmConfig.mcp_servers).find((name) => mcpServiceName(name) === service.name);
      return server ? `mcp_servers.${server}.build: { npm: "PACKAGE@X.Y.Z" } or { pypi: "PACKAGE==X.Y.Z" } with the command it installs` : undefined;
    })
    .filter((field): field is string => field !== undefined);
  const build = builds.length > 0 ? `let mcpgw build it from packages (${[...new Set(builds)].join('; ')}), ` : '';
  return `${build}load or build it on this machine (docker load / docker build), or point the image field in mcpgw.yaml at a local tag`;
}
