import { KEY_HEADER, keyHeaderValue } from '../../gateway/key-header.js';
import { requestJson } from '../../gateway/http.js';
import { fail, pass, warn, type Check } from '../types.js';

/** A model name no deployment has: should /health admit the key after all, it still calls no model. */
const NO_MODEL = 'mcpgw-doctor-no-such-model';

/**
 * LiteLLM's /health calls every model and, with health_check_details on (its default), returns each provider's
 * error text; it is open to every key unless the key's allowed_routes leave it out, as mcpgw's do.
 */
export const securityHealth: Check = {
  id: 'security.health',
  title: "LiteLLM's /health is the master key's alone and shows no provider errors",
  area: 'security',
  needs: ['config', 'database', 'gateway'],
  async run(ctx) {
    const [baseUrl, key, deployed] = await Promise.all([ctx.gatewayUrl(), ctx.noGrantKey(), ctx.deployedLitellmConfig()]);
    const { status } = await requestJson(`${baseUrl}/health?model=${NO_MODEL}`, { headers: { [KEY_HEADER]: keyHeaderValue(key) } }, ctx.deps.requestTimeoutMs);
    const settings = (deployed?.general_settings ?? {}) as Record<string, unknown>;
    const details = settings.health_check_details !== false;
    const evidence = [
      `GET /health with a fresh key mcpgw wrote → HTTP ${status}`,
      `general_settings.health_check_details: ${String(settings.health_check_details ?? 'unset (LiteLLM: true)')}`,
    ];
    if (status !== 401 && status !== 403)
      return fail(evidence, [
        {
          cause: 'LiteLLM admits a key mcpgw wrote on /health, which calls every model on each request',
          fix: 'run `mcpgw keys sync` (it gives rows without allowed_routes the routes mcpgw allows)',
        },
      ]);
    if (details)
      return warn(evidence, [
        { cause: "/health returns each provider's error text to whoever may call it", fix: '`mcpgw up` renders health_check_details: false' },
      ]);
    return pass(...evidence);
  },
};
