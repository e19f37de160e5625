import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/index.js';
import { parseJsonObject } from '../../src/clients/json-edit.js';
import { CLIENT_IDS, type ClientPlace, type ClientRequest } from '../../src/clients/types.js';

const KEY = 'sk-files-0123456789abcdefghij';
const places: Record<string, ClientPlace> = {
  default: { home: '/home/ada', cwd: '/home/ada/project', platform: 'linux', env: {} },
  moved: {
    home: '/home/ada',
    cwd: '/home/ada/project',
    platform: 'linux',
    env: { CLAUDE_CONFIG_DIR: '/srv/claude', CODEX_HOME: '/srv/codex', XDG_CONFIG_HOME: '/srv/xdg' },
  },
  darwin: { home: '/Users/ada', cwd: '/Users/ada/project', platform: 'darwin', env: {} },
  win32: { home: 'C:\\Users\\ada', cwd: 'C:\\work', platform: 'win32', env: { APPDATA: 'D:\\Roaming' } },
};

const cases = Object.entries(places).flatMap(([label, place]) =>
  CLIENT_IDS.flatMap((id) => CLIENTS[id].scopes.map((scope) => [label, place, id, scope] as const)),
);

describe('the files a client format declares', () => {
  it.each(cases)('%s: %s %s writes a file it declares, and reading that file back finds the entry it wrote', (_label, place, id, scope) => {
    const request: ClientRequest = { ...place, name: 'litellm', url: 'http://gateway.lan:4000/mcp/', key: KEY, scope };
    const plan = CLIENTS[id].plan(request);
    const declared = CLIENTS[id].files(place).filter((file) => file.scope === scope);
    if (!plan.target) {
      expect(declared).toEqual([]);
      return;
    }
    expect(declared.map((file) => file.file)).toEqual([plan.target.file]);
    const [file] = declared;
    const text = plan.target.edit(undefined, plan.target.file);
    const doc = file?.syntax === 'toml' ? (parseToml(text) as Record<string, unknown>) : parseJsonObject(text, plan.target.file, { comments: true });
    const [entry] = file?.servers(doc) ?? [];
    expect(entry?.url).toBe(request.url);
    expect(Object.keys(entry?.headers ?? {})).toEqual(['x-litellm-api-key']);
    // The key itself where the file holds it; otherwise a reference the client resolves.
    expect(entry?.headers['x-litellm-api-key']).toMatch(plan.target.holdsKey ? `Bearer ${KEY}` : /\$\{[^}]+\}/);
  });

  it('follows the variables the clients honour (CLAUDE_CONFIG_DIR, CODEX_HOME, XDG_CONFIG_HOME)', () => {
    const user = (id: keyof typeof CLIENTS) => CLIENTS[id].files(places.moved as ClientPlace).find((file) => file.scope === 'user')?.file;
    expect(user('claude')).toBe('/srv/claude/.claude.json');
    expect(user('codex')).toBe('/srv/codex/config.toml');
    expect(user('vscode')).toBe('/srv/xdg/Code/User/mcp.json');
    expect(user('claude-desktop')).toBe('/srv/xdg/Claude/claude_desktop_config.json');
  });

  it("reads Claude Code's per-project servers in its user file, and Claude Desktop's bridge arguments with their env", () => {
    const [claudeUser] = CLIENTS.claude.files(places.default as ClientPlace);
    expect(
      claudeUser
        ?.servers({
          mcpServers: { a: { type: 'http', url: 'http://gw:4000/mcp/' } },
          projects: { '/repo': { mcpServers: { b: { url: 'http://gw:4000/mcp/' } } } },
        })
        .map((entry) => entry.at),
    ).toEqual(['mcpServers.a', 'projects./repo.mcpServers.b']);
    const [desktop] = CLIENTS['claude-desktop'].files(places.default as ClientPlace);
    const bridge = {
      command: 'npx',
      args: ['-y', 'mcp-remote@0.15.1', 'http://gw:4000/mcp/', '--header', 'x-litellm-api-key:${AUTH}', '--header', 'x-other:${UNSET}'],
      env: { AUTH: 'Bearer sk-x' },
    };
    expect(desktop?.servers({ mcpServers: { litellm: bridge } })).toEqual([
      { at: 'mcpServers.litellm', url: 'http://gw:4000/mcp/', headers: { 'x-litellm-api-key': 'Bearer sk-x', 'x-other': '${UNSET}' } },
    ]);
  });
});
