import { fail, pass, type Check } from '../types.js';

export const networkExists: Check = {
  id: 'network.exists',
  title: 'the stack networks exist',
  area: 'network',
  // Docker first: it is this check's own finding even when mcpgw.yaml does not validate (then nothing else is).
  needs: ['docker', 'config'],
  only: { engine: 'compose', why: "one engine's networks; a swarm's overlays are Swarm's (swarm.tasks sees a task that cannot join one)" },
  reports: 'docker',
  async run(ctx) {
    const docker = await ctx.docker().catch((error: unknown) => error as Error & { hint?: string });
    if (!('networkByName' in docker)) {
      return fail(docker.message, [
        {
          cause:
            'the Docker engine does not answer: no container, network or bundled database of the stack ' +
            'can be inspected, so the checks that need it are skipped',
          fix: docker.hint ?? 'start Docker (e.g. `systemctl start docker`) or set DOCKER_HOST',
        },
      ]);
    }
    const model = await ctx.model();
    const found = await Promise.all(model.networks.map(async (network) => ({ network, exists: Boolean(await docker.networkByName(network.name)) })));
    const missing = found.filter((entry) => !entry.exists);
    const evidence = found.map(({ network, exists }) => `${network.name}${network.external ? ' (external)' : ''}: ${exists ? 'exists' : 'missing'}`);
    if (missing.length === 0) return pass(...evidence);
    return fail(
      evidence,
      missing.map(({ network }) =>
        network.external
          ? {
              cause: `${network.name} is declared external (shared with other stacks), so mcpgw never creates it`,
              fix: `docker network create ${network.name}, then \`mcpgw up\``,
            }
          : {
              cause: `${network.name} is gone: the containers on it cannot reach each other by name`,
              fix: '`mcpgw up` creates it and re-attaches the containers',
            },
      ),
    );
  },
};
