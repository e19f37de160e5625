import type { Cause } from '../outcome.js';
import type { VantageAnswer } from './vantage.js';

/** LiteLLM 1.108.7 drops a server from a listing that takes longer (LITELLM_MCP_TOOL_LISTING_TIMEOUT). */
export const LITELLM_TOOL_LISTING_TIMEOUT_MS = 30_000;

/** How mcpgw runs the server, so a fix can name the field to change. */
export interface ServerRole {
  /** Compose service of the container mcpgw runs for it; absent for a `url:` server. */
  service?: string;
  /** Seen by `mcpgw up` right after it put the container on its networks: `up` is then no fix to name. */
  inUp?: boolean;
}

const LABEL = { sse: 'SSE', http: 'streamable HTTP' } as const;

/**
 * Why LiteLLM cannot use a server, from what its own place on the network answered: the class of failure and the
 * fix in mcpgw.yaml terms. undefined when the answer shows nothing wrong (the cause is then on LiteLLM's side).
 */
export function causeOf(answer: VantageAnswer, role: ServerRole): Cause | undefined {
  const field = `mcp_servers.${answer.name}`;
  const url = new URL(answer.url);
  const where = `${answer.url} (as LiteLLM reaches it)`;
  const seen = [answer.status ? `HTTP ${answer.status}` : '', bodyText(answer.body), answer.error ?? ''].filter(Boolean).join(' ');
  if (answer.ok) {
    if ((answer.tools ?? []).length === 0)
      return {
        cause: `${answer.name} answers at ${where} but lists no tools`,
        fix: `check the server's own configuration (its tools may need a setting or a secret in ${field}.env)`,
      };
    if (answer.elapsed_ms > LITELLM_TOOL_LISTING_TIMEOUT_MS) {
      return {
        cause:
          `${answer.name} takes ${(answer.elapsed_ms / 1000).toFixed(0)} s to list its tools, longer ` +
          `than LiteLLM's tool-listing timeout (${LITELLM_TOOL_LISTING_TIMEOUT_MS / 1000} s): LiteLLM ` +
          `drops it from every listing`,
        fix:
          `make the server list its tools faster (\`mcpgw logs ${role.service ?? 'litellm'}\` shows ` +
          `what it does meanwhile), or give it a host with more CPU`,
      };
    }
    return undefined;
  }
  switch (answer.stage) {
    case 'resolve':
      return role.service
        ? {
            cause: `LiteLLM cannot resolve ${url.hostname}: the container ${role.service} is not on the network it shares with LiteLLM (or does not exist)`,
            fix: role.inUp
              ? `\`docker inspect ${url.hostname}\` shows its networks and \`docker network inspect\` who shares them: something detached it after \`up\` attached it`
              : '`mcpgw up` recreates it on the network; `mcpgw doctor --only network` shows the attachments',
          }
        : {
            cause: `LiteLLM cannot resolve ${url.hostname} (${answer.error ?? 'no address'})`,
            fix: `put a name LiteLLM's container can resolve (or an address) in ${field}.url`,
          };
    case 'connect':
      if (/refused/i.test(answer.error ?? '')) {
        return role.service
          ? {
              cause:
                `connection refused at ${url.host}: nothing listens on port ${url.port || 80} on the ` +
                `container's network address (the server listens on 127.0.0.1 inside its container, or on ` +
                `another port than container_port)`,
              fix:
                `make the server listen on 0.0.0.0 (its host option or HOST variable), or set ` +
                `${field}.container_port to the port it listens on, then \`mcpgw up\``,
            }
          : { cause: `connection refused at ${url.host}`, fix: `check that the server runs and that ${field}.url has its port` };
      }
      return { cause: `LiteLLM cannot connect to ${url.host}: ${answer.error ?? 'no route'}`, fix: `check ${field} and that the server runs` };
    case 'timeout': {
      const pastLiteLLM =
        answer.elapsed_ms > LITELLM_TOOL_LISTING_TIMEOUT_MS ? `, longer than LiteLLM's tool-listing timeout (${LITELLM_TOOL_LISTING_TIMEOUT_MS / 1000} s)` : '';
      return {
        cause: `${answer.name} did not answer at ${where} within the deadline${pastLiteLLM}`,
        fix: `see \`mcpgw logs ${role.service ?? 'litellm'}\`; LiteLLM gives up on a listing after ${LITELLM_TOOL_LISTING_TIMEOUT_MS / 1000} s`,
      };
    }
    default:
      return refusal(answer, field, where, seen);
  }
}

