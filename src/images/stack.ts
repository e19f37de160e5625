import type { McpgwConfig } from '../config/schema.js';
import { LITELLM_RECIPE, packageRecipe, POSTGRES_RECIPE, type Recipe } from './recipes.js';

/** The recipes of the services mcpgw.yaml marks `build:`, in declaration order (the builder adds parents). */
export function stackRecipes(config: McpgwConfig): Recipe[] {
  const recipes: Recipe[] = [];
  if (config.postgres.build === 'builtin' && config.postgres.mode === 'bundled') recipes.push(POSTGRES_RECIPE);
  if (config.litellm.build === 'builtin') recipes.push(LITELLM_RECIPE);
  for (const server of Object.values(config.mcp_servers)) {
    const { npm, pypi } = server.build ?? {};
    if (npm) recipes.push(packageRecipe({ npm }));
    else if (pypi) recipes.push(packageRecipe({ pypi }));
  }
  return recipes;
}
