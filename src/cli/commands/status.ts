import { ReportedFailure } from '../../errors.js';
import { statusOfStack } from '../../ops/status.js';
import { formatUptime } from '../../stack/status.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';
import { configJson, invalidConfigFailure } from '../format/invalid-config.js';

/** Exit 1 when any declared service is not running, so scripts can use `mcpgw status` as a check. */
export async function statusCommand(ctx: CommandContext): Promise<void> {
  const { ui } = ctx;
  const { stack, gateway, services: statuses, invalid } = await statusOfStack(ctx);
  // A job (the swarm's migration) that ran to its end is as it should be.
  const down = statuses.filter((status) => !['running', 'complete'].includes(status.state) || status.health === 'unhealthy');
  if (invalid) ui.info(`${invalid.message}: showing the containers labelled io.mcpgw.stack=${stack} instead of the services it declares`);
  if (ctx.options.json) {
    ui.json({ ok: down.length === 0 && !invalid, stack, ...(gateway ? { gateway } : {}), ...configJson(invalid), services: statuses });
  } else {
    ui.result(
      formatTable(
        ['SERVICE', ...(statuses.some((status) => status.node) ? ['NODE'] : []), 'STATE', 'HEALTH', 'UPTIME', 'PORTS', 'IMAGE'],
        statuses.map((status) => [
          status.service,
          ...(statuses.some((entry) => entry.node) ? [status.node ?? '-'] : []),
          status.state,
          status.health,
          formatUptime(status.uptimeSeconds),
          status.ports.join(',') || '-',
          status.image,
        ]),
      ),
    );
  }
  if (invalid) throw invalidConfigFailure(invalid, ctx.options.json);
  if (down.length > 0)
    throw new ReportedFailure(
      `${down.map((status) => status.service).join(', ')} not running or unhealthy`,
      'run `mcpgw up` (and `mcpgw logs SERVICE` to see why)',
    );
}
