import { UserError } from '../errors.js';
import { SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import type { OpContext } from './context.js';
import { loadStack } from './stack.js';
import { refuseOnSwarm } from './swarm-target.js';

export interface LogsRequest {
  /** One service; all of the stack's when absent. */
  service?: string;
  follow: boolean;
  tail: number;
  /** Unix seconds. */
  since?: number;
}

/**
 * The containers' logs, handed to `onText` with the service's name (a followed log until the run is
 * interrupted); the command decides how to show them.
 */
export async function stackLogs(ctx: OpContext, request: LogsRequest, onText: (text: string, service: string, of: number) => void): Promise<void> {
  const { model, loaded } = await loadStack(ctx);
  refuseOnSwarm(loaded.config, 'logs', '`docker service logs <stack>_<service>` on the manager');
  const names = model.services.map((entry) => entry.name);
  if (request.service && !names.includes(request.service))
    throw new UserError(`unknown service "${request.service}"`, `services of this stack: ${names.join(', ')}`);
  const engine = await ctx.deps.docker();
  const containers = (await engine.listContainers([`${STACK_LABEL}=${model.name}`])).filter(
    (container) => !request.service || container.labels[SERVICE_LABEL] === request.service,
  );
  if (containers.length === 0) throw new UserError(`no container of ${request.service ?? `stack "${model.name}"`} exists`, 'run `mcpgw up` first');
  const serviceOf = (container: (typeof containers)[number]) => container.labels[SERVICE_LABEL] ?? container.name;
  if (!request.follow) {
    for (const container of containers) onText(await engine.logs(container.id, request.tail, request.since), serviceOf(container), containers.length);
    return;
  }
  const options = { tail: request.tail, ...(request.since !== undefined ? { since: request.since } : {}) };
  await Promise.all(
    containers.map((container) => engine.followLogs(container.id, options, (text) => onText(text, serviceOf(container), containers.length), ctx.deps.signal)),
  );
}
