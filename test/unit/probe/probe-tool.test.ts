import { describe, expect, it } from 'vitest';
import type { ListedTool } from '../../../src/gateway/session.js';
import { callProves, probeCallFor, serverOfTool } from '../../../src/probe/probe-tool.js';

const echo: ListedTool = { name: 'alpha-echo', inputSchema: { properties: { message: { type: 'string' } }, required: ['message'] } };
const sum: ListedTool = { name: 'alpha-get-sum', inputSchema: { properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } };

describe('probeCallFor', () => {
  it('picks the echo tool and sends the nonce as its one required string argument', () => {
    expect(probeCallFor('alpha', [sum, echo], 'nonce-1')).toEqual({ gatewayName: 'alpha-echo', arguments: { message: 'nonce-1' }, expectsNonce: true });
  });

  it("ignores another server's echo and tools that are not echo-shaped", () => {
    expect(probeCallFor('beta', [echo], 'nonce-1')).toBeUndefined();
    expect(probeCallFor('alpha', [sum], 'nonce-1')).toBeUndefined();
    const twoArgs: ListedTool = {
      name: 'alpha-echo',
      inputSchema: { properties: { message: { type: 'string' }, n: { type: 'number' } }, required: ['message', 'n'] },
    };
    expect(probeCallFor('alpha', [twoArgs], 'nonce-1')).toBeUndefined();
  });

  it('uses a declared probe, replacing {nonce} in string arguments', () => {
    const declared = { tool: 'get-sum', arguments: { a: 1, b: 2 } };
    expect(probeCallFor('alpha', [sum], 'nonce-1', declared)).toEqual({ gatewayName: 'alpha-get-sum', arguments: { a: 1, b: 2 }, expectsNonce: false });
    const withNonce = { tool: 'echo', arguments: { message: 'probe {nonce}' } };
    expect(probeCallFor('alpha', [echo], 'nonce-1', withNonce)).toEqual({
      gatewayName: 'alpha-echo',
      arguments: { message: 'probe nonce-1' },
      expectsNonce: true,
    });
    expect(probeCallFor('alpha', [echo], 'nonce-1', declared)).toBeUndefined();
  });

  it("takes a declared refusal as proof only when the tool's own error carries the expected text, nonce in place", () => {
    const fetch: ListedTool = { name: 'web-fetch', inputSchema: { properties: { url: { type: 'string' } }, required: ['url'] } };
    const declared = { tool: 'fetch', arguments: { url: 'http://{nonce}@127.0.0.1:9/' }, expect_error: '{nonce}@127.0.0.1:9/robots.txt' };
    const call = probeCallFor('web', [fetch], 'nonce-1', declared);
    expect(call).toEqual({
      gatewayName: 'web-fetch',
      arguments: { url: 'http://nonce-1@127.0.0.1:9/' },
      expectsNonce: true,
      expectsError: 'nonce-1@127.0.0.1:9/robots.txt',
    });
    if (!call) return;
    expect(callProves(call, { isError: true, text: 'Refused to fetch http://nonce-1@127.0.0.1:9/robots.txt: not public' }, 'nonce-1')).toBe(true);
    // A result instead of the refusal, an error of another run or someone else's error proves nothing.
    expect(callProves(call, { isError: false, text: 'Contents of nonce-1@127.0.0.1:9/robots.txt' }, 'nonce-1')).toBe(false);
    expect(callProves(call, { isError: true, text: 'Refused to fetch http://nonce-0@127.0.0.1:9/robots.txt' }, 'nonce-1')).toBe(false);
    expect(callProves(call, { isError: true, text: 'tool web-fetch failed: upstream unreachable' }, 'nonce-1')).toBe(false);
  });

  it('takes a plain call as proof when it is no error and carries the nonce it sent', () => {
    const call = { gatewayName: 'alpha-echo', arguments: { message: 'nonce-1' }, expectsNonce: true };
    expect(callProves(call, { isError: false, text: 'Echo: nonce-1' }, 'nonce-1')).toBe(true);
    expect(callProves(call, { isError: true, text: 'Echo: nonce-1' }, 'nonce-1')).toBe(false);
    expect(callProves(call, { isError: false, text: 'Echo: nonce-0' }, 'nonce-1')).toBe(false);
    expect(callProves({ ...call, expectsNonce: false }, { isError: false, text: 'anything' }, 'nonce-1')).toBe(true);
  });

  it('splits gateway tool names at the first dash (server names cannot contain one)', () => {
    expect(serverOfTool('my_server-get-tiny-image')).toBe('my_server');
    expect(serverOfTool('nodash')).toBe('');
  });
});
