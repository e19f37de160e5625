import type { ListedTool } from '../gateway/session.js';

/** A declared probe call from mcpgw.yaml (`mcp_servers.<name>.probe`); `{nonce}` in a string argument is replaced. */
export interface DeclaredProbe {
  tool: string;
  arguments: Record<string, unknown>;
}

export interface ProbeCall {
  /** The tool's name as the gateway lists it: <server>-<tool>. */
  gatewayName: string;
  arguments: Record<string, unknown>;
  /** True when the nonce went into the arguments, so the result must echo it back. */
  expectsNonce: boolean;
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
    return { gatewayName, arguments: args, expectsNonce };
  }
  const echo = tools.find((tool) => tool.name === `${prefix}echo`);
  const required = echo?.inputSchema.required ?? [];
  const argument = required[0];
  if (!echo || required.length !== 1 || !argument || echo.inputSchema.properties?.[argument]?.type !== 'string') return undefined;
  return { gatewayName: echo.name, arguments: { [argument]: nonce }, expectsNonce: true };
}
