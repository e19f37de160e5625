import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { McpgwConfig } from '../../src/config/schema.js';
import { aliasKeyValue, declareBySecret, keptKeySecret } from '../../src/keys/declaration.js';

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

describe('keptKeySecret: whether mcpgw keeps the value of the key called alias, one answer for rotate, doctor and --key-alias', () => {
  const keys = [
    { alias: 'claude-code' },
    { alias: 'codex', secret: 'CODEX_KEY' },
    { alias: 'hand', token_sha256: hash },
    { alias: 'squatter', secret: 'MCPGW_KEY_SAVED' },
  ] as McpgwConfig['keys'];
  const secrets = new Map([
    ['MCPGW_KEY_CLAUDE_CODE', 'sk-a'],
    ['CODEX_KEY', 'sk-b'],
    ['MCPGW_KEY_HAND', 'sk-c'],
    ['MCPGW_KEY_SAVED', 'sk-d'],
    ['MCPGW_KEY_HOMELAB', 'sk-e'],
  ]);

  it('names the secret of a key declared by value, under its own secret or the default one', () => {
    expect(keptKeySecret({ keys }, secrets, 'claude-code')).toBe('MCPGW_KEY_CLAUDE_CODE');
    expect(keptKeySecret({ keys }, secrets, 'codex')).toBe('CODEX_KEY');
    expect(aliasKeyValue({ keys }, secrets, 'secrets/litellm.env', 'codex')).toEqual({ value: 'sk-b', secret: 'CODEX_KEY' });
  });

  it('names the default secret of a saved key, never one a declared key owns, and nothing for a key declared by hash', () => {
    expect(keptKeySecret({ keys }, secrets, 'homelab')).toBe('MCPGW_KEY_HOMELAB');
    expect(keptKeySecret({ keys }, secrets, 'saved')).toBeUndefined();
    expect(() => aliasKeyValue({ keys }, secrets, 'secrets/litellm.env', 'saved')).toThrow(/mcpgw keeps no value for "saved"/);
    expect(keptKeySecret({ keys }, secrets, 'hand')).toBeUndefined();
    expect(keptKeySecret({ keys }, new Map(), 'claude-code')).toBeUndefined();
  });
});
