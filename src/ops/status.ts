import type { StackModel } from '../stack/model.js';
import { stackStatus, type ServiceStatus } from '../stack/status.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';

/** Each declared service as Docker sees it now. */
export async function statusOfStack(ctx: OpContext): Promise<{ model: StackModel; services: ServiceStatus[] }> {
  const { model } = await loadStack(ctx);
  return { model, services: await stackStatus(await ctx.deps.docker(), model, ctx.deps.clock.now()) };
}
