import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { declaredKeys, desiredKey, durationSeconds, serverIds } from '../../src/keys/desired.js';
import { keysOlderThan } from '../../src/keys/age.js';
import { stableServerId } from '../../src/litellm/server-id.js';
import { abbreviateKey, generateKey, hashKey, refuseMasterKey, validateKey, validateNewKey, weakKeyWarning } from '../../src/keys/token.js';
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
    expect(() => validateNewKey('sk-abc', 'the key')).toThrow(/too short for a key mcpgw writes/);
    expect(() => validateKey('sk-has space inside the key value', 'the key')).toThrow(/whitespace, control or non-ASCII/);
    try {
      validateKey('sk-has space inside the key value', 'the key');
    } catch (error) {
      expect((error as Error).message).not.toContain('space inside');
    }
  });

  it('accepts the short keys LiteLLM accepts for existing keys, with a warning', () => {
    expect(() => validateKey('sk-1234', '--key')).not.toThrow();
    expect(weakKeyWarning('sk-1234', '--key')).toMatch(/--key is under 24 characters/);
    expect(weakKeyWarning('sk-itest-claude-code-4b9f2c7e1a6d3058', '--key')).toBeUndefined();
  });

  it('refuses non-ASCII keys, which a client cannot send as a header LiteLLM hashes the same', () => {
    for (const key of ['sk-ünïcödé-key-0123456789', 'sk-emoji-key-0123456789-😀', 'sk-tab\tinside-0123456789']) {
      expect(() => validateNewKey(key, 'the key for x')).toThrow(/non-ASCII/);
    }
  });

  it('refuses the master key where a client key is expected', () => {
    expect(() => refuseMasterKey('sk-master-0123456789abcdef', 'sk-master-0123456789abcdef', '--key')).toThrow(/--key is the LiteLLM master key/);
    expect(() => refuseMasterKey('sk-other-0123456789abcdef', 'sk-master-0123456789abcdef', '--key')).not.toThrow();
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
    expect(codex).toMatchObject({
      token: hashKey('sk-fixture-codex-0123456789'),
      keyName: 'sk-...6789',
      models: ['local-llama'],
      mcpServers: [ids.get('everything')],
      budget: 25,
      expiresInSeconds: 30 * 86_400,
    });
    expect(JSON.stringify(keys)).not.toContain('sk-fixture-codex-0123456789');
    expect(keys[0]?.mcpGroups).toEqual(['dev']);
  });

  it('name the missing secret', () => {
    expect(() => declaredKeys(config, model, parseSecrets('MCPGW_KEY_VSCODE=sk-fixture-vscode-0123456789\n'))).toThrow(/lacks MCPGW_KEY_CODEX/);
  });

  it('refuse a declared key whose value is the master key', () => {
    const secrets = stack.secrets.replace(/^MCPGW_KEY_CODEX=.*$/m, 'MCPGW_KEY_CODEX=sk-fixture-master-http');
    expect(() => declaredKeys(config, model, parseSecrets(secrets))).toThrow(/MCPGW_KEY_CODEX \(the key for codex\) is the LiteLLM master key/);
  });

  it('take a key declared by hash without a secret: its token is the hash, it has no key_name to write', () => {
    const hash = hashKey('sk-seed-hand-made-0123456789abcdef');
    const yaml = stack.yaml.replace('  - alias: vscode\n', `  - alias: vscode\n    token_sha256: ${hash}\n`);
    const byHash = parseConfig(yaml);
    const secrets = parseSecrets(stack.secrets.replace(/^MCPGW_KEY_VSCODE=.*\n/m, ''));
    expect(declaredKeys(byHash, buildStackModel(byHash), secrets)[0]).toMatchObject({ alias: 'vscode', token: hash, keyName: null, mcpGroups: ['dev'] });
  });

  it('refuse a hash that is the master key, and a value and a hash that are one key', () => {
    const master = /^LITELLM_MASTER_KEY=(.*)$/m.exec(stack.secrets)?.[1] ?? '';
    const asMaster = parseConfig(stack.yaml.replace('  - alias: vscode\n', `  - alias: vscode\n    token_sha256: ${hashKey(master)}\n`));
    expect(() => declaredKeys(asMaster, buildStackModel(asMaster), parseSecrets(stack.secrets))).toThrow(/token_sha256 is the hash of the LiteLLM master key/);
    const codexValue = /^MCPGW_KEY_CODEX=(.*)$/m.exec(stack.secrets)?.[1] ?? '';
    const twice = parseConfig(stack.yaml.replace('  - alias: vscode\n', `  - alias: vscode\n    token_sha256: ${hashKey(codexValue)}\n`));
    expect(() => declaredKeys(twice, buildStackModel(twice), parseSecrets(stack.secrets))).toThrow(/keys "vscode" and "codex" are the same key/);
  });

  it('carry the key settings as LiteLLM stores them: tool lists by server id (their servers granted too), limits, budget window', () => {
    const yaml = stack.yaml.replace(
      '    budget: 25\n',
      '    budget: 25\n    budget_duration: 30d\n    mcp_tools: { everything: [echo, add, echo] ' +
        '}\n    rpm_limit: 60\n    tpm_limit: 100000\n    max_parallel_requests: 4\n',
    );
    const withSettings = parseConfig(yaml);
    const codex = declaredKeys(withSettings, buildStackModel(withSettings), parseSecrets(stack.secrets))[1];
    expect(codex).toMatchObject({
      mcpServers: [ids.get('everything')],
      toolPermissions: { [ids.get('everything') ?? '']: ['add', 'echo'] },
      budgetDuration: '30d',
      rpmLimit: 60,
      tpmLimit: 100000,
      maxParallelRequests: 4,
    });
  });

  it('refuse a tool list for a server the key is not granted, and a budget window without a budget', () => {
    const yaml = stack.yaml.replace('    budget: 25\n', '    budget_duration: 30d\n    mcp_tools: { wiki: [search] }\n    rpm_limit: 1.5\n');
    let error: ConfigError | undefined;
    try {
      parseConfig(yaml, 'mcpgw.yaml');
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const messages = error?.issues.map((issue) => `${issue.path}: ${issue.message} | ${issue.fix}`).join('\n') ?? '';
    expect(messages).toMatch(
      /keys\[1\]\.mcp_tools\.wiki: wiki is not in this key's mcp_servers \| add wiki to mcp_servers: LiteLLM grants every server named in mcp_tool_permissions anyway/,
    );
    expect(messages).toMatch(/keys\[1\]\.budget_duration: resets a budget that is not set/);
    expect(messages).toMatch(/keys\[1\]\.rpm_limit/);
  });

  it('refuse unknown servers', () => {
    expect(() => desiredKey({ alias: 'a', key: 'sk-0123456789abcdefghijklmn', models: [], mcpServers: ['nope'], mcpGroups: [] }, ids)).toThrow(
      /unknown MCP server "nope"/,
    );
  });

  it('parse durations', () => {
    expect(durationSeconds('90d')).toBe(7_776_000);
    expect(durationSeconds('24h')).toBe(86_400);
    expect(() => durationSeconds('soon')).toThrow(UserError);
  });
});

