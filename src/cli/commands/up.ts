import { upStack } from '../../ops/up.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { reportUp } from '../format/up.js';

export async function upCommand(ctx: CommandContext, options: CommandOptions<'up'>): Promise<void> {
  reportUp(ctx, await upStack(ctx, { dryRun: options.dryRun, probe: options.probe, installDocker: options.installDocker }));
}
