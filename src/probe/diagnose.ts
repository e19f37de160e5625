import { causeOf, describeAnswer, type ServerRole } from '../gateway/causes.js';
import type { ServerEndpoint, VantageAnswer } from '../gateway/vantage.js';
import type { DeclaredProbe } from './probe-tool.js';
import type { Cause } from './types.js';

/** What the probe knows about a server beyond the gateway, to explain why the gateway lists no tools from it. */
export interface ServerTarget {
  name: string;
  transport: 'sse' | 'http' | 'stdio';
  /** Container (and its compose service) mcpgw runs for it; absent for url and stdio servers. */
  container?: { name: string; service: string };
  /** How LiteLLM reaches it (config.yaml's URL and headers); absent for a stdio server LiteLLM spawns. */
  endpoint?: ServerEndpoint;
  role?: ServerRole;
  declaredProbe?: DeclaredProbe;
}

export interface ContainerLookup {
  /** undefined when the container does not exist. */
  containerState(name: string): Promise<{ running: boolean; status: string; exitCode?: number } | undefined>;
  /** The container's last log lines; absent where logs cannot be read. */
  logs?(name: string, tail: number): Promise<string>;
}

/** How far back LiteLLM's log is searched for its own line about a server. */
const LOG_TAIL = 300;

/** LiteLLM's newest log line about a server's tool listing (1.108.7: "Failed to get tools from server X: …"). */
export async function litellmLogLine(containers: ContainerLookup | undefined, litellmContainer: string, server: string): Promise<string | undefined> {
  const text = await containers?.logs?.(litellmContainer, LOG_TAIL).catch(() => undefined);
  const lines = (text ?? '').split('\n').filter((line) => line.includes(`server ${server}:`) || line.includes(`from ${server}:`));
  const line = lines.at(-1)?.trim();
  return line && line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** A container that is absent or stopped: the first cause of anything else that fails about its server. */
export async function containerCause(server: ServerTarget, containers: ContainerLookup | undefined): Promise<Cause | undefined> {
  if (!server.container || !containers) return undefined;
  const { name, service } = server.container;
  const state = await containers.containerState(name).catch(() => undefined);
  if (!state) return { cause: `container ${name} does not exist`, fix: 'run `mcpgw up`' };
  if (state.running) return undefined;
  return {
    cause: `container ${name} is ${state.status}${state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : ''}`,
    fix: `\`mcpgw logs ${service}\` shows why; \`mcpgw up\` starts it again`,
  };
}

/**
 * Why LiteLLM lists no tools from a server: its container is down, or what the server answered from LiteLLM's
 * place on the network (`reach`) names the class; if the server answers that place well, the fault is LiteLLM's.
 */
export async function diagnoseServer(
  server: ServerTarget,
  containers: ContainerLookup | undefined,
  reach: (server: ServerTarget) => Promise<VantageAnswer | Error | undefined>,
  litellmContainer?: string,
): Promise<Cause[]> {
  if (!server.endpoint) {
    return [
      {
        cause: `${server.name} is a stdio server LiteLLM spawns itself; the command failed or is missing in the LiteLLM container`,
        fix: '`mcpgw logs litellm` shows the spawn error; use a bridge container if the command is not in the image',
      },
    ];
  }
  const down = await containerCause(server, containers);
  if (down) return [down];
  const answer = await reach(server);
  if (answer instanceof Error || answer === undefined) {
    return [
      {
        cause: `LiteLLM lists no tools from ${server.name}, and mcpgw could not ask the server from LiteLLM's network${answer ? ` (${answer.message})` : ''}`,
        fix: '`mcpgw logs litellm` shows the MCP error',
      },
    ];
  }
  const found = causeOf(answer, server.role ?? {}) ?? {
    cause: `${server.name} answers LiteLLM's network well (${describeAnswer(answer)}), yet LiteLLM lists no tools from it`,
    fix: `check ${server.name}'s allowed_tools in mcpgw.yaml; \`mcpgw logs litellm\` shows LiteLLM's error`,
  };
  // LiteLLM's own word on the server, where its log has one: evidence for the cause, not the verdict.
  const logged = litellmContainer ? await litellmLogLine(containers, litellmContainer, server.name) : undefined;
  return [logged ? { ...found, seen: `LiteLLM logged: ${logged}` } : found];
}
