import type { ServerTarget } from './diagnose.js';
import { McpRequestError, openSession } from '../gateway/session.js';
import { serverOfTool } from './probe-tool.js';
import { fail, pass, type CheckOutcome } from './types.js';
import type { KeyLease } from '../keys/lease.js';

export interface DeclaredKeyTarget {
  alias: string;
  key: string;
  /** Server names mcpgw.yaml grants it (direct grants and groups). */
  servers: string[];
}

type Access = 'granted' | 'refused' | 'unknown-key';

/** Whether `key` may open /mcp/<server>: LiteLLM answers 403 before initialize for a server the key lacks. */
async function accessTo(baseUrl: string, key: string, server: string, timeoutMs: number): Promise<Access> {
  try {
    const session = await openSession(`${baseUrl}/mcp/${server}`, key, 'http', timeoutMs);
    await session.close().catch(() => undefined);
    return 'granted';
  } catch (error) {
    if (error instanceof McpRequestError && error.status === 403) return 'refused';
    if (error instanceof McpRequestError && error.status === 401) return 'unknown-key';
    throw error;
  }
}

/** A fresh key with no MCP grant must see no server, neither in /mcp/ nor by name. */
export async function checkNoGrantKey(baseUrl: string, servers: ServerTarget[], lease: KeyLease, timeoutMs: number): Promise<CheckOutcome> {
  try {
    let aggregate: string[] = [];
    try {
      const session = await openSession(`${baseUrl}/mcp/`, lease.key, 'http', timeoutMs);
      try {
        aggregate = [...new Set((await session.listTools()).map((tool) => serverOfTool(tool.name)))];
      } finally {
        await session.close().catch(() => undefined);
      }
    } catch (error) {
      if (!(error instanceof McpRequestError && (error.status === 401 || error.status === 403))) throw error;
    }
    const byName = await Promise.all(servers.map(async (server) => [server.name, await accessTo(baseUrl, lease.key, server.name, timeoutMs)] as const));
    const opened = byName.filter(([, access]) => access === 'granted').map(([name]) => name);
    const evidence = [
      `/mcp/ tools/list → servers: ${aggregate.join(', ') || 'none'}`,
      `/mcp/<server> → ${byName.map(([name, access]) => `${name}: ${access}`).join(', ')}`,
    ];
    if (aggregate.length > 0 || opened.length > 0) {
      return fail(evidence, [
        {
          cause: `a key without any MCP grant reaches ${[...new Set([...aggregate, ...opened])].join(', ')}`,
          fix:
            'remove allow_all_keys from those servers; LiteLLM releases before the 2026 permission ' +
            'model fall back to every server for keys without grants: upgrade litellm.image',
        },
      ]);
    }
    return pass(...evidence);
  } finally {
    await lease.release();
  }
}

/** Each declared key opens exactly the servers mcpgw.yaml grants it. */
export async function checkDeclaredKey(baseUrl: string, servers: ServerTarget[], declared: DeclaredKeyTarget, timeoutMs: number): Promise<CheckOutcome> {
  const access = await Promise.all(servers.map(async (server) => [server.name, await accessTo(baseUrl, declared.key, server.name, timeoutMs)] as const));
  if (access.some(([, state]) => state === 'unknown-key')) {
    return fail('the gateway answers 401: this key is not in its database', [
      { cause: `declared key ${declared.alias} is missing (e.g. after a DB wipe)`, fix: 'run `mcpgw keys sync`' },
    ]);
  }
  const sees = access.filter(([, state]) => state === 'granted').map(([name]) => name);
  const extra = sees.filter((name) => !declared.servers.includes(name));
  const lacking = declared.servers.filter((name) => !sees.includes(name));
  const evidence = `opens ${sees.join(', ') || 'no server'}; mcpgw.yaml grants ${declared.servers.join(', ') || 'none'}`;
  if (extra.length === 0 && lacking.length === 0) return pass(evidence);
  return fail(evidence, [
    {
      cause: [extra.length ? `reaches ${extra.join(', ')} without a grant` : '', lacking.length ? `lacks ${lacking.join(', ')} it is granted` : '']
        .filter(Boolean)
        .join('; '),
      fix: 'run `mcpgw keys sync` to make the grants match mcpgw.yaml',
    },
  ]);
}
