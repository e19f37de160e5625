import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/time/clock.js';
import { parseJsonRpc } from '../../src/gateway/http.js';
import { WaitAborted, WaitTimeout, waitUntil } from '../../src/time/wait.js';
import { ContainerWaitFailed, WAIT_LOG_LINES, waitOnContainer } from '../../src/docker/container-wait.js';
import type { ContainerState } from '../../src/docker/containers.js';

/** A clock that advances only when waited on, so deadlines are tested without real sleeping. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('waitUntil', () => {
  it('returns the first ready value, backing off 100 ms doubling to 1 s', async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await waitUntil('thing', async () => (++calls === 7 ? 'ready' : undefined), { clock, timeoutMs: 60_000 });
    expect(value).toBe('ready');
    expect(clock.slept).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('times out at the deadline with the last reason seen', async () => {
    const clock = fakeClock();
    const wait = waitUntil(
      'postgres: healthy',
      async () => {
        throw new Error('health is starting');
      },
      { clock, timeoutMs: 3000 },
    );
    await expect(wait).rejects.toThrow(WaitTimeout);
    await expect(wait).rejects.toThrow('timed out after 3 s waiting for postgres: healthy: health is starting');
    expect(clock.now()).toBe(3000);
  });

  it('stops at once on WaitAborted', async () => {
    const clock = fakeClock();
    await expect(
      waitUntil(
        'mcp',
        async () => {
          throw new WaitAborted('container exited with code 3');
        },
        { clock },
      ),
    ).rejects.toThrow('mcp: container exited with code 3');
    expect(clock.slept).toEqual([]);
  });

  it('honours an abort signal (Ctrl-C)', async () => {
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    await expect(waitUntil('x', async () => undefined, { clock: fakeClock(), signal: controller.signal })).rejects.toThrow('interrupted');
  });
});

describe('parseJsonRpc', () => {
  it('reads plain JSON and SSE-framed answers', () => {
    expect(parseJsonRpc('{"jsonrpc":"2.0","id":1,"result":{"ok":true}}')).toMatchObject({ result: { ok: true } });
    expect(parseJsonRpc('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"a":1}}\n\n')).toMatchObject({ result: { a: 1 } });
    expect(parseJsonRpc('<html>')).toBeUndefined();
  });
});

describe('waitOnContainer: a wait on a container gives up as soon as the container cannot answer any more', () => {
  /** A container whose state follows `states`, one per look (the last one stays), with two log lines. */
  function container(states: (ContainerState | undefined)[]) {
    let look = 0;
    return {
      containerState: async () => states[Math.min(look++, states.length - 1)],
      logs: async (_id: string, tail?: number) => `line 1\nline 2 (tail ${tail})\n`,
    };
  }
  const running = (restartCount = 0): ContainerState => ({ running: true, restartCount, status: 'running', exitCode: 0 });

  it('returns the answer once the check gives one', async () => {
    let asked = 0;
    const answer = await waitOnContainer(container([running()]), 'c1', 'ready', async () => (++asked < 3 ? undefined : 'ok'), { clock: fakeClock() });
    expect(answer).toBe('ok');
    expect(asked).toBe(3);
  });

  it('stops at a crash loop (a rising restart count while running), an exit and a removal, each with the last log lines', async () => {
    const never = async () => undefined;
    const failures = await Promise.all(
      [
        [running(), running(), running(1)],
        [running(), { ...running(), running: false, status: 'exited', exitCode: 3 }],
        [running(), undefined],
      ].map((states) => waitOnContainer(container(states), 'c1', 'ready', never, { clock: fakeClock(), timeoutMs: 60_000 }).catch((error: unknown) => error)),
    );
    expect(failures.map((failure) => (failure as Error).message)).toEqual([
      'ready: container keeps exiting (restarted 1 time(s))',
      'ready: container exited with code 3',
      'ready: container disappeared',
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ContainerWaitFailed);
      expect((failure as ContainerWaitFailed).logs).toBe(`line 1\nline 2 (tail ${WAIT_LOG_LINES})`);
    }
  });

  it('rethrows an interrupted wait as it is, without reading logs', async () => {
    const interrupt = new AbortController();
    interrupt.abort(new Error('interrupted'));
    const failure = await waitOnContainer(container([running()]), 'c1', 'ready', async () => undefined, { clock: fakeClock(), signal: interrupt.signal }).catch(
      (error: unknown) => error,
    );
    expect(failure).not.toBeInstanceOf(ContainerWaitFailed);
    expect((failure as Error).message).toBe('interrupted');
  });
});
