import { isFloatingTag } from '../../litellm/version.js';
import { fail, pass, skip, type Check } from '../types.js';

export const litellmImage: Check = {
  id: 'litellm.image',
  title: 'the LiteLLM image is pinned to a release (not main-latest)',
  area: 'litellm',
  // The running container's alone when mcpgw.yaml does not validate.
  needs: [],
  async run(ctx) {
    const configured = await ctx.loaded().then(
      ({ config }) => config.litellm.image,
      () => undefined,
    );
    // The running container may be older than mcpgw.yaml (edited but not `up`): both must be pinned.
    const running = await ctx.litellmContainer().catch(() => undefined);
    const images = [
      ...(configured !== undefined ? [{ where: 'mcpgw.yaml litellm.image', image: configured }] : []),
      ...(running && running.image !== configured ? [{ where: `container ${running.name}`, image: running.image }] : []),
    ];
    if (images.length === 0) return skip('no LiteLLM container runs, and mcpgw.yaml, which names its image, does not validate');
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
