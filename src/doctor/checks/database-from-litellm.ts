import { checkReadiness } from '../../gateway/litellm-checks.js';
import type { Check } from '../types.js';

export const databaseFromLitellm: Check = {
  id: 'database.from-litellm',
  title: 'LiteLLM itself is connected to its database',
  area: 'database',
  needs: ['gateway'],
  async run(ctx) {
    return checkReadiness(await ctx.gatewayUrl(), ctx.deps.requestTimeoutMs);
  },
};
