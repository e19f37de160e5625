import type { ConfigError } from '../errors.js';
import { labelledStatus, stackStatus, type ServiceStatus } from '../stack/status.js';
import { swarmStatus } from '../swarm/status.js';
import type { OpContext } from './context.js';
import { loadStackOrHints } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

export interface StackStatus {
  stack: string;
  /** Absent when mcpgw.yaml does not validate. */
  gateway?: string;
  services: ServiceStatus[];
  /** mcpgw.yaml (or its secrets file) does not validate: `services` are the containers labelled with the stack. */
  invalid?: ConfigError;
}

/**
 * Each declared service as Docker sees it now (on a swarm: each task it wants running, with its node). When the file
 * does not validate, what runs is still shown, from the containers' labels on this engine, with why the file is not
 * read: a typo must not hide the running stack.
 */
export async function statusOfStack(ctx: OpContext): Promise<StackStatus> {
  const stack = await loadStackOrHints(ctx);
  if ('invalid' in stack) {
    return { stack: stack.name, services: await labelledStatus(await ctx.deps.docker(), stack.name, ctx.deps.clock.now()), invalid: stack.invalid };
  }
  const { model } = stack;
  if (isSwarm(stack) && stack.swarm) {
    const target = await swarmTarget(ctx, stack);
    const services = stack.swarm.model.services.map((service) => service.name);
    return { stack: model.name, gateway: model.gatewayUrl, services: await swarmStatus(target.cluster, model.name, services, ctx.deps.clock.now()) };
  }
  return { stack: model.name, gateway: model.gatewayUrl, services: await stackStatus(await ctx.deps.docker(), model, ctx.deps.clock.now()) };
}
