import { WaitAborted, waitUntil, type WaitOptions } from '../time/wait.js';
import type { ContainerClient } from './containers.js';
import type { ContainerIoClient } from './container-io.js';

/** How many of its last log lines a failed wait on a container hands over. */
export const WAIT_LOG_LINES = 50;

/** A wait on a container that ended without the answer it waited for: why, and the container's last log lines. */
export class ContainerWaitFailed extends Error {
  constructor(
    message: string,
    readonly logs: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * waitUntil on a container's own answer (`check`: a value when ready, undefined or a throw while not yet) that gives
 * up at once when the container disappears, exits or restarts, and hands its last log lines to the failure. The
 * restart count matters: a restart policy brings a crashing server back, so "running" alone would hide a crash
 * loop. An aborted wait (the signal) is rethrown as it is.
 */
export async function waitOnContainer<T>(
  engine: Pick<ContainerClient, 'containerState'> & Pick<ContainerIoClient, 'logs'>,
  id: string,
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const restartsBefore = (await engine.containerState(id))?.restartCount ?? 0;
  try {
    return await waitUntil(
      what,
      async () => {
        const state = await engine.containerState(id);
        if (!state) throw new WaitAborted('container disappeared');
        if (state.restartCount > restartsBefore) throw new WaitAborted(`container keeps exiting (restarted ${state.restartCount - restartsBefore} time(s))`);
        if (!state.running) throw new WaitAborted(`container exited with code ${state.exitCode}`);
        return check();
      },
      options,
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const logs = await engine.logs(id, WAIT_LOG_LINES).catch((failure: Error) => `(its logs could not be read: ${failure.message})`);
    throw new ContainerWaitFailed((error as Error).message, logs.trimEnd(), { cause: error });
  }
}
