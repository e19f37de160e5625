import { checkLiveliness } from '../../gateway/litellm-checks.js';
import { fail, type Check } from '../types.js';
import { litellmService } from '../../stack/model.js';

export const litellmHealth: Check = {
  id: 'litellm.health',
  title: 'LiteLLM answers its liveliness route',
  area: 'litellm',
  // LiteLLM runs in a container: without Docker, network.exists has the root cause.
  needs: ['config', 'docker'],
  reports: 'gateway',
  async run(ctx) {
    const outcome = await checkLiveliness(await ctx.gatewayUrl(), ctx.deps.requestTimeoutMs);
    // On a swarm the URL is the front door's; why a replica is not there is swarm.tasks' finding.
    if (outcome.status !== 'fail' || (await ctx.loaded()).config.engine === 'swarm') return outcome;
    // Say why nothing answers when Docker can tell: stopped, crash-looping, or never created.
    const service = litellmService(await ctx.model());
    const state = await ctx
      .docker()
      .then((docker) => docker.containerState(service.containerName))
      .catch(() => 'unknown' as const);
    if (state === 'unknown') return outcome;
    if (!state) return fail(outcome.evidence, [{ cause: `container ${service.containerName} does not exist`, fix: 'run `mcpgw up`' }]);
    if (!state.running || state.restartCount > 0) {
      return fail(
        [...outcome.evidence, `${service.containerName}: ${state.status}, exit code ${state.exitCode}, ${state.restartCount} restart(s)`],
        [
          {
            cause: `LiteLLM's container is ${state.status}${state.restartCount > 0 ? ' and crash-looping' : ''}`,
            fix: '`mcpgw logs litellm` shows why (bad config.yaml, database unreachable); then `mcpgw up`',
          },
        ],
      );
    }
    return outcome;
  },
};
