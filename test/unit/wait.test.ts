import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/time/clock.js';
import { parseJsonRpc } from '../../src/gateway/http.js';
import { WaitAborted, WaitTimeout, waitUntil } from '../../src/time/wait.js';

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
