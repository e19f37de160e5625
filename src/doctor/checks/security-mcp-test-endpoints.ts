import { advisoriesFor } from '../../litellm/version.js';
import { requestJson } from '../../gateway/http.js';
import { pass, warn, type Check } from '../types.js';

const ADVISORY = 'CVE-2026-42271';
const ENDPOINTS = ['/mcp-rest/test/connection', '/mcp-rest/test/tools/list'] as const;

/**
 * Each endpoint is asked without a key and with a body that cannot validate (a JSON array), so nothing can
 * be connected to or spawned: 422 means the request reached the handler with no key at all, 401 that any
 * valid key does (affected releases have no role check behind it), 404 that the route is not there.
 */
export const securityMcpTestEndpoints: Check = {
  id: 'security.mcp-test-endpoints',
  title: `the MCP test endpoints (${ADVISORY}) are not open to non-admins`,
  area: 'security',
  needs: ['gateway'],
  async run(ctx) {
    const found = await ctx.litellmVersion();
    if (!found || !advisoriesFor(found.version).some((advisory) => advisory.id === ADVISORY))
      return pass(`LiteLLM ${found?.version ?? '(unknown)'} is not affected by ${ADVISORY}`);
    const baseUrl = await ctx.gatewayUrl();
    const answers = await Promise.all(
      ENDPOINTS.map(async (endpoint) => {
        const { status } = await requestJson(
          `${baseUrl}${endpoint}`,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' },
          ctx.deps.requestTimeoutMs,
        );
        return { endpoint, status, open: status === 422 ? ('without any key' as const) : status === 401 ? ('with any valid key' as const) : undefined };
      }),
    );
    const evidence = answers.map(
      ({ endpoint, status, open }) => `POST ${endpoint} without a key (invalid body) → HTTP ${status}${open ? `: reachable ${open}` : ''}`,
    );
    const open = answers.filter((answer) => answer.open);
    if (open.length === 0) return pass(...evidence);
    return warn(evidence, [
      {
        cause:
          `LiteLLM ${found.version} is affected by ${ADVISORY}: ` +
          `${open.map((answer) => `${answer.endpoint} is reachable ${answer.open}`).join('; ')} — ` +
          `these endpoints make LiteLLM connect to, or for stdio spawn, a server the caller describes`,
        fix:
          'upgrade litellm.image (see litellm.version) and `mcpgw up`; until then publish LiteLLM on ' +
          '127.0.0.1 only (bind in mcpgw.yaml) and give keys to no one you would not give a shell',
      },
    ]);
  },
};
