import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { UserError } from '../../src/errors.js';
import { declaredKeys, desiredKey, durationSeconds, serverIds } from '../../src/keys/desired.js';
import { stableServerId } from '../../src/keys/server-id.js';
import { abbreviateKey, generateKey, hashKey, validateKey } from '../../src/keys/token.js';
import { buildStackModel } from '../../src/stack/model.js';
import { randomBytes } from 'node:crypto';
import { fixtureStack } from '../helpers/fixtures.js';

describe('key tokens', () => {
  it("hashes exactly like LiteLLM's hash_token (vector computed with litellm 1.108.7)", () => {
    expect(hashKey('sk-mcpgw-test-vector-0001')).toBe('ad57cb4088178cd1ec8ef2ee9b5c90e47f9b797104fe6c4c1d1dcf7bffe324e7');
  });

  it("abbreviates like LiteLLM's abbreviate_api_key", () => {
    expect(abbreviateKey('sk-mcpgw-test-vector-0001')).toBe('sk-...0001');
    expect(abbreviateKey('sk-short')).toBe('sk-...');
  });

  it('generates distinct sk- keys that pass validation', () => {
    const a = generateKey(randomBytes);
    expect(a).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(generateKey(randomBytes)).not.toBe(a);
    expect(() => validateKey(a, 'key')).not.toThrow();
  });

  it('rejects keys LiteLLM would refuse without echoing them', () => {
    expect(() => validateKey('pk-abcdefghijklmnopqrstuvwxyz', 'the key')).toThrow(/does not start with "sk-"/);
    expect(() => validateKey('sk-abc', 'the key')).toThrow(UserError);
    try {
      validateKey('sk-has space inside the key value', 'the key');
    } catch (error) {
      expect((error as Error).message).not.toContain('space inside');
    }
  });
});

describe('server ids', () => {
  it('follow sha256(name|url|transport|auth_type|alias)[:32]', () => {
    // Same inputs as the live check against GET /v1/mcp/server in the stack smoke test.
    expect(stableServerId('everything_http', { url: 'http://mcp-http:3001/mcp', transport: 'http' })).toMatch(/^[0-9a-f]{32}$/);
    expect(stableServerId('x', { url: 'http://a/mcp', transport: 'http' })).not.toBe(stableServerId('x', { url: 'http://a/mcp', transport: 'sse' }));
    expect(stableServerId('tools', { command: 'npx', transport: 'stdio' })).toBe(stableServerId('tools', { url: '', transport: 'stdio' }));
  });
});

describe('declared keys', () => {
  const stack = fixtureStack('http');
  const config = parseConfig(stack.yaml);
  const model = buildStackModel(config);
  const ids = serverIds(model);

  it('turn into rows with hashed tokens and server ids, never the key', () => {
    const keys = declaredKeys(config, model, parseSecrets(stack.secrets));
    expect(keys.map((key) => key.alias)).toEqual(['vscode', 'codex']);
    const codex = keys[1];
    expect(codex).toMatchObject({ token: hashKey('sk-fixture-codex-0123456789'), keyName: 'sk-...6789', models: ['local-llama'], mcpServers: [ids.get('everything')], budget: 25, expiresInSeconds: 30 * 86_400 });
    expect(JSON.stringify(keys)).not.toContain('sk-fixture-codex-0123456789');
    expect(keys[0]?.mcpGroups).toEqual(['dev']);
  });

  it('name the missing secret', () => {
    expect(() => declaredKeys(config, model, parseSecrets('MCPGW_KEY_VSCODE=sk-fixture-vscode-0123456789\n'))).toThrow(/lacks MCPGW_KEY_CODEX/);
  });

  it('refuse unknown servers', () => {
    expect(() => desiredKey({ alias: 'a', key: 'sk-0123456789abcdefghijklmn', models: [], mcpServers: ['nope'], mcpGroups: [] }, ids)).toThrow(/unknown MCP server "nope"/);
  });

  it('parse durations', () => {
    expect(durationSeconds('90d')).toBe(7_776_000);
    expect(durationSeconds('24h')).toBe(86_400);
    expect(() => durationSeconds('soon')).toThrow(UserError);
  });
});
