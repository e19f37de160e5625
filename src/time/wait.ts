import { systemClock, type Clock } from './clock.js';

export interface WaitOptions {
  timeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/** Thrown by a check to stop waiting at once (the container exited, the image has no healthcheck). */
export class WaitAborted extends Error {}

export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly reason: string,
  ) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${reason}`);
  }
}

/**
 * Polls `check` with backoff (100 ms doubling to 1 s) until it returns a value or the deadline passes. A check
 * returns undefined or throws to mean "not yet"; the last reason is part of the timeout message, so a failed
 * wait says what it saw, not just that it gave up.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 60_000, clock = systemClock, signal } = options;
  const deadline = clock.now() + timeoutMs;
  let delay = 100;
  let reason = 'no attempt finished';
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined) return value;
      reason = 'not ready yet';
    } catch (error) {
      if (error instanceof WaitAborted) throw new Error(`${what}: ${error.message}`, { cause: error });
      reason = error instanceof Error ? error.message : String(error);
    }
    const left = deadline - clock.now();
    if (left <= 0) throw new WaitTimeout(what, timeoutMs, reason);
    await clock.sleep(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, 1000);
  }
}
