import type { SwarmService, SwarmTask } from '../docker/swarm.js';
import { StepFailed } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { WaitAborted, waitUntil, WaitTimeout } from '../time/wait.js';
import { type Cluster, nodeEngine } from './cluster.js';

/** Swarm's name of a stack's service: `docker stack deploy` prefixes each with the stack's name. */
export function swarmServiceName(stack: string, service: string): string {
  return `${stack}_${service}`;
}

/** A service's tasks that run now, each with its node's engine and container: where a replica is asked from. */
export interface RunningTask {
  task: SwarmTask;
  hostname: string;
  containerId: string;
}

/** The tasks of a service that Swarm wants running and that run (a health-checked task runs only once healthy). */
export async function runningTasks(cluster: Cluster, swarmName: string): Promise<RunningTask[]> {
  return runningOf(cluster, await cluster.manager.swarm().tasks(swarmName));
}

function runningOf(cluster: Cluster, tasks: SwarmTask[]): RunningTask[] {
  return tasks.flatMap((task) =>
    task.desiredState === 'running' && task.state === 'running' && task.containerId
      ? [{ task, hostname: nodeEngine(cluster, task.nodeId)?.node.hostname ?? task.nodeId, containerId: task.containerId }]
      : [],
  );
}

/** The tasks a service is about now: those Swarm wants running (each replica), or of a job its newest run. */
export function wantedTasks(service: Pick<SwarmService, 'mode'>, tasks: SwarmTask[]): SwarmTask[] {
  if (service.mode === 'replicated-job' || service.mode === 'global-job') return tasks.slice(0, 1);
  return tasks.filter((task) => task.desiredState === 'running');
}

/** Why a service is not there yet, in Swarm's words: the newest tasks that ended, with their errors. */
function taskTrouble(tasks: SwarmTask[]): string | undefined {
  const ended = tasks.filter(
    (task) => ['failed', 'rejected', 'orphaned'].includes(task.state) || (task.state === 'complete' && task.desiredState === 'running'),
  );
  const newest = ended[0];
  if (!newest) return undefined;
  const exit = newest.exitCode !== undefined && newest.exitCode !== 0 ? ` (exit ${newest.exitCode})` : '';
  return `${ended.length} task(s) ended, the newest ${newest.state}${exit}: ${newest.error ?? newest.message}`;
}

/**
 * A rolling update of this deploy that Swarm gave up on: paused, or rolled back to the previous spec. The update
 * that started at `before` is an earlier run's: after a rolled-back update, a deploy of the spec Swarm went back to
 * changes nothing, and the service serves.
 */
export function updateFailed(service: SwarmService, before: string | undefined): string | undefined {
  const state = service.updateState;
  if (!state || !/paused|rollback/.test(state) || (before !== undefined && service.updateStartedAt === before)) return undefined;
  const why = service.updateMessage ? ` (${service.updateMessage})` : '';
  if (state === 'paused') return `its rolling update paused${why}; the replicas it had not reached yet serve the previous spec`;
  if (state === 'rollback_paused') return `its rolling update failed and so did Swarm's rollback${why}: replicas may run either spec`;
  const back = state === 'rollback_completed' ? 'rolled it back' : 'is rolling it back';
  return `its rolling update failed and Swarm ${back} to the previous spec, whose replicas go on serving${why}`;
}

/**
 * Why waiting for a service is over for good, if it is: Swarm gave its rolling update up (paused or rolled back), or
 * its tasks keep failing outside a rolling update. During one, failed tasks are Swarm's to judge: its
 * failure_action rolls the update back or pauses it within a poll or two, and that verdict is the one to report (the
 * previous spec's replicas go on serving), not the failures that led to it.
 */
export function serviceVerdict(service: SwarmService, recent: SwarmTask[], failuresAllowed: number, updateBefore: string | undefined): string | undefined {
  const gaveUp = updateFailed(service, updateBefore);
  if (gaveUp) return gaveUp;
  if (service.updateState === 'updating') return undefined;
  const trouble = taskTrouble(recent);
  const failures = recent.filter((task) => ['failed', 'rejected'].includes(task.state)).length;
  return trouble && failures >= failuresAllowed ? trouble : undefined;
}

