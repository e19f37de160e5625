import { KEY_HEADER, keyHeaderValue } from '../../gateway/key-header.js';
import { parseSecrets } from '../../config/secrets.js';
import { requestJson } from '../../gateway/http.js';
import { isProviderDefaultVariable, PASS_THROUGH_PREFIXES } from '../../litellm/routes.js';
import { envFileFor } from '../../render/compose.js';
import { LITELLM_SERVICE, secretOfLitellmVariable } from '../../stack/model.js';
import { fail, pass, type Cause, type Check } from '../types.js';

/**
 * LiteLLM's provider pass-through routes (/anthropic/*, /openai/*, …) forward a request with the provider
 * credential LiteLLM finds in its environment (`<PROVIDER>_API_KEY`), for any key they admit (src/litellm/routes.ts).
 * Two halves: no such variable in LiteLLM's deployed env file, and a fresh key with no grant refused on every
 * prefix. The probe path leads nowhere on the provider's side, and a refused request is never forwarded.
 */
export const securityPassthrough: Check = {
  id: 'security.passthrough',
  title: "a key cannot spend the operator's provider key through LiteLLM's pass-through routes",
  area: 'security',
  needs: ['config', 'database', 'gateway'],
  async run(ctx) {
    const envFile = envFileFor(LITELLM_SERVICE);
    const text = await ctx.deployed(envFile);
    const defaults = text === undefined ? [] : [...parseSecrets(text, envFile).keys()].filter(isProviderDefaultVariable);
    const [baseUrl, key] = await Promise.all([ctx.gatewayUrl(), ctx.noGrantKey()]);
    const answers = await Promise.all(
      PASS_THROUGH_PREFIXES.map(async (prefix) => {
        const route = `${prefix}/mcpgw-doctor`;
        const { status } = await requestJson(`${baseUrl}${route}`, { headers: keyHeaders(prefix, key) }, ctx.deps.requestTimeoutMs);
        return { route, status };
      }),
    );
    // 404/405: no route of that prefix takes a GET there (e.g. /bespoke has only POST /bespoke/v1/systemone), so
    // nothing was forwarded; a route that ran would answer otherwise.
    const admitted = answers.filter(({ status }) => ![401, 403, 404, 405].includes(status));
    const evidence = [
      `${envFile}: ${defaults.length > 0 ? `provider default variable(s) ${defaults.join(', ')}` : 'no provider default variable'}`,
      admitted.length > 0
        ? `a fresh key with no grant was admitted on ${admitted.map(({ route, status }) => `GET ${route} → HTTP ${status}`).join(', ')}`
        : `a fresh key with no grant is refused on all ${answers.length} pass-through prefixes (${statusCounts(answers)})`,
    ];
    const causes: Cause[] = [];
    if (defaults.length > 0)
      causes.push({
        cause:
          `LiteLLM's environment holds ${defaults.join(', ')}: the pass-through route of that provider sends it upstream for any key ` +
          'it admits, whatever the key may use (this env file was rendered by an older mcpgw, or by hand)',
        fix: `\`mcpgw up\` renders them as MCPGW_SECRET_<NAME> (the secrets file keeps ${defaults.map(secretOfLitellmVariable).join(', ')}) and recreates LiteLLM`,
      });
    if (admitted.length > 0)
      causes.push({
        cause: 'LiteLLM admits a key mcpgw wrote on its provider pass-through routes: its allowed_routes do not hold',
        fix: 'run `mcpgw keys sync` (it gives rows without allowed_routes the routes mcpgw allows); check the LiteLLM version against src/litellm/routes.ts',
      });
    return causes.length > 0 ? fail(evidence, causes) : pass(...evidence);
  },
};

/** `403 ×28, 404 ×2`: how the prefixes answered. */
function statusCounts(answers: { status: number }[]): string {
  const counts = new Map<number, number>();
  for (const { status } of answers) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status} ×${count}`)
    .join(', ');
}

/**
 * The key where the route reads it: LiteLLM's own header, except on two routes that authenticate only what their
 * provider's SDK sends and answer anything else before the route check could speak: /gemini (`x-goog-api-key`)
 * and /langfuse (Basic credentials, the LiteLLM key as the secret half).
 */
function keyHeaders(prefix: string, key: string): Record<string, string> {
  if (prefix === '/gemini') return { 'x-goog-api-key': key };
  if (prefix === '/langfuse') return { authorization: `Basic ${Buffer.from(`pk-mcpgw-doctor:${key}`).toString('base64')}` };
  return { [KEY_HEADER]: keyHeaderValue(key) };
}
