import { findStale } from '../../render/write.js';
import { DEPLOYED, NOT_RENDERED } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

export const configRendered: Check = {
  id: 'config.rendered',
  title: 'deployed files match what mcpgw.yaml renders',
  area: 'config',
  needs: ['config', 'secrets'],
  reports: 'rendered',
  async run(ctx) {
    const files = await ctx.rendered();
    const stale = await findStale((await ctx.loaded()).dir, files);
    if (stale.length === 0) return pass(`${files.length} files up to date`);
    // The checks that read the deployed config.yaml skip on this finding instead of repeating it.
    if (stale.some((file) => file.path === DEPLOYED && file.reason === 'missing'))
      return fail(
        stale.map((file) => `${file.path}: ${file.detail}`),
        [{ cause: `${NOT_RENDERED}: LiteLLM has no config file to read`, fix: 'run `mcpgw render` (or `mcpgw up`, which renders and starts the stack)' }],
      );
    return fail(
      stale.map((file) => `${file.path}: ${file.detail}`),
      [
        {
          cause: 'the running stack may use files that no longer match mcpgw.yaml (edited by hand, or not re-rendered)',
          fix: 'run `mcpgw render` then `mcpgw up` (hand edits belong in mcpgw.yaml)',
        },
      ],
    );
  },
};
