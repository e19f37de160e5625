import { hardeningGaps } from '../../stack/hardening.js';
import { SERVICE_LABEL } from '../../stack/labels.js';
import { attachments } from '../attachments.js';
import { fail, pass, type Cause, type Check } from '../types.js';

/**
 * Inside the stack each service LiteLLM talks to has a network with LiteLLM alone: an MCP server that shares one
 * with another container can call it without a key (or, with NET_RAW, spoof it on the bridge). Read from the
 * engine: who is on each network, how each container was created, and whether Postgres's network is internal.
 */
export const securityIsolation: Check = {
  id: 'security.isolation',
  title: 'each MCP server, the canary and Postgres share a network with LiteLLM only, and every container runs hardened',
  area: 'security',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "inspects one engine's containers; a swarm's tasks run on other nodes' engines" },
  async run(ctx) {
    const docker = await ctx.docker();
    const model = await ctx.model();
    const evidence: string[] = [];
    const causes: Cause[] = [];
    const up = '`mcpgw up` (it recreates the stack on its own networks, hardened)';

    // Any container on a service's network other than LiteLLM and that service (on LiteLLM's own, the front door
    // too) reaches it without a key.
    const ours = await ctx.containers();
    const names = new Map((await docker.listContainers([])).map((container) => [container.id, container.name]));
    for (const network of model.networks.filter((entry) => !entry.external)) {
      const found = await docker.networkByName(network.name);
      if (!found) continue;
      const given = new Set(model.services.filter((service) => service.networks.includes(network.name)).map((service) => service.name));
      const allowed = new Set(ours.filter((container) => given.has(container.labels[SERVICE_LABEL] ?? '')).map((container) => container.id));
      const others = found.containers.filter((id) => !allowed.has(id)).map((id) => names.get(id) ?? id.slice(0, 12));
      evidence.push(`${network.name}: ${found.containers.length} container(s)${network.internal ? ', internal' : ''}`);
      if (others.length > 0)
        causes.push({
          cause: `${network.name} also holds ${others.join(', ')}: from there ${network.serves} is reached without a key`,
          fix: `docker network disconnect ${network.name} CONTAINER for each, or ${up}`,
        });
      if (network.internal && !found.internal)
        causes.push({
          cause: `${network.name} is not internal: ${network.serves} has a route out of the host it does not need`,
          fix: up,
        });
    }

    // An MCP server or the canary on a network it was not given (the old shared one, or one added by hand), and
    // two of the stack's services on one network, even one mcpgw.yaml has both join (`networks:`).
    const members = new Map<string, string[]>();
    for (const { service, attached } of await attachments(ctx)) {
      if (service.role === 'litellm' || !attached) continue;
      for (const name of attached) members.set(name, [...(members.get(name) ?? []), service.containerName]);
      const extra = attached.filter((name) => !service.networks.includes(name));
      if (extra.length > 0)
        causes.push({
          cause: `${service.containerName} is also on ${extra.join(', ')}: it reaches whatever else is there`,
          fix: `docker network disconnect NETWORK ${service.containerName}, or ${up}`,
        });
    }
    for (const [name, containers] of members) {
      if (containers.length > 1 && model.networks.find((network) => network.name === name)?.external)
        causes.push({
          cause: `${containers.join(' and ')} share ${name}: each reaches the other without a key`,
          fix: `let one service of the stack join ${name} (networks: in mcpgw.yaml), then \`mcpgw up\``,
        });
    }

    for (const service of model.services) {
      const hardening = await docker.containerConfig(service.containerName);
      if (!hardening) continue;
      const gaps = hardeningGaps(service, hardening);
      const added = service.capAdd.length ? ` (+${service.capAdd.join(',')})` : '';
      const hardened = `cap_drop ALL${added}, no-new-privileges, user ${hardening.user || "image's"}`;
      evidence.push(`${service.containerName}: ${gaps.length === 0 ? hardened : gaps.join('; ')}`);
      if (gaps.length > 0) causes.push({ cause: `${service.containerName}: ${gaps.join('; ')}`, fix: up });
    }
    return causes.length === 0 ? pass(...evidence) : fail(evidence, causes);
  },
};
