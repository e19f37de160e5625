import type { Cause } from '../outcome.js';
import { McpRequestError } from './session.js';

/** LiteLLM's 503 when re-reading its MCP catalog failed (catalog.py in 1.108.7). */
export const CATALOG_REFRESH_FAILED = /could not be refreshed/;

/** A 401 from the gateway, on an MCP request or a chat completion alike. */
export const KEY_UNKNOWN: Cause = {
  cause: 'the gateway does not know this key',
  fix: 'use a key from `mcpgw keys list`, or `mcpgw keys sync` after a DB wipe',
};

/** What an MCP request to the gateway failed with (`detail`), and why and what to do, as every command words it. */
export interface McpFailure extends Cause {
  detail: string;
  status?: number;
}

/**
 * One explanation of a failed MCP request to LiteLLM for `mcp tools`, the probe and doctor alike: a key it does
 * not know (401), one it does not grant (403), its catalog refresh failing (503), no answer, nothing listening.
 */
export function explainMcpFailure(error: unknown): McpFailure {
  const status = error instanceof McpRequestError ? error.status : undefined;
  const message = (error instanceof Error ? error.message : String(error)) || 'the connection failed without a message';
  const detail = status ? `HTTP ${status} ${message}` : message;
  const at = (cause: Cause): McpFailure => ({ detail, ...(status ? { status } : {}), ...cause });
  if (status === 401) return at(KEY_UNKNOWN);
  if (status === 403)
    return at({
      cause: 'the key is not granted this server',
      fix: "grant it in the key's mcp_servers in mcpgw.yaml and run `mcpgw keys sync` (`mcpgw keys list` shows the grants)",
    });
  if (status === 503 && CATALOG_REFRESH_FAILED.test(message))
    return at({
      cause:
        'LiteLLM could not rebuild its MCP server list, which it re-reads from its database and its servers on every MCP request: a database ' +
        'it cannot query (or a server it cannot reach) makes every MCP request fail',
      fix:
        '`mcpgw doctor` names the database or server at fault; LiteLLM retries on the next request once that is fixed. ' +
        'If the 503 stays after `mcpgw doctor --only database` passes, `mcpgw logs litellm` shows the query that fails; ' +
        'restart the LiteLLM container (`mcpgw status` names it)',
    });
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EHOSTUNREACH/.test(message))
    return at({ cause: 'the gateway does not answer', fix: 'start the stack with `mcpgw up` and check `mcpgw status`' });
  if (/timed out/i.test(message))
    return at({
      cause:
        "LiteLLM did not answer in time: a session's first tools/list waits until LiteLLM has set up its list-change relay, a session to each " +
        "granted server in turn, each listing every granted server's tools, prompts and resources twice, and every listing opens a new session " +
        'with each server (spawning a stdio server it runs itself anew)',
      fix:
        'allow more time (--timeout) to see whether it answers at all; clients with short deadlines (Claude Code allows 5 s for the tool list) ' +
        'fail the same way, so split slow servers onto their own /mcp/<server> URLs',
    });
  return at({ cause: "LiteLLM's MCP endpoint failed", fix: '`mcpgw logs litellm`; clients use http://<host>:<port>/mcp/ (with the trailing slash)' });
}