describe('key age (keys_max_age, for doctor)', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const row = (alias: string, created: string | null, extra: { expires?: string; blocked?: boolean } = {}) => ({
    alias,
    keyName: `sk-...${alias.slice(0, 4)}`,
    createdAt: created ? new Date(created) : null,
    expires: extra.expires ? new Date(extra.expires) : null,
    blocked: extra.blocked ?? false,
  });

  it('reports live keys older than the limit, oldest first, with whole days of age', () => {
    const rows = [
      row('fresh', '2026-11-20T12:00:00Z'),
      row('old', '2026-08-01T12:00:00Z'),
      row('older', '2026-01-01T00:00:00Z'),
      row('edge', '2026-08-28T12:00:00Z'),
      row('blocked', '2025-01-01T00:00:00Z', { blocked: true }),
      row('expired', '2025-01-01T00:00:00Z', { expires: '2026-11-26T11:59:59Z' }),
      row('grace', '2025-01-01T00:00:00Z', { expires: '2026-11-27T00:00:00Z' }),
      row('handmade', null),
    ];
    // 'edge' is exactly 90 days old: not yet over the limit. A rotated key still in its grace period counts.
    expect(keysOlderThan(rows, durationSeconds('90d'), now)).toEqual([
      { alias: 'grace', keyName: 'sk-...grac', createdAt: '2025-01-01T00:00:00.000Z', ageDays: 694 },
      { alias: 'older', keyName: 'sk-...olde', createdAt: '2026-01-01T00:00:00.000Z', ageDays: 329 },
      { alias: 'old', keyName: 'sk-...old', createdAt: '2026-08-01T12:00:00.000Z', ageDays: 117 },
    ]);
  });

  it('accepts keys_max_age as a duration in mcpgw.yaml and rejects anything else', () => {
    expect(parseConfig('version: 1\nhost: gw.lan\nkeys_max_age: 90d\n', 'mcpgw.yaml').keys_max_age).toBe('90d');
    const error = (() => {
      try {
        parseConfig('version: 1\nhost: gw.lan\nkeys_max_age: 3 months\n', 'mcpgw.yaml');
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.issues).toMatchObject([{ path: 'keys_max_age', line: 3, message: expect.stringMatching(/duration such as 30m, 24h, 90d/) }]);
  });
});
