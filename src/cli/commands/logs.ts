import { DockerEngine } from '../../docker/engine.js';
import { UserError } from '../../errors.js';
import { SERVICE_LABEL, STACK_LABEL } from '../../stack/labels.js';
import type { CommandContext } from '../context.js';
import { flagDuration, flagInteger } from '../flags.js';
import { loadStack } from '../load-stack.js';

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  tail?: string;
}

/** Container logs on stdout (they are the result here), redacted like everything else mcpgw prints. */
export async function logsCommand(ctx: CommandContext, service: string | undefined, options: LogsOptions): Promise<void> {
  const { ui, deps } = ctx;
  // Arguments first: a typo is reported as such, not as an unreachable Docker engine.
  const since = options.since ? sinceEpoch(options.since, deps.clock.now()) : undefined;
  const tail = options.tail ? flagInteger('--tail', options.tail, 0, '50') : options.follow ? 20 : 200;
  const { model } = await loadStack(ctx);
  const names = model.services.map((entry) => entry.name);
  if (service && !names.includes(service)) throw new UserError(`unknown service "${service}"`, `services of this stack: ${names.join(', ')}`);
  const engine = await DockerEngine.connect(deps.env);
  const containers = (await engine.listContainers([`${STACK_LABEL}=${model.name}`])).filter(
    (container) => !service || container.labels[SERVICE_LABEL] === service,
  );
  if (containers.length === 0) throw new UserError(`no container of ${service ?? `stack "${model.name}"`} exists`, 'run `mcpgw up` first');
  const prefix = (name: string, text: string) =>
    containers.length === 1 ? text : text.replace(/^(?=.)/gm, `${name} | `);

  if (!options.follow) {
    for (const container of containers) {
      const text = await engine.logs(container.id, tail, since);
      ui.result(prefix(container.labels[SERVICE_LABEL] ?? container.name, text.trimEnd()));
    }
    return;
  }
  await Promise.all(
    containers.map((container) =>
      engine.followLogs(container.id, { tail, ...(since !== undefined ? { since } : {}) }, (text) => ui.result(prefix(container.labels[SERVICE_LABEL] ?? container.name, text.trimEnd())), deps.signal),
    ),
  );
}

/** `600` (seconds), `10m`, `2h`, `1d` before now, or an ISO timestamp, as Unix seconds. */
function sinceEpoch(text: string, now: Date): number {
  if (/^\d+[smhdw]?$/.test(text)) return Math.floor(now.getTime() / 1000) - flagDuration('--since', text, '10m');
  const absolute = Date.parse(text);
  if (Number.isNaN(absolute)) throw new UserError(`--since ${text} is not a duration or a timestamp`, 'use e.g. --since 600, --since 10m or --since 2026-11-26T10:00:00Z');
  return Math.floor(absolute / 1000);
}
