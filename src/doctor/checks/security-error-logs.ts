import { advisoriesFor } from '../../litellm/version.js';
import { renderedLitellmConfig } from '../deployed.js';
import { pass, warn, type Check } from '../types.js';

const SQLI = 'CVE-2026-42208';

export const securityErrorLogs: Check = {
  id: 'security.error-logs',
  title: `error logging is off where ${SQLI} (SQL injection on the error path) applies`,
  area: 'security',
  needs: ['config', 'rendered'],
  async run(ctx) {
    const found = await ctx.litellmVersion();
    if (!found || !advisoriesFor(found.version).some((advisory) => advisory.id === SQLI))
      return pass(`LiteLLM ${found?.version ?? '(unknown)'} is not affected by ${SQLI}`);
    const doc = await renderedLitellmConfig(ctx);
    const settings = (doc.general_settings ?? {}) as Record<string, unknown>;
    if (settings.disable_error_logs === true) return pass(`LiteLLM ${found.version} is affected by ${SQLI}; general_settings.disable_error_logs: true`);
    return warn(`LiteLLM ${found.version} is affected by ${SQLI} and general_settings.disable_error_logs is not true`, [
      {
        cause: 'a pre-auth SQL injection in key verification is reachable through the error-logging path',
        fix: 'upgrade litellm.image (see litellm.version); until then set general_settings.disable_error_logs: true',
      },
    ]);
  },
};
