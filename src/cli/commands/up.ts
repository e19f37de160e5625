import { upStack, type UpRequest } from '../../ops/up.js';
import type { CommandContext } from '../context.js';
import { reportUp } from '../format/up.js';

export type UpOptions = UpRequest;

export async function upCommand(ctx: CommandContext, options: UpOptions): Promise<void> {
  reportUp(ctx, await upStack(ctx, options));
}
