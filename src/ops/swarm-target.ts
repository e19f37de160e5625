import type { McpgwConfig } from '../config/schema.js';
import { StackCli } from '../docker/stack-cli.js';
import { UserError } from '../errors.js';
import { STACK_FILE } from '../render/swarm-stack.js';
import { type Cluster, connectCluster } from '../swarm/cluster.js';
import type { OpContext } from './context.js';
import type { LoadedStack } from './stack.js';

/** A stack on a swarm as the commands act on it: the proven cluster, where its stack file is, the CLI that deploys it. */
export interface SwarmTarget {
  cluster: Cluster;
  stackPath: string;
  cli: StackCli;
}

/**
 * Connected once per loaded stack: `up` then its key sync and probe, or a probe's keys, replicas and their heartbeats,
 * all act on one cluster instead of pinging every node again (a node that is down costs each ping its deadline).
 */
const targets = new WeakMap<LoadedStack, Promise<SwarmTarget>>();

export function swarmTarget(ctx: OpContext, stack: LoadedStack): Promise<SwarmTarget> {
  let target = targets.get(stack);
  if (!target) {
    target = connectTarget(ctx, stack);
    targets.set(stack, target);
    target.catch(() => targets.delete(stack));
  }
  return target;
}

async function connectTarget(ctx: OpContext, stack: LoadedStack): Promise<SwarmTarget> {
  const { swarm } = stack.loaded.config;
  if (!swarm) throw new Error('engine: swarm without a swarm: block passed validation');
  const cluster = await connectCluster(swarm, ctx.deps.env, ctx.deps.dockerAt);
  return {
    cluster,
    stackPath: `${stack.loaded.dir}/${STACK_FILE}`,
    cli: new StackCli(await ctx.deps.hostShell(), cluster.managerUrl),
  };
}

export function isSwarm(stack: LoadedStack): boolean {
  return stack.loaded.config.engine === 'swarm';
}

/**
 * Commands that act on one engine's containers and do not yet know a swarm's tasks refuse a swarm (exit 2) rather
 * than judge or change the wrong engine.
 */
export function refuseOnSwarm(config: Pick<McpgwConfig, 'engine'>, command: string, instead: string): void {
  if (config.engine !== 'swarm') return;
  throw new UserError(`\`mcpgw ${command}\` does not know a swarm's tasks yet (engine: swarm in mcpgw.yaml)`, instead);
}
