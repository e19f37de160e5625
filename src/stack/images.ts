import type { McpgwConfig } from '../config/schema.js';
import type { Engine } from '../docker/engine.js';
import { builderHost, defaultLogDir, ImageBuilder } from '../images/build.js';
import { HAPROXY_RECIPE, LITELLM_RECIPE, packageRecipe, POSTGRES_RECIPE, REDIS_RECIPE, type Recipe } from '../images/recipes.js';
import type { Clock } from '../time/clock.js';
import type { Progress } from '../ui/progress.js';

/**
 * The recipes of the services mcpgw.yaml marks `build:`, in declaration order (the builder adds parents), and on a
 * swarm the coordination Redis and the front door, which always run mcpgw's images.
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
  if (config.engine === 'swarm') recipes.push(REDIS_RECIPE, HAPROXY_RECIPE);
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