/**
 * A refusal waiting cannot change: the server is up and answers, and what it answers is its configuration (the Host
 * header it rejects, another transport it speaks, credentials of its own). A wait for it ends at once.
 */
export function settledRefusal(answer: VantageAnswer): boolean {
  if (answer.ok || answer.status === undefined) return false;
  return (
    answer.status === 421 || /invalid host header/i.test(answer.body ?? '') || answer.speaks !== undefined || answer.status === 401 || answer.status === 403
  );
}

/** The server answered, and refused: by status, body and what it speaks instead. */
function refusal(answer: VantageAnswer, field: string, where: string, seen: string): Cause {
  const status = answer.status;
  const port = new URL(answer.url).port || '80';
  if (status === 421 || /invalid host header/i.test(answer.body ?? '')) {
    return {
      cause:
        `${answer.name} rejects the Host header LiteLLM sends (${new URL(answer.url).host}): ` +
        `${seen}. Its MCP SDK's DNS-rebinding protection allows only localhost names`,
      fix:
        `set ${field}.host_header: "localhost:${port}" (LiteLLM then sends that Host), or turn the ` +
        `protection off / allow the name in the server's own settings; then \`mcpgw up\``,
    };
  }
  if (answer.speaks?.transport === answer.transport) {
    return {
      cause: `nothing serves ${LABEL[answer.transport]} at ${where} (${seen}); the server serves it at ${answer.speaks.path}`,
      fix: `set ${field}.path: ${answer.speaks.path}, then \`mcpgw up\``,
    };
  }
  if (answer.speaks) {
    const { transport, path } = answer.speaks;
    return {
      cause:
        `${answer.name} is configured as ${answer.transport} (${LABEL[answer.transport]} at ` +
        `${new URL(answer.url).pathname}) but speaks ${LABEL[transport]} at ${path}`,
      fix: `set ${field}.transport: ${transport === 'http' ? 'http' : 'sse'} and ${field}.path: ${path}, then \`mcpgw up\``,
    };
  }
  if (status === 401 || status === 403) {
    return {
      cause: `${answer.name} requires credentials of its own and refused LiteLLM (${seen})`,
      fix:
        `turn the server's own authentication off (mcpgw publishes no MCP port unless asked to, and ` +
        `LiteLLM holds the keys), or reach it through ${field}.url with the credential it expects`,
    };
  }
  if (status === 404 || status === 405) {
    return {
      cause: `nothing serves ${LABEL[answer.transport]} at ${where} (${seen})`,
      fix: `set ${field}.path to the path the server serves (MCP SDKs: /mcp for streamable HTTP, /sse for SSE), then \`mcpgw up\``,
    };
  }
  if (status === 406 || status === 415 || (answer.stage === 'open' && answer.content_type !== undefined)) {
    return {
      cause:
        `${answer.name} does not accept ${LABEL[answer.transport]} requests at ${where}: ` +
        `${seen || `content type ${answer.content_type || 'none'}`} (it expects another ` +
        `Accept/Content-Type, i.e. another transport)`,
      fix: `check ${field}.transport (sse or http) and ${field}.path against the server's documentation`,
    };
  }
  if (answer.rpc_error) {
    return {
      cause: `${answer.name} refused ${answer.stage}: ${answer.rpc_error.message ?? JSON.stringify(answer.rpc_error)}`,
      fix: `see \`mcpgw logs\` for the server; check its settings in ${field}`,
    };
  }
  return {
    cause: `${answer.name} failed at ${answer.stage ?? 'an unknown step'} at ${where}: ${seen || 'no detail'}`,
    fix: `check ${field} (transport, port, path) and the server's logs`,
  };
}

/** One evidence line: what LiteLLM's place on the network saw. */
export function describeAnswer(answer: VantageAnswer): string {
  if (answer.ok)
    return (
      `${answer.name}: ${LABEL[answer.transport]} at ${answer.url} → initialize ` +
      `(${answer.server ?? 'unnamed'}), tools/list → ${answer.tools?.length ?? 0} tools in ` +
      `${(answer.elapsed_ms / 1000).toFixed(1)} s`
    );
  const detail = [answer.status ? `HTTP ${answer.status}` : '', answer.error ?? '', bodyText(answer.body)].filter(Boolean).join(' ');
  return `${answer.name}: ${LABEL[answer.transport]} at ${answer.url} → failed at ${answer.stage}${detail ? `: ${detail}` : ''}`;
}

/** A body as one short line: an error page's markup and layout are noise in a finding. */
function bodyText(body: string | undefined): string {
  const text = (body ?? '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}
