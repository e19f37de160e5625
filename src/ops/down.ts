import { stackDown, type DownReport } from '../stack/down.js';
import { unguardStack } from '../stack/firewall.js';
import type { StackModel } from '../stack/model.js';
import { dataNodeLabel } from '../stack/swarm.js';
import { swarmDown } from '../swarm/down.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

/** Removes this stack's containers and networks (its volumes only when asked), then its DOCKER-USER rules. */
export async function downStack(ctx: OpContext, volumes: boolean): Promise<{ model: StackModel; report: DownReport & { removedRules: number } }> {
  const stack = await loadStack(ctx);
  const { model } = stack;
  if (isSwarm(stack) && stack.swarm) {
    const target = await swarmTarget(ctx, stack);
    const report = await swarmDown(target.cluster, target.cli, model.name, {
      volumes: volumes && stack.swarm.model.volumes,
      dataNodeLabel: dataNodeLabel(model.name),
      clock: ctx.deps.clock,
    });
    return { model, report: { ...report, removedRules: 0 } };
  }
  const report = await stackDown(await ctx.deps.docker(), model, { volumes });
  // Where iptables cannot be read (not root), up could not have installed any either.
  const removedRules = (await unguardStack(await ctx.deps.hostShell(), model)) ?? 0;
  return { model, report: { ...report, removedRules } };
}
