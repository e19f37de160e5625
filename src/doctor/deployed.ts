import { LITELLM_CONFIG_FILE } from '../render/litellm-config.js';
import type { DoctorContext } from './context.js';

/** Why the `rendered` need is unmet: one sentence, told once by config.rendered. */
export const NOT_RENDERED = `${LITELLM_CONFIG_FILE} is not rendered next to mcpgw.yaml`;

/** The deployed config.yaml, for the checks that need it rendered (the runner skips them when it is not). */
export async function renderedLitellmConfig(ctx: DoctorContext): Promise<Record<string, unknown>> {
  const doc = await ctx.deployedLitellmConfig();
  if (!doc) throw new Error(NOT_RENDERED);
  return doc;
}

/** mcp_servers of a config.yaml, as LiteLLM reads them (entries that are not mappings are skipped). */
export function serversOf(doc: Record<string, unknown>): [string, Record<string, unknown>][] {
  const servers = doc.mcp_servers;
  if (!servers || typeof servers !== 'object') return [];
  return Object.entries(servers as Record<string, unknown>).filter(
    (entry): entry is [string, Record<string, unknown>] => Boolean(entry[1]) && typeof entry[1] === 'object',
  );
}

export const DEPLOYED = LITELLM_CONFIG_FILE;
