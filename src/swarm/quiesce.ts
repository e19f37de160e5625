import { StepFailed } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import type { Cluster } from './cluster.js';

export interface QuiesceOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** How long the tasks may take to stop: their stop grace period, with room. */
  timeoutMs: number;
}

/**
 * Runs `work` while a replicated service has no task running (scaled to none, each task stopped within its grace
 * period), then gives it back its replica count, also when `work` failed. Waiting for the replicas to serve again is
 * the caller's (a deploy's wait, the front door's).
 */
export async function withServiceStopped<T>(cluster: Cluster, swarmName: string, options: QuiesceOptions, work: () => Promise<T>): Promise<T> {
  const swarm = cluster.manager.swarm();
  const service = await swarm.service(swarmName);
  if (!service) throw new StepFailed(`service ${swarmName} is not deployed`);
  const replicas = service.replicas ?? 1;
  await swarm.scale(swarmName, 0);
  try {
    await waitUntil(
      `the tasks of ${swarmName} to stop`,
      async () => {
        // Swarm wants them shut down at once; their containers run until their stop ends.
        const running = (await swarm.tasks(swarmName)).filter((task) => task.state === 'running' || task.state === 'starting');
        if (running.length > 0) throw new Error(`${running.length} task(s) still running`);
        return true;
      },
      { clock: options.clock, timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
    return await work();
  } finally {
    await swarm.scale(swarmName, replicas);
  }
}
