import { UserError } from '../../errors.js';
import { stackLogs } from '../../ops/logs.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { flagDuration, flagInteger } from '../flags.js';

/** Container logs on stdout (they are the result here), redacted like everything else mcpgw prints. */
export async function logsCommand(ctx: CommandContext, service: string | undefined, options: CommandOptions<'logs'>): Promise<void> {
  // Arguments first: a typo is reported as such, not as an unreachable Docker engine.
  const since = options.since ? sinceEpoch(options.since, new Date(ctx.deps.clock.now())) : undefined;
  const tail = options.tail ? flagInteger('--tail', options.tail, 0, '50') : options.follow ? 20 : 200;
  const request = { follow: Boolean(options.follow), tail, ...(service ? { service } : {}), ...(since !== undefined ? { since } : {}) };
  const invalid = await stackLogs(ctx, request, (text, name, of) =>
    ctx.ui.result(of === 1 ? text.trimEnd() : text.trimEnd().replace(/^(?=.)/gm, `${name} | `)),
  );
  // The logs are shown; the file still has to be fixed (exit 2, its problems listed).
  if (invalid) throw invalid;
}

/** `600` (seconds), `10m`, `2h`, `1d` before now, or an ISO timestamp, as Unix seconds. */
function sinceEpoch(text: string, now: Date): number {
  if (/^\d+[smhdw]?$/.test(text)) return Math.floor(now.getTime() / 1000) - flagDuration('--since', text, '10m');
  const absolute = Date.parse(text);
  if (Number.isNaN(absolute))
    throw new UserError(`--since ${text} is not a duration or a timestamp`, 'use e.g. --since 600, --since 10m or --since 2026-11-26T10:00:00Z');
  return Math.floor(absolute / 1000);
}
