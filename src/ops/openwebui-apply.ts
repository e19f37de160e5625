import { mergeConnection, openWebuiConnection, OPENWEBUI_TOKEN_VAR, type ConnectionMerge } from '../clients/openwebui.js';
import { StepFailed, UserError } from '../errors.js';
import { requestJson, type JsonAnswer } from '../gateway/http.js';
import { configureClient, type ClientConfigRequest } from './client-config.js';
import type { OpContext } from './context.js';

/** Verify has Open WebUI connect to the gateway and list its tools, which a loaded LiteLLM may take seconds for. */
const OPENWEBUI_TIMEOUT_MS = 30_000;

export interface OpenWebuiApplyOutcome {
  /** The gateway's MCP endpoint the connection points at. */
  url: string;
  /** Open WebUI's base URL. */
  openWebui: string;
  action: ConnectionMerge['action'];
  /** Tool names Open WebUI listed through the connection when it verified it. */
  tools: string[];
}

/** Open WebUI's own words for a refusal: FastAPI's `detail` (a string, or a list of validation errors), else the body. */
function refusal(answer: JsonAnswer): string {
  const detail = (answer.body as { detail?: unknown } | null)?.detail;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail ?? answer.body);
  return `HTTP ${answer.status}: ${text.slice(0, 500)}`;
}

/**
 * Puts the gateway's connection into a running Open WebUI through its admin API: reads the stored tool servers,
 * has Open WebUI verify the connection (it connects to the gateway with the key and lists the tools), and saves
 * the list with the connection merged in, other connections kept; nothing is saved when it is already there.
 */
export async function applyOpenWebui(ctx: OpContext, openWebuiUrl: string, options: Omit<ClientConfigRequest, 'write'>): Promise<OpenWebuiApplyOutcome> {
  const token = ctx.deps.env[OPENWEBUI_TOKEN_VAR];
  if (!token)
    throw new UserError(
      `${OPENWEBUI_TOKEN_VAR} is not set: --apply needs an Open WebUI admin token`,
      `export ${OPENWEBUI_TOKEN_VAR}=<token> (an admin's API key or session token)`,
    );
  ctx.ui.addSecrets([token]);
  const { url, key } = await configureClient(ctx, 'openwebui', { ...options, write: false });
  if (key === undefined)
    throw new UserError('--apply sends the key to Open WebUI: mcpgw needs it', 'pass --key-alias ALIAS (a key from mcpgw.yaml) or --key sk-…');
  const base = openWebuiUrl.replace(/\/+$/, '');
  const api = `${base}/api/v1/configs/tool_servers`;
  const call = async (what: string, target: string, body?: unknown, hint?: string): Promise<JsonAnswer> => {
    const init: RequestInit = { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' } };
    if (body !== undefined) Object.assign(init, { method: 'POST', body: JSON.stringify(body) });
    const answer = await requestJson(target, init, OPENWEBUI_TIMEOUT_MS, ctx.deps.fetch).catch((error: unknown) => {
      throw new StepFailed(
        `${what}: ${base} did not answer (${error instanceof Error ? error.message : String(error)})`,
        'check the Open WebUI URL and that it is running',
      );
    });
    if (answer.status !== 200)
      throw new StepFailed(
        `${what}: Open WebUI answered ${refusal(answer)}`,
        answer.status === 401 || answer.status === 403 ? `${OPENWEBUI_TOKEN_VAR} must be an admin's token` : hint,
      );
    return answer;
  };

  const stored = await call('reading the tool servers', api);
  const existing = (stored.body as { TOOL_SERVER_CONNECTIONS?: Record<string, unknown>[] | null }).TOOL_SERVER_CONNECTIONS ?? [];
  const wanted = openWebuiConnection({ name: options.name, url, key });
  const merge = mergeConnection(existing, wanted);
  // Verify returns 200 with the tools it listed; a connection it cannot reach is a 400 naming no cause.
  const verified = await call(
    `verifying ${url} from Open WebUI`,
    `${api}/verify`,
    wanted,
    `Open WebUI must reach ${url} (its own network, not this machine's) with a key that has MCP grants: \`mcpgw probe\` checks the gateway`,
  );
  const tools = ((verified.body as { specs?: { name?: string }[] }).specs ?? []).map((spec) => spec.name ?? '?');
  if (merge.action !== 'unchanged') await call('saving the tool servers', api, { TOOL_SERVER_CONNECTIONS: merge.connections });
  return { url, openWebui: base, action: merge.action, tools };
}
