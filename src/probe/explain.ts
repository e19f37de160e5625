import { KEY_UNKNOWN } from '../gateway/mcp-failure.js';
import { MCP_AUTO_EXECUTION_SINCE } from '../litellm/advisories.js';
import { autoExecutes } from '../litellm/version.js';
import type { Cause, CheckOutcome } from './types.js';

export type LlmEndpoint = 'chat' | 'responses';

/** One request to LiteLLM's chat or responses endpoint and what came back. */
export interface LlmExchange {
  endpoint: LlmEndpoint;
  request: Record<string, unknown>;
  status: number;
  body: unknown;
  version?: string;
  /** When set, the final answer must contain it (it can only come from the tool). */
  nonce?: string;
}

/** What the model turn amounted to, read from either endpoint's response shape. */
export interface Turn {
  /** chat: finish_reason; responses: "tool_calls" when function calls came back unexecuted, else "stop". */
  finish: string;
  text: string;
  /** Tool calls handed back to the caller (not executed). */
  pendingCalls: string[];
  /** Tools LiteLLM fetched from its MCP servers for this request; undefined when it fetched none at all. */
  offeredTools?: string[];
  /** Tool results LiteLLM produced by executing calls itself. */
  executed: string[];
}

interface McpToolSpec {
  type?: unknown;
  server_url?: unknown;
  server_label?: unknown;
  require_approval?: unknown;
}

const FIX_MCP_TOOL = 'send {"type":"mcp","server_label":"<server>","server_url":"litellm_proxy/mcp/<server>","require_approval":"never"} in tools';

export function readTurn(endpoint: LlmEndpoint, body: unknown): Turn {
  return endpoint === 'chat' ? readChat(body) : readResponses(body);
}

function readChat(body: unknown): Turn {
  const choice = (body as { choices?: { finish_reason?: string; message?: Record<string, unknown> }[] }).choices?.[0];
  const message = choice?.message ?? {};
  const fields = (message.provider_specific_fields ?? {}) as { mcp_list_tools?: { function?: { name?: string } }[]; mcp_call_results?: { result?: unknown }[] };
  const calls = (message.tool_calls ?? []) as { function?: { name?: string } }[];
  return {
    finish: choice?.finish_reason ?? 'none',
    text: typeof message.content === 'string' ? message.content : '',
    pendingCalls: calls.map((call) => call.function?.name ?? '?'),
    ...(fields.mcp_list_tools ? { offeredTools: fields.mcp_list_tools.map((tool) => tool.function?.name ?? '?') } : {}),
    executed: (fields.mcp_call_results ?? []).map((result) => String(result.result ?? '')),
  };
}

