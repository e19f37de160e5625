import type { McpgwConfig } from '../config/schema.js';
import { gatewayTransport, LITELLM_SERVICE, mcpServerService, runsOwnContainer, type StackModel } from '../stack/model.js';
import { grantingKeys } from '../config/grants.js';

export interface ServerRow {
  name: string;
  transport: string;
  /** container, bridge→http, litellm (stdio spawned by LiteLLM) or url. */
  runs: string;
  endpoint: string;
  state: string;
  /** Tools LiteLLM lists for it; null when the gateway could not be asked. */
  tools: number | null;
  keys: string[];
}

/** What mcp list found outside mcpgw.yaml; each source is undefined when it could not be reached. */
export interface ListSources {
  /** Compose service name → container state. */
  containers?: Map<string, string>;
  /** Server name → tools LiteLLM lists for it, or null when asking failed. */
  toolCounts?: Map<string, number | null>;
  /** Server name → aliases of keys in LiteLLM's database that grant it. */
  dbGrants?: Map<string, string[]>;
}

export function serverRows(config: McpgwConfig, model: StackModel, sources: ListSources): ServerRow[] {
  return Object.entries(config.mcp_servers).map(([name, server]) => {
    const litellmEntry = model.litellmConfig.mcp_servers[name] ?? {};
    const service = mcpServerService(model, name);
    let runs: string;
    let endpoint: string;
    let stateOf: string | undefined;
    if (runsOwnContainer(server) && service) {
      runs = server.transport === 'stdio' ? `bridge→${gatewayTransport(server)}` : 'container';
      // Where LiteLLM reaches it; the server's port is published on this machine only with publish: true.
      endpoint = String(litellmEntry.url ?? '');
      stateOf = service.name;
    } else if (server.transport === 'stdio') {
      runs = 'litellm';
      endpoint = oneLine(['stdio:', litellmEntry.command, ...((litellmEntry.args as string[] | undefined) ?? [])].join(' '));
      stateOf = LITELLM_SERVICE;
    } else {
      runs = 'url';
      endpoint = server.url ?? '';
    }
    const state = stateOf === undefined ? 'external' : sources.containers ? (sources.containers.get(stateOf) ?? 'absent') : 'unknown';
    const keys = [...new Set([...grantingKeys(config, name), ...(sources.dbGrants?.get(name) ?? [])])].sort();
    return { name, transport: server.transport, runs, endpoint, state, tools: sources.toolCounts?.get(name) ?? null, keys };
  });
}

/** A table cell: an inline script passed as an argument would otherwise break the table over many lines. */
function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
