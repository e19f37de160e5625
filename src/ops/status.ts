import type { StackModel } from '../stack/model.js';
import { stackStatus, type ServiceStatus } from '../stack/status.js';
import { swarmStatus } from '../swarm/status.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

/** Each declared service as Docker sees it now (on a swarm: each task it wants running, with its node). */
export async function statusOfStack(ctx: OpContext): Promise<{ model: StackModel; services: ServiceStatus[] }> {
  const stack = await loadStack(ctx);
  const { model } = stack;
  if (isSwarm(stack) && stack.swarm) {
    const target = await swarmTarget(ctx, stack);
    const services = stack.swarm.model.services.map((service) => service.name);
    return { model, services: await swarmStatus(target.cluster, model.name, services, ctx.deps.clock.now()) };
  }
  return { model, services: await stackStatus(await ctx.deps.docker(), model, ctx.deps.clock.now()) };
}
