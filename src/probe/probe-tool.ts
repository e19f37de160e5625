import type { ListedTool } from '../gateway/session.js';

/** A declared probe call from mcpgw.yaml (`mcp_servers.<name>.probe`); `{nonce}` in a string argument is replaced. */
export interface DeclaredProbe {
  tool: string;
  arguments: Record<string, unknown>;
  /** The call proves the server by coming back as the tool's own error containing this text ("{nonce}" replaced). */
  expect_error?: string;
}

export interface ProbeCall {
  /** The tool's name as the gateway lists it: <server>-<tool>. */
  gatewayName: string;
  arguments: Record<string, unknown>;
  /** True when the nonce went into the arguments, so the result must echo it back. */
  expectsNonce: boolean;
  /** The error text (nonce in place) the call must come back with instead of a result: a declared refusal. */
  expectsError?: string;
}

export const NONCE_PLACEHOLDER = '{nonce}';

/** LiteLLM lists a server's tools as <server>-<tool>; server names cannot contain "-", so the first one splits. */
export function serverOfTool(gatewayName: string): string {
  const dash = gatewayName.indexOf('-');
  return dash < 0 ? '' : gatewayName.slice(0, dash);
}

/**
 * The call that proves a server executes tools: the declared probe, else an `echo`-like tool (one required
 * string argument, named echo) that must return the nonce. Undefined when the server offers no safe tool.
 */
export function probeCallFor(server: string, tools: ListedTool[], nonce: string, declared?: DeclaredProbe): ProbeCall | undefined {
  const prefix = `${server}-`;
  if (declared) {
    const gatewayName = `${prefix}${declared.tool}`;
    if (!tools.some((tool) => tool.name === gatewayName)) return undefined;
    let expectsNonce = false;
    const args = Object.fromEntries(
      Object.entries(declared.arguments).map(([name, value]) => {
        if (typeof value !== 'string' || !value.includes(NONCE_PLACEHOLDER)) return [name, value];
        expectsNonce = true;
        return [name, value.replaceAll(NONCE_PLACEHOLDER, nonce)];
      }),
    );
    const expectsError = declared.expect_error?.replaceAll(NONCE_PLACEHOLDER, nonce);
    return { gatewayName, arguments: args, expectsNonce, ...(expectsError !== undefined ? { expectsError } : {}) };
  }
  const echo = tools.find((tool) => tool.name === `${prefix}echo`);
  const required = echo?.inputSchema.required ?? [];
  const argument = required[0];
  if (!echo || required.length !== 1 || !argument || echo.inputSchema.properties?.[argument]?.type !== 'string') return undefined;
  return { gatewayName: echo.name, arguments: { [argument]: nonce }, expectsNonce: true };
}

/**
 * Whether a tool call's answer proves the server executes tools: a result (carrying the nonce when one was sent),
 * or, for a declared refusal, the tool's error with the expected text, which only the server's own code writes.
 */
export function callProves(call: ProbeCall, result: { isError: boolean; text: string }, nonce: string): boolean {
  if (call.expectsError !== undefined) return result.isError && result.text.includes(call.expectsError);
  return !result.isError && (!call.expectsNonce || result.text.includes(nonce));
}
