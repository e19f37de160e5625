import { requestJson } from '../../gateway/http.js';
import { fail, pass, type Check } from '../types.js';

/**
 * LiteLLM serves its admin UI on the API's own port, the one published to the LAN. With DISABLE_ADMIN_UI the UI
 * says it is off (its discovery answer, which the UI reads first) and its SSO routes refuse; LiteLLM 1.108.7
 * still serves the UI's static files. mcpgw renders the variable unless `litellm.admin_ui: true`.
 */
export const securityAdminUi: Check = {
  id: 'security.admin-ui',
  title: "LiteLLM's admin UI is off on the LAN port unless litellm.admin_ui asks for it",
  area: 'security',
  needs: ['config', 'gateway'],
  async run(ctx) {
    const [baseUrl, loaded] = await Promise.all([ctx.gatewayUrl(), ctx.loaded()]);
    const { status, body } = await requestJson(`${baseUrl}/.well-known/litellm-ui-config`, {}, ctx.deps.requestTimeoutMs);
    const disabled = (body as { admin_ui_disabled?: unknown } | undefined)?.admin_ui_disabled;
    const evidence = `GET /.well-known/litellm-ui-config → HTTP ${status}, admin_ui_disabled: ${String(disabled)}`;
    if (loaded.config.litellm.admin_ui) return pass(evidence, 'litellm.admin_ui: true in mcpgw.yaml: the UI is asked for');
    if (disabled === true || status === 404) return pass(evidence);
    return fail(evidence, [
      {
        cause: `LiteLLM's admin UI answers on port ${loaded.config.litellm.port}, published on ${loaded.config.bind}, though mcpgw.yaml does not ask for it`,
        fix: '`mcpgw up` renders DISABLE_ADMIN_UI=True and recreates LiteLLM (set litellm.admin_ui: true to keep the UI)',
      },
    ]);
  },
};
