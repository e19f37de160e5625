import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { authEnvVar } from '../../src/clients/auth.js';
import { CLIENTS } from '../../src/clients/index.js';
import { setTomlTable } from '../../src/clients/toml-edit.js';
import { CLIENT_IDS, type ClientRequest, type Scope } from '../../src/clients/types.js';
import { ConfigError } from '../../src/errors.js';
import { fixturesDir, goldenDir } from '../helpers/fixtures.js';

// After an intended change: UPDATE_GOLDEN=1 npx vitest run --project unit, then review the diff.
const update = process.env.UPDATE_GOLDEN === '1';
const KEY = 'sk-golden-0123456789abcdefghij';

function request(scope: Scope, overrides: Partial<ClientRequest> = {}): ClientRequest {
  return {
    name: 'litellm',
    url: 'http://gateway.lan:4000/mcp/',
    key: KEY,
    scope,
    home: '/home/ada',
    cwd: '/home/ada/project',
    platform: 'linux',
    env: {},
    ...overrides,
  };
}

function fixture(name: string): string {
  return readFileSync(path.join(fixturesDir, 'clients', name), 'utf8');
}

function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const cases = CLIENT_IDS.flatMap((id) => CLIENTS[id].scopes.map((scope) => [id, scope] as const));

describe.each(cases)('golden client config: %s (%s scope)', (id, scope) => {
  const plan = CLIENTS[id].plan(request(scope));

  it('prints, and writes into an empty file, exactly the expected configuration', () => {
    const parts = [`## snippet\n${plan.snippet}`];
    if (plan.target) parts.push(`## file ${plan.target.file} (holds key: ${plan.target.holdsKey})\n${plan.target.edit(undefined, plan.target.file)}`);
    parts.push(`## env ${plan.envVar ?? '-'}`, `## notes\n${plan.notes.join('\n')}`);
    const text = `${parts.join('\n')}\n`;
    const golden = path.join(goldenDir, 'clients', `${id}-${scope}.txt`);
    if (update) {
      mkdirSync(path.dirname(golden), { recursive: true });
      writeFileSync(golden, text);
    }
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('keeps the key out of files that are likely committed, and out of the notes', () => {
    expect(plan.notes.join('\n')).not.toContain(KEY);
    const written = plan.target?.edit(undefined, plan.target.file) ?? '';
    if (plan.target?.holdsKey) expect(written).toContain(KEY);
    else expect(written).not.toContain(KEY);
    if (scope === 'project') expect(plan.target?.holdsKey).toBe(false);
  });
});

describe('client config files', () => {
  it('puts Claude Desktop where each OS keeps it', () => {
    const file = (platform: NodeJS.Platform, env = {}) => CLIENTS['claude-desktop'].plan(request('user', { platform, env })).target?.file;
    expect(file('darwin')).toBe('/home/ada/Library/Application Support/Claude/claude_desktop_config.json');
    expect(file('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' })).toBe(
      path.join('C:\\Users\\ada\\AppData\\Roaming', 'Claude', 'claude_desktop_config.json'),
    );
    expect(file('linux', { XDG_CONFIG_HOME: '/home/ada/.xdg' })).toBe('/home/ada/.xdg/Claude/claude_desktop_config.json');
  });

  it('honours CLAUDE_CONFIG_DIR and CODEX_HOME, and puts VS Code user config in the profile directory', () => {
    expect(CLIENTS.claude.plan(request('user', { env: { CLAUDE_CONFIG_DIR: '/srv/claude' } })).target?.file).toBe('/srv/claude/.claude.json');
    expect(CLIENTS.codex.plan(request('user', { env: { CODEX_HOME: '/srv/codex' } })).target?.file).toBe('/srv/codex/config.toml');
    expect(CLIENTS.vscode.plan(request('user', { platform: 'darwin' })).target?.file).toBe('/home/ada/Library/Application Support/Code/User/mcp.json');
  });

  it('adds --allow-http to the mcp-remote bridge only for plain http', () => {
    const args = (url: string) =>
      (JSON.parse(CLIENTS['claude-desktop'].plan(request('user', { url })).snippet) as { mcpServers: { litellm: { args: string[] } } }).mcpServers.litellm.args;
    expect(args('http://gateway.lan:4000/mcp/')).toContain('--allow-http');
    expect(args('https://gateway.example.org/mcp/')).not.toContain('--allow-http');
  });

  it('derives one environment variable name per server name', () => {
    expect(authEnvVar('litellm')).toBe('MCPGW_LITELLM_AUTH');
    expect(authEnvVar('team-gw')).toBe('MCPGW_TEAM_GW_AUTH');
  });
});

/** Realistic existing files: everything but our entry must survive, comments included, and a re-run is a no-op. */
describe.each([
  ['claude', 'user', 'claude.json', 'mcpServers'],
  ['gemini', 'user', 'gemini-settings.json', 'mcpServers'],
  ['cursor', 'user', 'cursor-mcp.json', 'mcpServers'],
  ['claude-desktop', 'user', 'claude_desktop_config.json', 'mcpServers'],
  ['vscode', 'project', 'vscode-mcp.json', 'servers'],
] as const)('merging into an existing %s file', (id, scope, name, parent) => {
  const plan = CLIENTS[id].plan(request(scope));
  const original = fixture(name);
  const merged = plan.target?.edit(original, name) ?? '';
  const before = parseJsonc(original) as Record<string, Record<string, unknown>>;
  const after = parseJsonc(merged) as Record<string, Record<string, unknown>>;

  it('adds our server and keeps every other server and setting', () => {
    const expected = (parseJsonc(plan.target?.edit(undefined, name) ?? '') as Record<string, Record<string, unknown>>)[parent]?.litellm;
    expect(after[parent]?.litellm).toEqual(expected);
    const { litellm: _ours, ...others } = after[parent] ?? {};
    expect(others).toEqual(before[parent]);
    for (const key of Object.keys(before).filter((key) => key !== parent && key !== 'inputs')) expect(after[key]).toEqual(before[key]);
  });

  it('keeps comments, indentation and the order of what was there', () => {
    for (const line of original.split('\n').filter((text) => /^\s*(\/\/|\/\*)/.test(text))) expect(merged).toContain(line);
    expect(merged.startsWith(original.slice(0, original.indexOf(`"${parent}"`)))).toBe(true);
  });

  it('is idempotent', () => {
    expect(plan.target?.edit(merged, name)).toBe(merged);
  });

  it('refuses a malformed file, naming the line', () => {
    const broken = original.replace(/"([a-zA-Z]+)":/, '"$1"');
    const error = configError(() => plan.target?.edit(broken, name));
    expect(error.file).toBe(name);
    expect(error.issues[0]?.line).toBeGreaterThan(0);
    expect(error.issues[0]?.message).toMatch(/not valid JSON/);
  });
});

describe('VS Code inputs', () => {
  const plan = CLIENTS.vscode.plan(request('project'));
  const merged = plan.target?.edit(fixture('vscode-mcp.json'), 'mcp.json') ?? '';

  it('adds a password prompt for the key next to the existing inputs, keeping tabs', () => {
    const inputs = (parseJsonc(merged) as { inputs: { id: string; password?: boolean }[] }).inputs;
    expect(inputs.map((input) => [input.id, input.password])).toEqual([
      ['gh-token', true],
      ['litellm-key', true],
    ]);
    expect(merged).toMatch(/^\t\t"litellm": \{/m);
  });

  it('replaces a stale input with the same id instead of adding a second one', () => {
    const stale = merged.replace('LiteLLM virtual key for litellm (sk-…)', 'old text');
    const fixed = plan.target?.edit(stale, 'mcp.json') ?? '';
    expect((parseJsonc(fixed) as { inputs: unknown[] }).inputs).toHaveLength(2);
    expect(fixed).toBe(merged);
  });
});

describe('JSON edge cases', () => {
  const plan = CLIENTS.claude.plan(request('user'));

  it('treats an empty file as an empty object', () => {
    expect(JSON.parse(plan.target?.edit('', 'f') ?? '')).toEqual({ mcpServers: { litellm: expect.any(Object) } });
  });

  it('refuses comments in strict JSON files and a non-object mcpServers', () => {
    expect(configError(() => plan.target?.edit('{\n  // no\n  "a": 1\n}\n', 'f')).issues[0]).toMatchObject({ line: 2 });
    expect(configError(() => plan.target?.edit('{"mcpServers": []}', 'f')).issues[0]).toMatchObject({
      path: 'mcpServers',
      message: 'expected an object, found an array',
    });
    expect(configError(() => plan.target?.edit('[1, 2]', 'f')).issues[0]?.message).toBe('expected a JSON object');
  });
});

describe('merging into an existing Codex config.toml', () => {
  const plan = CLIENTS.codex.plan(request('user'));
  const original = fixture('codex-config.toml');
  const merged = plan.target?.edit(original, 'config.toml') ?? '';

  it('replaces the old table (and its subtables) in place, keeping everything else byte for byte', () => {
    const before = plain(parseToml(original));
    const after = plain(parseToml(merged));
    expect((after.mcp_servers as Record<string, unknown>).litellm).toEqual({
      url: 'http://gateway.lan:4000/mcp/',
      env_http_headers: { 'x-litellm-api-key': 'MCPGW_LITELLM_AUTH' },
    });
    expect((after.mcp_servers as Record<string, unknown>).context7).toEqual((before.mcp_servers as Record<string, unknown>).context7);
    for (const key of ['model', 'approval_policy', 'sandbox_mode', 'projects', 'profiles']) expect(after[key]).toEqual(before[key]);
    expect(merged).not.toContain('sk-old-key');
    expect(merged).toContain('# The company gateway (old address)\n[mcp_servers.litellm]\n');
    expect(merged).toContain('\n\n# Faster profile for quick questions\n[profiles.fast]\n');
    expect(merged.slice(0, original.indexOf('[mcp_servers.litellm]'))).toBe(original.slice(0, original.indexOf('[mcp_servers.litellm]')));
  });

  it('is idempotent', () => {
    expect(plan.target?.edit(merged, 'config.toml')).toBe(merged);
  });

  it('appends to a file without the server, after a blank line', () => {
    const text = 'model = "o3"\n';
    expect(setTomlTable(text, 'f', 'mcp_servers', 'litellm', { url: 'u' })).toBe('model = "o3"\n\n[mcp_servers.litellm]\nurl = "u"\n');
  });

  it('refuses a malformed file and a duplicated table, naming the line', () => {
    expect(configError(() => plan.target?.edit('model = "o3\n', 'config.toml')).issues[0]).toMatchObject({
      line: 1,
      message: expect.stringMatching(/not valid TOML/),
    });
    const duplicated = `${original}\n[mcp_servers.context7]\ncommand = "x"\n`;
    expect(configError(() => plan.target?.edit(duplicated, 'config.toml')).issues[0]?.line).toBeGreaterThan(20);
  });

  it('refuses to guess where an inline-defined server ends', () => {
    const inline = 'mcp_servers = { litellm = { url = "http://old/mcp/" } }\n';
    expect(configError(() => plan.target?.edit(inline, 'config.toml')).issues[0]).toMatchObject({
      path: 'mcp_servers.litellm',
      message: expect.stringMatching(/inline/),
    });
  });

  it('refuses an edit that would change another setting (a header-like line inside a multi-line string)', () => {
    const tricky = 'notes = """\n[mcp_servers.litellm]\n"""\n';
    expect(
      configError(() => setTomlTable(`${tricky}[mcp_servers.litellm]\nurl = "a"\n`, 'f', 'mcp_servers', 'litellm', { url: 'b' })).issues[0]?.message,
    ).toMatch(/without changing other settings/);
  });

  it('quotes keys and strings TOML needs quoted', () => {
    const text = setTomlTable(undefined, 'f', 'mcp_servers', 'a.b', { url: 'say "hi"\n', env_http_headers: { 'x y': 'V' } });
    expect(plain(parseToml(text))).toEqual({ mcp_servers: { 'a.b': { url: 'say "hi"\n', env_http_headers: { 'x y': 'V' } } } });
  });
});
