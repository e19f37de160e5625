import { METRICS_KEY_SECRET } from '../../config/generated-secrets.js';
import { checkMetricsScrape } from '../../gateway/litellm-checks.js';
import { fail, skip, type Check } from '../types.js';

/** The scrape the rendered Prometheus job makes: its target, its path, the scrape key mcpgw keeps (observability.prometheus). */
export const litellmMetrics: Check = {
  id: 'litellm.metrics',
  title: "Prometheus's scrape of /metrics answers with the scrape key",
  area: 'litellm',
  needs: ['config', 'secrets', 'gateway'],
  async run(ctx) {
    const prometheus = (await ctx.model()).observability?.prometheus;
    if (!prometheus) return skip('observability.prometheus is not enabled');
    const key = (await ctx.secrets()).get(METRICS_KEY_SECRET);
    if (!key)
      return fail(`${METRICS_KEY_SECRET} is not in the secrets file`, [
        { cause: 'the scrape key was never made', fix: 'run `mcpgw up` (it generates and syncs it)' },
      ]);
    return checkMetricsScrape(`http://${prometheus.target}/metrics/`, key, ctx.deps.requestTimeoutMs);
  },
};
