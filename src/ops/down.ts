import { stackDown, type DownReport } from '../stack/down.js';
import { unguardStack } from '../stack/firewall.js';
import type { StackModel } from '../stack/model.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';

/** Removes this stack's containers and networks (its volumes only when asked), then its DOCKER-USER rules. */
export async function downStack(ctx: OpContext, volumes: boolean): Promise<{ model: StackModel; report: DownReport & { removedRules: number } }> {
  const { model } = await loadStack(ctx);
  const report = await stackDown(await ctx.deps.docker(), model, { volumes });
  // Where iptables cannot be read (not root), up could not have installed any either.
  const removedRules = (await unguardStack(await ctx.deps.hostShell(), model)) ?? 0;
  return { model, report: { ...report, removedRules } };
}
