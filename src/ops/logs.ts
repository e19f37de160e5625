import { readSecrets } from '../config/secrets.js';
import { type ConfigError, UserError } from '../errors.js';
import { SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import { readTaskLog, TASK_LOG_TIMEOUT_MS, taskLogs } from '../swarm/logs.js';
import type { OpContext } from './context.js';
import { loadStackOrHints, type LoadedStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

export interface LogsRequest {
  /** One service; all of the stack's when absent. */
  service?: string;
  follow: boolean;
  tail: number;
  /** Unix seconds. */
  since?: number;
}

/** Hands a log's text to the command with where it came from (a service, on a swarm a task on its node) and of how many sources. */
export type OnLogText = (text: string, source: string, of: number) => void;

/**
 * The containers' logs, handed to `onText` with the service's name (a followed log until the run is
 * interrupted); the command decides how to show them. On a swarm, each task's log with its replica and node.
 * When mcpgw.yaml does not validate, the logs of the containers labelled with the stack are still shown (redacted
 * with its secrets file, else not at all), and the file's problems are returned for the command to report.
 */
export async function stackLogs(ctx: OpContext, request: LogsRequest, onText: OnLogText): Promise<ConfigError | undefined> {
  const stack = await loadStackOrHints(ctx);
  if ('invalid' in stack) {
    ctx.ui.addSecrets((await readSecrets(stack.secretsFile)).values());
    ctx.ui.warn(`${stack.invalid.message}: showing the logs of the containers labelled io.mcpgw.stack=${stack.name}`);
    await engineLogs(ctx, stack.name, request, onText);
    return stack.invalid;
  }
  const { model } = stack;
  const names = stack.swarm ? stack.swarm.model.services.map((entry) => entry.name) : model.services.map((entry) => entry.name);
  if (request.service && !names.includes(request.service))
    throw new UserError(`unknown service "${request.service}"`, `services of this stack: ${names.join(', ')}`);
  if (isSwarm(stack)) await swarmLogs(ctx, stack, request.service ? [request.service] : names, request, onText);
  else await engineLogs(ctx, model.name, request, onText);
  return undefined;
}

/** The logs of the stack's containers on this engine, found by their labels. */
async function engineLogs(ctx: OpContext, stack: string, request: LogsRequest, onText: OnLogText): Promise<void> {
  const engine = await ctx.deps.docker();
  const containers = (await engine.listContainers([`${STACK_LABEL}=${stack}`])).filter(
    (container) => !request.service || container.labels[SERVICE_LABEL] === request.service,
  );
  if (containers.length === 0) throw new UserError(`no container of ${request.service ?? `stack "${stack}"`} exists`, 'run `mcpgw up` first');
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

/**
 * Each current task's log read on its node's engine (Swarm's service log API waits forever on a node that went
 * away): a task whose node does not answer, in time or at all, is skipped and named on stderr, the others shown.
 */
async function swarmLogs(ctx: OpContext, stack: LoadedStack, services: string[], request: LogsRequest, onText: OnLogText): Promise<void> {
  const { cluster } = await swarmTarget(ctx, stack);
  const { logs, skipped } = await taskLogs(cluster, stack.model.name, services);
  const skip = (text: string) => ctx.ui.warn(`skipped ${text}`);
  for (const text of skipped) skip(text);
  if (logs.length === 0)
    throw new UserError(`no task of ${request.service ?? `stack "${stack.model.name}"`} can be read`, 'run `mcpgw up` first; `mcpgw status` shows the tasks');
  if (!request.follow) {
    const read = { tail: request.tail, clock: ctx.deps.clock, ...(request.since !== undefined ? { since: request.since } : {}) };
    const texts = await Promise.all(logs.map((log) => readTaskLog(log, read)));
    logs.forEach((log, index) => {
      const text = texts[index];
      if (text === undefined) skip(`${log.source}: its node's engine sent no log within ${TASK_LOG_TIMEOUT_MS / 1000} s`);
      else onText(text, log.source, logs.length);
    });
    return;
  }
  const options = { tail: request.tail, ...(request.since !== undefined ? { since: request.since } : {}) };
  await Promise.all(
    logs.map((log) =>
      log.node.engine
        .followLogs(log.containerId, options, (text) => onText(text, log.source, logs.length), ctx.deps.signal)
        .catch((error: Error) => skip(`${log.source}: its log stopped: ${error.message}`)),
    ),
  );
}
