import { judgeVersion } from '../../gateway/litellm-checks.js';
import { fail, type Check } from '../types.js';

export const litellmVersion: Check = {
  id: 'litellm.version',
  title: 'LiteLLM is not a known-vulnerable or compromised release',
  area: 'litellm',
  // From the running proxy or its container when mcpgw.yaml does not validate.
  needs: [],
  async run(ctx) {
    const found = await ctx.litellmVersion();
    const judged = judgeVersion(found?.version);
    const evidence = found ? [`version ${found.version} (from the ${found.source})`, ...judged.evidence] : judged.evidence;
    // The probe only warns; the doctor's job is to refuse an affected release.
    if (judged.status === 'warn' && found) return fail(evidence, judged.causes);
    return { ...judged, evidence };
  },
};