export interface ConvergeOptions {
  clock: Clock;
  signal?: AbortSignal;
  timeoutMs: number;
  /** When the service's last rolling update started before this deploy (SwarmService.updateStartedAt). */
  updateBefore?: string;
  /** How many tasks that ended this service may show before the wait gives up (a crash loop, an image missing). */
  failuresAllowed?: number;
  onProgress?: (text: string) => void;
}

/**
 * Waits until a replicated service runs all its replicas on its current spec and no rolling update is under way;
 * a task that keeps failing (Swarm restarts it) or an update Swarm paused or rolled back ends the wait at once,
 * with the task's own error.
 */
export async function waitForService(cluster: Cluster, swarmName: string, options: ConvergeOptions): Promise<RunningTask[]> {
  const failuresAllowed = options.failuresAllowed ?? 3;
  // Tasks that ended before this wait are an earlier run's story.
  const since = new Date(options.clock.now()).toISOString();
  try {
    return await waitUntil(
      `service ${swarmName}`,
      async () => {
        const service = await cluster.manager.swarm().service(swarmName);
        if (!service) throw new Error('not deployed');
        const tasks = await cluster.manager.swarm().tasks(swarmName);
        const recent = tasks.filter((task) => task.updatedAt >= since);
        const verdict = serviceVerdict(service, recent, failuresAllowed, options.updateBefore);
        if (verdict) throw new WaitAborted(verdict);
        const trouble = taskTrouble(recent);
        const running = runningOf(cluster, tasks);
        const current = running.filter((entry) => entry.task.image === service.image || entry.task.image.startsWith(`${service.image}@`));
        const wanted = service.replicas ?? 1;
        options.onProgress?.(`${current.length}/${wanted} running`);
        if (current.length < wanted || running.length > wanted)
          throw new Error(`${current.length} of ${wanted} task(s) running${trouble ? `; ${trouble}` : ''}`);
        if (service.updateState === 'updating') throw new Error('rolling update under way');
        return current;
      },
      { clock: options.clock, timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } catch (error) {
    throw asStepFailed(error, swarmName);
  }
}

/**
 * Waits for the newest run of a job service (`deploy.mode: replicated-job`) to end: its task complete, else the
 * task's exit code and output. Swarm runs a job again only when its spec changes, so an unchanged job that already
 * completed returns at once.
 */
export async function waitForJob(cluster: Cluster, swarmName: string, options: ConvergeOptions): Promise<{ task: SwarmTask; output: string }> {
  try {
    const task = await waitUntil(
      `job ${swarmName}`,
      async () => {
        const [newest] = await cluster.manager.swarm().tasks(swarmName);
        if (!newest) throw new Error('no task yet');
        options.onProgress?.(newest.state);
        if (newest.state === 'complete') return newest;
        if (['failed', 'rejected', 'shutdown', 'orphaned'].includes(newest.state)) throw new WaitAborted(jobFailure(newest, await taskOutput(cluster, newest)));
        throw new Error(`task ${newest.state}${newest.message ? ` (${newest.message})` : ''}`);
      },
      { clock: options.clock, timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
    return { task, output: await taskOutput(cluster, task) };
  } catch (error) {
    throw asStepFailed(error, swarmName);
  }
}

function jobFailure(task: SwarmTask, output: string): string {
  const exit = task.exitCode !== undefined ? ` with exit ${task.exitCode}` : '';
  const tail = output.trimEnd().split('\n').slice(-15).join('\n');
  return `its task ${task.state}${exit}: ${task.error ?? task.message}${tail ? `\n${tail}` : ''}`;
}

/** The last lines a task's container wrote, read from its node's engine (empty when the node cannot be reached). */
export async function taskOutput(cluster: Cluster, task: SwarmTask, lines = 50): Promise<string> {
  const node = nodeEngine(cluster, task.nodeId);
  if (!node || !task.containerId) return '';
  return node.engine.logs(task.containerId, lines).catch(() => '');
}

function asStepFailed(error: unknown, swarmName: string): Error {
  if (error instanceof WaitTimeout)
    return new StepFailed(
      `service ${swarmName} did not converge: ${error.message}`,
      `\`docker service ps ${swarmName} --no-trunc\` on the manager shows each task and why it ended`,
    );
  if (error instanceof Error && error.cause instanceof WaitAborted)
    return new StepFailed(
      `service ${swarmName}: ${error.cause.message}`,
      `\`docker service ps ${swarmName} --no-trunc\` on the manager shows each task and why it ended`,
    );
  return error as Error;
}
