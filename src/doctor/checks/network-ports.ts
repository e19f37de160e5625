import { createServer } from 'node:net';
import { attachments } from '../attachments.js';
import { describeExtra, extraPublished } from '../../stack/firewall.js';
import { fail, pass, warn, type Cause, type Check } from '../types.js';

/** Whether nothing listens on host:port yet (binding it for a moment and letting go). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export const networkPorts: Check = {
  id: 'network.ports',
  title: "ports are published on the configured address, or free for `up`; none but LiteLLM's unless asked for",
  area: 'network',
  needs: ['config', 'docker'],
  only: { engine: 'compose', why: "one engine's published ports; on a swarm only the front door publishes (litellm.health asks it)" },
  async run(ctx) {
    const model = await ctx.model();
    const docker = await ctx.docker();
    // Docker publishes nothing for a container cut off a network: that is network.exists' or network.attached's finding.
    const cutOff = new Set((await attachments(ctx)).filter((entry) => entry.missing.length > 0).map((entry) => entry.service.name));
    const evidence: string[] = [];
    const causes: Cause[] = [];
    await Promise.all(
      model.services.map(async (service) => {
        if (service.ports.length === 0) return;
        if (cutOff.has(service.name)) {
          evidence.push(`${service.name}: not checked, the container is off a network it needs`);
          return;
        }
        const state = await docker.containerState(service.containerName);
        const published = state?.running ? await docker.publishedPorts(service.containerName) : undefined;
        for (const port of service.ports) {
          const wanted = `${port.hostIp}:${port.published}`;
          if (published) {
            const actual = published.filter((entry) => entry.target === port.target).map((entry) => `${entry.hostIp}:${entry.hostPort}`);
            evidence.push(`${service.name}: ${actual.join(', ') || 'not published'} → ${port.target}`);
            if (!actual.includes(wanted)) {
              causes.push({
                cause: `${service.containerName} publishes ${port.target} on ${actual.join(', ') || 'nothing'}, mcpgw.yaml says ${wanted}`,
                fix: '`mcpgw up` recreates it with the configured binding',
              });
            }
          } else if (await portFree(port.hostIp, port.published)) {
            evidence.push(`${service.name}: ${wanted} free (container not running)`);
          } else {
            evidence.push(`${service.name}: ${wanted} in use by another process`);
            causes.push({
              cause: `${wanted} is taken by something else: ${service.name} cannot start`,
              fix: `find it with \`ss -ltnp 'sport = :${port.published}'\`, stop it or pick another port in mcpgw.yaml`,
            });
          }
        }
      }),
    );
    evidence.sort();
    if (causes.length > 0) return fail(evidence, causes);
    // Asked for, so not a failure; but no key guards these ports, and security.lan-exposure judges who reaches them.
    const extras = extraPublished(model);
    if (extras.length === 0) return pass(...evidence);
    return warn(evidence, [
      {
        cause: `published besides LiteLLM: ${describeExtra(extras)}; anyone who reaches them needs no key`,
        fix: 'remove `publish: true` / postgres.host_port unless something on this machine needs them; see security.lan-exposure',
      },
    ]);
  },
};
