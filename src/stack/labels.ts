/** Every Docker object mcpgw creates carries these, so status, down and cleanup touch only what it owns. */
export const STACK_LABEL = 'io.mcpgw.stack';
export const SERVICE_LABEL = 'io.mcpgw.service';
/** Holds the hash of everything that shapes a container; a changed hash means recreate. */
export const CONFIG_HASH_LABEL = 'io.mcpgw.config-hash';

export function labelsFor(stack: string, service: string): Record<string, string> {
  return { [STACK_LABEL]: stack, [SERVICE_LABEL]: service };
}