function readResponses(body: unknown): Turn {
  const output = ((body as { output?: Record<string, unknown>[] }).output ?? []) as { type?: string; name?: string; content?: { text?: string }[] }[];
  const textOf = (type: string) => output.filter((item) => item.type === type).flatMap((item) => (item.content ?? []).map((part) => part.text ?? ''));
  const pendingCalls = output.filter((item) => item.type === 'function_call').map((item) => item.name ?? '?');
  const fetched = textOf('mcp_tools_fetched');
  return {
    finish: pendingCalls.length > 0 ? 'tool_calls' : 'stop',
    text: textOf('message').join(''),
    pendingCalls,
    ...(fetched.length > 0 ? { offeredTools: [...fetched.join('\n').matchAll(/name='([^']+)'/g)].map((match) => match[1] ?? '?') } : {}),
    executed: textOf('tool_execution_results'),
  };
}

function errorMessage(body: unknown): string {
  const error = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === 'string' ? error.message : typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body).slice(0, 300);
}

function mcpToolsOf(request: Record<string, unknown>): McpToolSpec[] {
  const tools = Array.isArray(request.tools) ? (request.tools as McpToolSpec[]) : [];
  return tools.filter((tool) => tool.type === 'mcp');
}

/**
 * Judges one exchange: passes only when LiteLLM executed an MCP tool and the turn ended at `stop` (with the
 * nonce in the answer when one was sent); otherwise names every cause that applies, each with its fix.
 */
export function judgeExchange(exchange: LlmExchange): CheckOutcome {
  const { endpoint, request, status, body } = exchange;
  // A well-formed MCP request to a release that cannot execute it fails however that release answers:
  // an error, tool calls handed back, or the MCP tool silently dropped.
  const outdated = tooOldFor(exchange);
  const answered = status < 400 ? readTurn(endpoint, body) : undefined;
  if (outdated && !(answered && answered.executed.length > 0)) {
    return {
      status: 'fail',
      evidence: [answered ? `finish: ${answered.finish}` : `HTTP ${status}: ${errorMessage(body)}`, 'executed by LiteLLM: 0'],
      causes: [outdated],
    };
  }
  if (status === 401) {
    return {
      status: 'fail',
      evidence: [`HTTP 401: ${errorMessage(body)}`],
      causes: [KEY_UNKNOWN],
    };
  }
  if (status === 403) {
    const message = errorMessage(body);
    const servers = /MCP servers: (.+)$/.exec(message)?.[1];
    return {
      status: 'fail',
      evidence: [`HTTP 403: ${message}`],
      causes: [
        servers
          ? {
              cause: `the key is not granted the MCP server(s) ${servers}`,
              fix: `add ${servers} to the key's mcp_servers in mcpgw.yaml and run \`mcpgw keys sync\` (or \`mcpgw keys create --mcp ${servers}\`)`,
            }
          : { cause: 'the key may not use this model or route', fix: "check the key's models (`mcpgw keys list`)" },
      ],
    };
  }
  if (status >= 400) {
    return {
      status: 'fail',
      evidence: [`HTTP ${status}: ${errorMessage(body)}`],
      causes: [{ cause: 'the gateway refused or failed the request', fix: 'see the message above and `mcpgw logs litellm`' }],
    };
  }

  const turn = answered ?? readTurn(endpoint, body);
  const evidence = [
    `finish: ${turn.finish}`,
    `tools offered by LiteLLM: ${turn.offeredTools ? turn.offeredTools.length : 'none (no MCP tool handled)'}`,
    `executed by LiteLLM: ${turn.executed.length}`,
  ];
  if (turn.pendingCalls.length > 0) evidence.push(`handed back unexecuted: ${turn.pendingCalls.join(', ')}`);

  if (turn.finish === 'tool_calls') return { status: 'fail', evidence, causes: toolCallCauses(exchange, turn) };
  if (turn.executed.length === 0) {
    const causes: Cause[] =
      mcpToolsOf(request).length > 0 && (turn.offeredTools?.length ?? 0) === 0
        ? [
            {
              cause:
                'LiteLLM offered the model no tools from the requested MCP server: it could not list them (server stopped, or its transport or path is wrong)',
              fix: 'see the MCP level of `mcpgw probe` and `mcpgw status`; fix the server, then `mcpgw up`',
            },
          ]
        : [
            {
              cause: 'the model answered without calling a tool',
              fix:
                exchange.endpoint === 'chat'
                  ? 'name the tool and its arguments in the prompt, or use a model that supports tool calls ' +
                    '(not tool_choice "required": LiteLLM repeats it after running the tools, so the turn cannot end)'
                  : 'name the tool and its arguments in the prompt or send tool_choice "required", or use a model that supports tool calls',
            },
          ];
    return { status: 'fail', evidence, causes };
  }
  if (exchange.nonce && !turn.text.includes(exchange.nonce)) {
    const inResults = turn.executed.some((result) => result.includes(exchange.nonce ?? ''));
    return {
      status: 'fail',
      evidence: [...evidence, `answer: ${turn.text.slice(0, 200)}`],
      causes: [
        inResults
          ? {
              cause: 'the tool ran and returned the nonce, but the final answer does not contain it',
              fix: 'the model ignored the tool result; check the model and its prompt',
            }
          : { cause: 'the tool ran but its result does not contain the nonce', fix: "check the probe tool's arguments (mcp_servers.<name>.probe)" },
      ],
    };
  }
  return { status: 'pass', evidence: [...evidence, `answer contains the nonce: ${turn.text.slice(0, 120)}`] };
}

function toolCallCauses(exchange: LlmExchange, turn: Turn): Cause[] {
  const mcpTools = mcpToolsOf(exchange.request);
  if (mcpTools.length === 0) {
    return [
      {
        cause: 'the request offered plain "function" tools: LiteLLM passes those back to the caller and never executes them',
        fix: `${FIX_MCP_TOOL}, or execute the tool calls in the client`,
      },
    ];
  }
  const proxied = mcpTools.filter((tool) => typeof tool.server_url === 'string' && tool.server_url.startsWith('litellm_proxy'));
  if (proxied.length === 0) {
    return [{ cause: 'no MCP tool has server_url "litellm_proxy…", so LiteLLM does not treat it as one of its own servers', fix: FIX_MCP_TOOL }];
  }
  if (!proxied.some((tool) => tool.require_approval === 'never')) {
    return [
      {
        cause: 'no MCP tool has require_approval "never": LiteLLM returns the tool calls for the client to approve and run',
        fix: 'add "require_approval":"never" to the MCP tool',
      },
    ];
  }
  if (turn.executed.length > 0) {
    const forced = exchange.endpoint === 'chat' ? forcedToolChoice(exchange.request.tool_choice) : undefined;
    if (forced) {
      return [
        {
          cause:
            `the request sets tool_choice ${forced}, and ` +
            `LiteLLM${exchange.version ? ` ${exchange.version}` : ''} repeats it on its follow-up ` +
            `request after executing the tools on /v1/chat/completions, so the model must call a tool ` +
            `again instead of answering`,
          fix: 'leave tool_choice out of the request or set it to "auto", and name the tool and its arguments in the prompt',
        },
      ];
    }
    return [
      {
        cause: 'LiteLLM executed the tools, then the model asked for another round; LiteLLM runs only one round per request',
        fix: 'send the follow-up request from the client, or prompt for a single tool call',
      },
    ];
  }
  const offered = turn.offeredTools ?? [];
  const unknown = turn.pendingCalls.filter((name) => !offered.includes(name));
  if (unknown.length > 0) {
    return [
      {
        cause: `the model called ${unknown.join(', ')}, which LiteLLM did not offer for this key (not granted, or the server lists no such tool)`,
        fix: 'check the key grants (`mcpgw probe` auth level) and `mcpgw mcp tools`',
      },
    ];
  }
  return [{ cause: 'LiteLLM returned the tool calls without executing them', fix: 'see `mcpgw logs litellm` for MCP errors during the request' }];
}

/**
 * The tool_choice of a chat request that forces a call, as written, or undefined. LiteLLM 1.108.7 sends the
 * caller's tool_choice again on the follow-up after auto-executing MCP tools on /v1/chat/completions
 * (`follow_up_call_args = {**base_call_args, …}` in litellm/responses/mcp/chat_completions_handler.py), except an
 * `allowed_tools` choice, which it turns to mode auto; its /v1/responses path drops tool_choice there
 * (`prepare_follow_up_call_params` in litellm_proxy_mcp_handler.py).
 */
function forcedToolChoice(choice: unknown): string | undefined {
  if (choice === 'required') return '"required"';
  const type = (choice as { type?: unknown } | null | undefined)?.type;
  return typeof choice === 'object' && (type === 'function' || type === 'required' || type === 'any') ? JSON.stringify(choice) : undefined;
}

/** The "too old" cause, when the request itself is right (LiteLLM MCP tools, require_approval never). */
function tooOldFor(exchange: LlmExchange): Cause | undefined {
  const proxied = mcpToolsOf(exchange.request).filter((tool) => typeof tool.server_url === 'string' && tool.server_url.startsWith('litellm_proxy'));
  if (!proxied.some((tool) => tool.require_approval === 'never')) return undefined;
  if (!exchange.version || autoExecutes(exchange.version, exchange.endpoint) !== false) return undefined;
  return {
    cause:
      `LiteLLM ${exchange.version} does not execute MCP tools on ` +
      `${exchange.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/responses'} (since ${MCP_AUTO_EXECUTION_SINCE[exchange.endpoint]})`,
    fix: `pin litellm.image to ${MCP_AUTO_EXECUTION_SINCE[exchange.endpoint]} or later${exchange.endpoint === 'chat' ? ', or use /v1/responses' : ''}`,
  };
}
