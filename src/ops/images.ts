import { loadConfig } from '../config/load.js';
import type { BuildOutcome } from '../images/build.js';
import { localBuilds, stackRecipes } from '../stack/images.js';
import type { OpContext } from './context.js';

/** Builds every image mcpgw.yaml marks `build:` (and the images they are built on) that is missing or stale. */
export async function buildStackImages(ctx: OpContext, logDir?: string): Promise<BuildOutcome[]> {
  const { deps } = ctx;
  const { config } = await loadConfig(ctx.configFile);
  // Nothing to build asks nothing of Docker.
  if (stackRecipes(config).length === 0) return [];
  const { recipes, builder } = localBuilds(config, await deps.docker(), await ctx.progress(), deps.env, deps.clock, logDir);
  return builder.ensure(recipes);
}
