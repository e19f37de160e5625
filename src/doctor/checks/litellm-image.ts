import { isFloatingTag } from '../../litellm/version.js';
import { fail, pass, type Check } from '../types.js';
import { litellmService } from '../../stack/model.js';

export const litellmImage: Check = {
  id: 'litellm.image',
  title: 'the LiteLLM image is pinned to a release (not main-latest)',
  area: 'litellm',
  needs: ['config'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const model = await ctx.model();
    const service = litellmService(model);
    // The running container may be older than mcpgw.yaml (edited but not `up`): both must be pinned.
    const running = (await ctx.containers().catch(() => [])).find((container) => container.name === service.containerName)?.image;
    const images = [
      { where: 'mcpgw.yaml litellm.image', image: config.litellm.image },
      ...(running && running !== config.litellm.image ? [{ where: `container ${service.containerName}`, image: running }] : []),
    ];
    const floating = images.filter(({ image }) => isFloatingTag(image));
    const evidence = images.map(({ where, image }) => `${where}: ${image}`);
    if (floating.length === 0) return pass(...evidence);
    return fail(evidence, [
      {
        cause:
          `${floating.map(({ image }) => image).join(', ')} is a floating tag: it changes under you ` +
          `(the seed ran main-latest) and no advisory can be checked against it`,
        fix:
          'set litellm.image to a release tag such as ghcr.io/berriai/litellm-database:v1.108.7 (see ' +
          '`mcpgw doctor --only litellm.version`), then `mcpgw up`',
      },
    ]);
  },
};
