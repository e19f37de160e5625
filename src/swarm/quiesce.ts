import { StepFailed } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import type { Cluster } from './cluster.js';
import { type ConvergeOptions, type RunningTask, waitForService } from './converge.js';

export interface QuiesceOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** How long the tasks may take to stop: their stop grace period, with room. */
  timeoutMs: number;
}

/**
 * Scales a replicated service to none and waits until none of its tasks runs (each stopped within its grace period),
 * so nothing of it writes any more; resolves the replica count it had. A wait that expires gives the service its
 * replicas back before failing: nothing is left stopped by a stop that did not finish.
 */
export async function stopService(cluster: Cluster, swarmName: string, options: QuiesceOptions): Promise<number> {
  const swarm = cluster.manager.swarm();
  const service = await swarm.service(swarmName);
  if (!service) throw new StepFailed(`service ${swarmName} is not deployed`, 'run `mcpgw up` first');
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
  } catch (error) {
    await swarm.scale(swarmName, replicas);
    throw new StepFailed(
      `${swarmName} did not stop: ${(error as Error).message}; it was given its ${replicas} replica(s) back`,
      `\`docker service ps ${swarmName} --no-trunc\` on the manager shows its tasks`,
    );
  }
  return replicas;
}

/** Gives a replicated service `replicas` again and waits until they all run on its current spec (waitForService). */
export async function startService(cluster: Cluster, swarmName: string, replicas: number, options: ConvergeOptions): Promise<RunningTask[]> {
  await cluster.manager.swarm().scale(swarmName, replicas);
  return waitForService(cluster, swarmName, options);
}
