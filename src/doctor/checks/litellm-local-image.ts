import { RECIPE_HASH_LABEL, RECIPE_LABEL } from '../../images/builtin.js';
import { pass, skip, warn, type Check } from '../types.js';
import { litellmService } from '../../stack/model.js';

/** What the locally built image changes against BerriAI's, said wherever it runs (README: "The locally built LiteLLM image"). */
const DIFFERENCE =
  "Prisma's native query engine is replaced by its wasm build behind the binary's interface " +
  'and `prisma migrate deploy` by migrate-deploy.mjs (README.md: "The locally built LiteLLM ' +
  'image" says what is covered and what was not checked)';

export const litellmLocalImage: Check = {
  id: 'litellm.local-image',
  title: 'whether LiteLLM runs on an image mcpgw built itself (and so differs from upstream), as mcpgw.yaml asks',
  area: 'litellm',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "reads one engine's LiteLLM container; on a swarm replicas.version and swarm.images judge the replicas' image" },
  async run(ctx) {
    const { config } = await ctx.loaded();
    const service = litellmService(await ctx.model());
    const container = (await ctx.containers()).find((entry) => entry.name === service.containerName);
    if (!container) return skip(`no container ${service.containerName} (run mcpgw up)`);
    const labels = (await (await ctx.docker()).imageLabels(container.image)) ?? {};
    const recipe = labels[RECIPE_LABEL];
    const origin = recipe ? `, built by mcpgw from recipe ${recipe} (recipe hash ${labels[RECIPE_HASH_LABEL] ?? 'none'})` : ', an image mcpgw did not build';
    const evidence = `container ${container.name} runs ${container.image}${origin}`;
    if (config.litellm.build === 'builtin' && !recipe) {
      return warn(evidence, [
        {
          cause: 'mcpgw.yaml has litellm.build: builtin, but the running container is not on the image mcpgw builds',
          fix: 'run mcpgw up (it builds the image when missing and recreates LiteLLM on it)',
        },
      ]);
    }
    return recipe ? pass(evidence, `a locally built LiteLLM, not BerriAI's image: ${DIFFERENCE}`) : pass(evidence);
  },
};
