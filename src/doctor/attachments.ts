import type { ServiceModel } from '../stack/model.js';
import type { DoctorContext } from './context.js';

export interface Attachment {
  service: ServiceModel;
  /** undefined when the container does not exist. */
  attached?: string[];
  /** Networks the service needs and lacks, whether or not the network itself still exists. */
  missing: string[];
}

/** Each service's container and the networks it is on, once per run (network.attached and mcp.gateway read it). */
export function attachments(ctx: DoctorContext): Promise<Attachment[]> {
  return ctx.once('attachments', async () => {
    const docker = await ctx.docker();
    return Promise.all(
      (await ctx.model()).services.map(async (service) => {
        const attached = await docker.containerNetworks(service.containerName);
        return { service, ...(attached ? { attached } : {}), missing: attached ? service.networks.filter((network) => !attached.includes(network)) : [] };
      }),
    );
  });
}

/**
 * MCP servers LiteLLM cannot reach because a network is missing or a container is off it: network.exists' and
 * network.attached's finding, which mcp.gateway does not report a second time. Empty when Docker is unavailable.
 */
export async function cutOffServers(ctx: DoctorContext): Promise<Set<string>> {
  const all = await attachments(ctx).catch(() => []);
  const litellmMissing = all.find((entry) => entry.service.role === 'litellm')?.missing ?? [];
  // Each MCP server shares one network with LiteLLM: it is cut off when either side is off that network.
  return new Set(
    all
      .filter(
        (entry) =>
          entry.service.role === 'mcp' && entry.service.networks.some((network) => entry.missing.includes(network) || litellmMissing.includes(network)),
      )
      .map((entry) => entry.service.name),
  );
}
