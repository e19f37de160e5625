import { loadConfig } from '../../config/load.js';
import { localBuilds, stackRecipes } from '../../stack/images.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';

export interface ImagesBuildOptions {
  logDir?: string;
}

/** Builds every image mcpgw.yaml marks `build:` (and the images they are built on) that is missing or stale. */
export async function imagesBuildCommand(ctx: CommandContext, options: ImagesBuildOptions): Promise<void> {
  const { ui, deps } = ctx;
  const { config } = await loadConfig(ctx.configFile);
  if (stackRecipes(config).length === 0) {
    if (ctx.options.json) ui.json({ images: [] });
    else ui.result('nothing to build: no service in mcpgw.yaml is marked build:');
    return;
  }
  const { recipes, builder } = localBuilds(config, await deps.docker(), await ctx.progress(), deps.env, deps.clock, options.logDir);
  const outcomes = await builder.ensure(recipes);
  if (ctx.options.json) ui.json({ images: outcomes });
  else ui.result(formatTable(['IMAGE', 'STATE', 'TIME'], outcomes.map((outcome) => [outcome.image, outcome.state, outcome.seconds === undefined ? '' : `${outcome.seconds.toFixed(1)} s`])));
}
