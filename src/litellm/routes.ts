/**
 * What LiteLLM 1.108.7 lets a virtual key call, as far as mcpgw's keys are concerned
 * (litellm/proxy/_types.py LiteLLMRoutes, litellm/proxy/auth/route_checks.py).
 *
 * Its provider pass-through routes (`/anthropic/*`, `/openai/*`, `/gemini/*`, …) count as LLM API routes, so any
 * key without `allowed_routes` may call them. They check neither the key's models nor its grants: they forward
 * the request to the provider with the credential LiteLLM finds for it, the `api_key` of a deployment marked
 * `use_in_pass_through`, else the environment variable `<PROVIDER>_API_KEY` (passthrough_endpoint_router.py), and
 * bill the key. `denied_passthrough_routes` in a key's metadata only guards routes registered in config with
 * `auth: true`, not these. What closes them for a key is `allowed_routes`: a non-empty list admits only the routes
 * it names, by path or by LiteLLMRoutes group name (`is_virtual_key_allowed_to_call_route`).
 */

/**
 * The groups a key mcpgw writes may call: the OpenAI-, Anthropic- and Google-format model routes (LiteLLM's own
 * handlers, which check the key's models) and MCP's data plane (`/mcp/…`, `/mcp-rest/tools/*`). Not the
 * pass-through routes, not `info_routes` (its `/health` calls every model), not the MCP test and management
 * routes, not agents.
 */
export const KEY_ALLOWED_ROUTES: readonly string[] = ['anthropic_routes', 'google_routes', 'mcp_inference_routes', 'openai_routes'];

/** LiteLLMRoutes.mapped_pass_through_routes in 1.108.7: each prefix forwards `<prefix>/…` to a provider. */
export const PASS_THROUGH_PREFIXES: readonly string[] = [
  '/anthropic',
  '/assemblyai',
  '/azure',
  '/azure_ai',
  '/azure_speech',
  '/bedrock',
  '/bespoke',
  '/cohere',
  '/comprehendmedical',
  '/cursor',
  '/deepgram',
  '/eu.assemblyai',
  '/fal_ai',
  '/gemini',
  '/gigachat',
  '/langfuse',
  '/laya',
  '/milvus',
  '/mistral',
  '/nvidia_nim',
  '/openai',
  '/openai_passthrough',
  '/openrouter',
  '/tinyfish',
  '/transcribe',
  '/typesafe',
  '/vertex-ai',
  '/vertex_ai',
  '/vllm',
  '/watsonx',
];

/**
 * Variables LiteLLM reads by itself as a provider's credential: `<PROVIDER>_API_KEY` for every pass-through
 * route and model without its own key, and the cloud SDKs' default chains (AWS, Google, Azure).
 */
const CLOUD_CREDENTIALS = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'DEFAULT_GOOGLE_APPLICATION_CREDENTIALS',
  'AZURE_AD_TOKEN',
  'AZURE_CLIENT_SECRET',
]);

/** mcpgw's own variables (MCPGW_SECRET_<NAME>): no LiteLLM provider is called MCPGW_…, so none reads them. */
const MCPGW_PREFIX = 'MCPGW_';

export function isProviderDefaultVariable(name: string): boolean {
  return !name.startsWith(MCPGW_PREFIX) && (name.endsWith('_API_KEY') || CLOUD_CREDENTIALS.has(name));
}
