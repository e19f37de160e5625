import { describe, expect, it } from 'vitest';
import type { ListedTool } from '../../../src/gateway/session.js';
import { probeCallFor, serverOfTool } from '../../../src/probe/probe-tool.js';

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

  it('splits gateway tool names at the first dash (server names cannot contain one)', () => {
    expect(serverOfTool('my_server-get-tiny-image')).toBe('my_server');
    expect(serverOfTool('nodash')).toBe('');
  });
});
