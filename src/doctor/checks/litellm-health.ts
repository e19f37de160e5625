import { checkLiveliness } from '../../gateway/litellm-checks.js';
import { SERVICE_LABEL } from '../../stack/labels.js';
import { FRONT_DOOR_SERVICE } from '../../stack/model.js';
import { fail, type Check } from '../types.js';

export const litellmHealth: Check = {
  id: 'litellm.health',
  title: 'LiteLLM answers its liveliness route',
  area: 'litellm',
  // LiteLLM runs in a container: without Docker, network.exists has the root cause. Without a valid mcpgw.yaml it is
  // asked at the port its running container publishes.
  needs: ['docker'],
  reports: 'gateway',
  async run(ctx) {
    const url = await ctx.gatewayUrl().catch((error: Error & { hint?: string }) => error);
    if (url instanceof Error)
      return fail(url.message, [{ cause: 'LiteLLM cannot be asked: nothing says where it listens', fix: url.hint ?? 'run `mcpgw up`' }]);
    const outcome = await checkLiveliness(url, ctx.deps.requestTimeoutMs);
    // On a swarm the URL is the front door's; why a replica is not there is swarm.tasks' finding.
    if (outcome.status !== 'fail' || (await ctx.place()).engine === 'swarm') return outcome;
    // Say why nothing answers when Docker can tell: stopped, crash-looping, or never created.
    const found = await Promise.all([ctx.litellmContainer(), ctx.docker()]).then(
      async ([container, docker]) => ({ container, state: container && (await docker.containerState(container.id)) }),
      () => undefined,
    );
    if (!found) return outcome;
    const { container, state } = found;
    if (!container || !state) return fail(outcome.evidence, [{ cause: "LiteLLM's container does not exist", fix: 'run `mcpgw up`' }]);
    if (!state.running || state.restartCount > 0) {
      return fail(
        [...outcome.evidence, `${container.name}: ${state.status}, exit code ${state.exitCode}, ${state.restartCount} restart(s)`],
        [
          {
            cause: `LiteLLM's container is ${state.status}${state.restartCount > 0 ? ' and crash-looping' : ''}`,
            fix: '`mcpgw logs litellm` shows why (bad config.yaml, database unreachable); then `mcpgw up`',
          },
        ],
      );
    }
    // LiteLLM runs: on one engine the front door holds its port, and may be what is missing.
    const door = (await ctx.containers()).find((entry) => entry.labels[SERVICE_LABEL] === FRONT_DOOR_SERVICE);
    if (door?.state !== 'running')
      return fail(
        [...outcome.evidence, `${container.name}: running; front door: ${door ? door.state : 'no container'}`],
        [
          {
            cause: `the front door on LiteLLM's port is ${door ? door.state : 'missing'}, so nothing answers there`,
            fix: '`mcpgw logs front-door`; then `mcpgw up`',
          },
        ],
      );
    return outcome;
  },
};
