import type { ConfigError } from '../errors.js';
import { STACK_LABEL } from '../stack/labels.js';
import { labelledDown, stackDown, type DownReport } from '../stack/down.js';
import { unguardStack } from '../stack/firewall.js';
import { dataNodeLabel } from '../stack/swarm.js';
import { swarmDown } from '../swarm/down.js';
import type { OpContext } from './context.js';
import { loadStackOrHints } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

export interface StackDown {
  stack: string;
  /** The stack's volumes, kept unless asked to remove them. */
  volumes: string[];
  report: DownReport & { removedRules: number };
  /** mcpgw.yaml (or its secrets file) does not validate: what went was found by the stack's labels alone. */
  invalid?: ConfigError;
}

/**
 * Removes this stack's containers and networks (its volumes only when asked), then its DOCKER-USER rules. When
 * mcpgw.yaml does not validate, on this engine by the stack's labels (its name from the file's `name:` line).
 */
export async function downStack(ctx: OpContext, volumes: boolean): Promise<StackDown> {
  const stack = await loadStackOrHints(ctx);
  if ('invalid' in stack) {
    const engine = await ctx.deps.docker();
    const kept = volumes ? [] : await engine.listVolumes([`${STACK_LABEL}=${stack.name}`]);
    const report = await labelledDown(engine, stack.name, { volumes });
    const removedRules = (await unguardStack(await ctx.deps.hostShell(), stack)) ?? 0;
    return { stack: stack.name, volumes: kept, report: { ...report, removedRules }, invalid: stack.invalid };
  }
  const { model } = stack;
  if (isSwarm(stack) && stack.swarm) {
    const target = await swarmTarget(ctx, stack);
    const report = await swarmDown(target.cluster, target.cli, model.name, {
      volumes: volumes && stack.swarm.model.volumes,
      dataNodeLabel: dataNodeLabel(model.name),
      clock: ctx.deps.clock,
    });
    return { stack: model.name, volumes: model.volumes, report: { ...report, removedRules: 0 } };
  }
  const report = await stackDown(await ctx.deps.docker(), model, { volumes });
  // Where iptables cannot be read (not root), up could not have installed any either.
  const removedRules = (await unguardStack(await ctx.deps.hostShell(), model)) ?? 0;
  return { stack: model.name, volumes: model.volumes, report: { ...report, removedRules } };
}
