import { stackDown, type DownReport } from '../stack/down.js';
import type { StackModel } from '../stack/model.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';

/** Removes this stack's containers and networks (its volumes only when asked). */
export async function downStack(ctx: OpContext, volumes: boolean): Promise<{ model: StackModel; report: DownReport }> {
  const { model } = await loadStack(ctx);
  return { model, report: await stackDown(await ctx.deps.docker(), model, { volumes }) };
}
