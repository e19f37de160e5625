import { LITELLM_CONFIG_FILE } from '../render/litellm-config.js';
import type { DoctorContext } from './context.js';
import { fail, type CheckOutcome } from './types.js';

/** The outcome when the deployed config.yaml is missing: nothing can be checked in it, and LiteLLM cannot start. */
export function notDeployed(): CheckOutcome {
  return fail(`${LITELLM_CONFIG_FILE} is not rendered next to mcpgw.yaml`, [
    { cause: 'LiteLLM has no config file to read', fix: 'run `mcpgw render` (or `mcpgw up`)' },
  ]);
}

/** mcp_servers of the deployed config.yaml, as LiteLLM reads them (entries that are not mappings are skipped). */
export async function deployedServers(ctx: DoctorContext): Promise<[string, Record<string, unknown>][] | undefined> {
  const doc = await ctx.deployedLitellmConfig();
  if (!doc) return undefined;
  const servers = doc.mcp_servers;
  if (!servers || typeof servers !== 'object') return [];
  return Object.entries(servers as Record<string, unknown>).filter(
    (entry): entry is [string, Record<string, unknown>] => Boolean(entry[1]) && typeof entry[1] === 'object',
  );
}

export const DEPLOYED = LITELLM_CONFIG_FILE;
