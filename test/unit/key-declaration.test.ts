import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { declareBySecret } from '../../src/keys/declaration.js';

const hash = 'c0ffee'.padEnd(64, '0');

describe('declareBySecret: a key rotated out of token_sha256 is declared by its secret', () => {
  it('rewrites the one pair in block style, keeping quotes, comments and every other line', () => {
    const text = [
      'version: 1',
      'host: gw.lan',
      'keys:',
      '  - alias: hand # made by hand in 2025',
      `    token_sha256: "${hash}" # adopted`,
      '    expires: 30d',
      '',
    ].join('\n');
    const edited = declareBySecret(text, hash, 'MCPGW_KEY_HAND');
    expect(edited).toBe(text.replace(`token_sha256: "${hash}"`, 'secret: "MCPGW_KEY_HAND"'));
    expect(parseConfig(edited).keys[0]).toMatchObject({ alias: 'hand', secret: 'MCPGW_KEY_HAND' });
  });

  it('rewrites a flow-style entry, and refuses a hash it finds nowhere or twice, naming the hand edit', () => {
    expect(declareBySecret(`keys: [{ alias: hand, token_sha256: ${hash} }]\n`, hash, 'S')).toBe('keys: [{ alias: hand, secret: S }]\n');
    expect(() => declareBySecret('keys: []\n', hash, 'S')).toThrow(/token_sha256: c0ffee000000… nowhere/);
    expect(() => declareBySecret(`a: {token_sha256: ${hash}}\nb: {token_sha256: ${hash}}\n`, hash, 'S')).toThrow(/2 times/);
    expect(() => declareBySecret(`keys: [{ token_sha256: ${hash}1 }]\n`, hash, 'S')).toThrow(/nowhere/);
  });
});
