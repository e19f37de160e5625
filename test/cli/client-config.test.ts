import { chmod, cp, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/config/secrets.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { fixtureStack, fixturesDir } from '../helpers/fixtures.js';

/** The seed stack (host linuxserver.lan, port 4000, key alias "test") in `dir`, with a separate HOME. */
async function seedStack(dir: string): Promise<{ home: string; key: string; run: (...argv: string[]) => ReturnType<typeof runCli> }> {
  await cp(fixtureStack('seed').dir, dir, { recursive: true });
  await chmod(path.join(dir, 'secrets.env'), 0o600);
  const home = path.join(dir, 'home');
  await mkdir(home);
  const key = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('LITELLM_VIRTUAL_KEY_TEST') ?? '';
  return { home, key, run: (...argv) => runCli(['client-config', ...argv], { cwd: dir, env: { HOME: home } }) };
}

describe('mcpgw client-config', () => {
  it('prints the claude mcp add line with the URL from mcpgw.yaml and the declared key', async () => {
    await withTempDir(async (dir) => {
      const { key, run } = await seedStack(dir);
      const result = await run('claude', '--key-alias', 'test');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(
        `claude mcp add --transport http --scope user litellm http://linuxserver.lan:4000/mcp/ --header 'x-litellm-api-key: Bearer ${key}'\n`,
      );
      expect(result.stderr).not.toContain(key);
      expect(result.stderr).toMatch(/claude mcp list/);
    });
  });

  it('works without mcpgw.yaml when --url and --key are given, and without a key as a placeholder', async () => {
    await withTempDir(async (dir) => {
      const key = 'sk-cli-test-0123456789abcdefghij';
      const given = await runCli(['client-config', 'cursor', '--url', 'https://gw.example.org/mcp/', '--key', key, '--json'], { cwd: dir, env: { HOME: dir } });
      expect(given.code, given.stderr).toBe(0);
      const report = JSON.parse(given.stdout) as { file: string; snippet: string };
      expect(report.file).toBe(path.join(dir, '.cursor', 'mcp.json'));
      expect(JSON.parse(report.snippet)).toEqual({
        mcpServers: { litellm: { url: 'https://gw.example.org/mcp/', headers: { 'x-litellm-api-key': `Bearer ${key}` } } },
      });
      const placeholder = await runCli(['client-config', 'gemini', '--url', 'http://gw.lan:4000/mcp'], { cwd: dir, env: { HOME: dir } });
      expect(placeholder.code).toBe(0);
      expect(placeholder.stdout).toContain('"x-litellm-api-key": "Bearer <your-litellm-key>"');
      expect(placeholder.stderr).toMatch(/without the trailing slash/);
    });
  });

  it('gives an existing short key its config with a warning, and refuses the master key', async () => {
    await withTempDir(async (dir) => {
      const { run } = await seedStack(dir);
      const short = await run('claude', '--key', 'sk-1234');
      expect(short.code, short.stderr).toBe(0);
      expect(short.stdout).toContain("'x-litellm-api-key: Bearer sk-1234'");
      expect(short.stderr).toMatch(/--key is under 24 characters: LiteLLM accepts it/);
      const master = parseSecrets(await readFile(path.join(dir, 'secrets.env'), 'utf8')).get('LITELLM_MASTER_KEY') ?? '';
      const refused = await run('claude', '--key', master, '--write');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--key is the LiteLLM master key/);
      expect(refused.stderr + refused.stdout).not.toContain(master);
      await expect(readdir(path.join(dir, 'home'))).resolves.toEqual([]);
      // A key declared with the master key's secret is refused through --key-alias too.
      await writeFile(path.join(dir, 'secrets.env'), `${await readFile(path.join(dir, 'secrets.env'), 'utf8')}MCPGW_KEY_ADMIN=${master}\n`, { mode: 0o600 });
      const alias = await run('claude', '--key-alias', 'admin');
      expect(alias.code).toBe(2);
      expect(alias.stderr).toMatch(/MCPGW_KEY_ADMIN in .* is the LiteLLM master key/);
    });
  });

  it('says a key declared by its hash has no value mcpgw knows, with what to do instead', async () => {
    await withTempDir(async (dir) => {
      const { run } = await seedStack(dir);
      const file = path.join(dir, 'mcpgw.yaml');
      const yaml = (await readFile(file, 'utf8')).replace('    secret: LITELLM_VIRTUAL_KEY_TEST\n', `    token_sha256: ${'d'.repeat(64)}\n`);
      await writeFile(file, yaml);
      const result = await run('claude', '--key-alias', 'test');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/the key "test" is declared by its hash \(token_sha256\): mcpgw has no value for it/);
      expect(result.stderr).toMatch(/mcpgw keys rotate test/);
    });
  });

  it('takes the alias of a key saved by keys create --save, and says what to pass for one never saved', async () => {
    await withTempDir(async (dir) => {
      const { run } = await seedStack(dir);
      const unsaved = await run('claude', '--key-alias', 'homelab-time');
      expect(unsaved.code).toBe(2);
      expect(unsaved.stderr).toMatch(/mcpgw keeps no value for "homelab-time"/);
      expect(unsaved.stderr).toMatch(/mcpgw keys rotate homelab-time --save/);
      // What `keys create --alias homelab-time --save` keeps: the value under the alias's default secret.
      const saved = 'sk-saved-homelab-time-0123456789abcdef';
      const secrets = path.join(dir, 'secrets.env');
      await writeFile(secrets, `${await readFile(secrets, 'utf8')}MCPGW_KEY_HOMELAB_TIME=${saved}\n`, { mode: 0o600 });
      const found = await run('claude', '--key-alias', 'homelab-time');
      expect(found.code, found.stderr).toBe(0);
      expect(found.stdout).toContain(`'x-litellm-api-key: Bearer ${saved}'`);
      expect(found.stderr).not.toContain(saved);
    });
  });

  it('writes the file (0600, key not echoed), re-runs as a no-op, and backs up before an update', async () => {
    await withTempDir(async (dir) => {
      const { home, key, run } = await seedStack(dir);
      const file = path.join(home, '.claude.json');
      const first = await run('claude', '--key-alias', 'test', '--write');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toBe(`created ${file}\n`);
      expect(first.stdout + first.stderr).not.toContain(key);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const written = await readFile(file, 'utf8');
      expect(JSON.parse(written)).toEqual({
        mcpServers: { litellm: { type: 'http', url: 'http://linuxserver.lan:4000/mcp/', headers: { 'x-litellm-api-key': `Bearer ${key}` } } },
      });

      const again = await run('claude', '--key-alias', 'test', '--write');
      expect(again.stdout).toBe(`unchanged ${file}\n`);
      expect(await readdir(home)).toEqual(['.claude.json']);

      const moved = await run('claude', '--key-alias', 'test', '--url', 'http://gw2.lan:4000/mcp/', '--write', '--json');
      expect(moved.code, moved.stderr).toBe(0);
      const report = JSON.parse(moved.stdout) as { action: string; backup: string };
      expect(report.action).toBe('updated');
      expect(moved.stdout).not.toContain(key);
      expect(await readFile(report.backup, 'utf8')).toBe(written);
      expect((await stat(report.backup)).mode & 0o777).toBe(0o600);
      expect((await readdir(home)).sort()).toEqual(['.claude.json', path.basename(report.backup)].sort());
    });
  });

  it('merges into a realistic existing file, and tightens a group-readable one to 0600 since it now holds the key', async () => {
    await withTempDir(async (dir) => {
      const { home, run } = await seedStack(dir);
      const file = path.join(home, '.claude.json');
      const original = await readFile(path.join(fixturesDir, 'clients', 'claude.json'), 'utf8');
      await writeFile(file, original, { mode: 0o640 });
      const result = await run('claude', '--key-alias', 'test', '--write');
      expect(result.code, result.stderr).toBe(0);
      const { mcpServers, ...rest } = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
      const { mcpServers: before, ...restBefore } = JSON.parse(original) as { mcpServers: Record<string, unknown> };
      expect(rest).toEqual(restBefore);
      expect(Object.keys(mcpServers)).toEqual([...Object.keys(before), 'litellm']);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(result.stderr).toContain(`${file} was mode 0640, readable by other users; it holds the key, so it is now 0600`);
    });
  });

  it('follows a symlinked config to its real file instead of replacing the link', async () => {
    await withTempDir(async (dir) => {
      const { home, run } = await seedStack(dir);
      const real = path.join(dir, 'dotfiles-cursor.json');
      await writeFile(real, '{}\n');
      await mkdir(path.join(home, '.cursor'));
      await symlink(real, path.join(home, '.cursor', 'mcp.json'));
      const result = await run('cursor', '--key-alias', 'test', '--write');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^updated ${real} `));
      expect(JSON.parse(await readFile(path.join(home, '.cursor', 'mcp.json'), 'utf8'))).toHaveProperty('mcpServers.litellm');
    });
  });

  it('keeps the key out of project files and of Codex config, naming the variable to export', async () => {
    await withTempDir(async (dir) => {
      const { home, key, run } = await seedStack(dir);
      for (const [client, file] of [
        ['claude', path.join(dir, '.mcp.json')],
        ['gemini', path.join(dir, '.gemini', 'settings.json')],
        ['vscode', path.join(dir, '.vscode', 'mcp.json')],
      ] as const) {
        const result = await run(client, '--scope', 'project', '--key-alias', 'test', '--write');
        expect(result.code, result.stderr).toBe(0);
        expect(await readFile(file, 'utf8')).not.toContain(key);
        expect((await stat(file)).mode & 0o777).toBe(0o644);
      }
      const codex = await run('codex', '--write');
      expect(codex.code, codex.stderr).toBe(0);
      expect(codex.stderr).toMatch(/export MCPGW_LITELLM_AUTH='Bearer <key>'/);
      expect(await readFile(path.join(home, '.codex', 'config.toml'), 'utf8')).toContain('env_http_headers = { x-litellm-api-key = "MCPGW_LITELLM_AUTH" }');
    });
  });

  it('leaves a malformed file untouched and exits 2 naming file and line', async () => {
    await withTempDir(async (dir) => {
      const { home, key, run } = await seedStack(dir);
      await mkdir(path.join(home, '.gemini'));
      const file = path.join(home, '.gemini', 'settings.json');
      const broken = '{\n  "theme": "Dracula",\n  "mcpServers": {\n    "git": { "command": "uvx" \n  }\n';
      await writeFile(file, broken);
      const result = await run('gemini', '--key-alias', 'test', '--write');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${file}:`);
      expect(result.stderr).toMatch(/not valid JSON with comments/);
      expect(result.stderr).toMatch(/left the file untouched/);
      expect(result.stderr).not.toContain(key);
      expect(await readFile(file, 'utf8')).toBe(broken);
      expect(await readdir(path.join(home, '.gemini'))).toEqual(['settings.json']);

      await mkdir(path.join(home, '.codex'));
      await writeFile(path.join(home, '.codex', 'config.toml'), 'model = "o3"\n[mcp_servers.a]\nurl = \n');
      const toml = await run('codex', '--write', '--json');
      expect(toml.code).toBe(2);
      expect(JSON.parse(toml.stdout)).toMatchObject({
        ok: false,
        error: { kind: 'config', issues: [{ line: 3, message: expect.stringMatching(/not valid TOML/) }] },
      });
    });
  });

  it('refuses bad usage with exit 2 and a hint', async () => {
    await withTempDir(async (dir) => {
      const { run } = await seedStack(dir);
      const both = await run('claude', '--key', 'sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaa', '--key-alias', 'test');
      expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/--key and --key-alias both given/)]);
      const unknown = await run('claude', '--key-alias', 'nobody');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/mcpgw keeps no value for "nobody"/);
      expect(unknown.stderr).toMatch(/aliases declared in mcpgw.yaml: test/);
      const noKey = await run('claude', '--write');
      expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringMatching(/holds the key itself/)]);
      const webui = await run('openwebui', '--key-alias', 'test', '--write');
      expect([webui.code, webui.stderr]).toEqual([2, expect.stringMatching(/no file to write/)]);
      const scope = await run('claude-desktop', '--scope', 'project');
      expect([scope.code, scope.stderr]).toEqual([2, expect.stringMatching(/Claude Desktop has no project scope/)]);
      expect((await run('emacs')).code).toBe(2);
      const url = await run('claude', '--url', 'ftp://gw/mcp/');
      expect([url.code, url.stderr]).toEqual([2, expect.stringMatching(/is not http\(s\)/)]);
      const badKey = await run('claude', '--key', 'pk-not-a-key-0123456789abcdef');
      expect(badKey.code).toBe(2);
      expect(badKey.stderr).not.toContain('pk-not-a-key-0123456789abcdef');
    });
  });
});

/**
 * Open WebUI's tool-server admin API as 0.12.4 answers it (routers/configs.py), in memory: a Bearer admin token,
 * GET/POST /api/v1/configs/tool_servers (`path` required on every connection, else 422), and verify, which
 * here succeeds only for a connection carrying `key` in x-litellm-api-key. The integration test runs the real one.
 */
function fakeOpenWebui(token: string, key: string, stored: Record<string, unknown>[]) {
  const posts: unknown[] = [];
  const send = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (((init?.headers ?? {}) as Record<string, string>).authorization !== `Bearer ${token}`) return json(401, { detail: 'Not authenticated' });
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    if (url.pathname === '/api/v1/configs/tool_servers' && !body) return json(200, { TOOL_SERVER_CONNECTIONS: stored });
    if (url.pathname === '/api/v1/configs/tool_servers/verify') {
      const headers = (body?.headers ?? {}) as Record<string, string>;
      return headers['x-litellm-api-key'] === `Bearer ${key}`
        ? json(200, { status: true, specs: [{ name: 'alpha-echo' }] })
        : json(400, { detail: 'Failed to create MCP client' });
    }
    if (url.pathname === '/api/v1/configs/tool_servers') {
      const connections = (body?.TOOL_SERVER_CONNECTIONS ?? []) as Record<string, unknown>[];
      if (connections.some((connection) => typeof connection.path !== 'string'))
        return json(422, { detail: [{ loc: ['body', 'path'], msg: 'Field required' }] });
      posts.push(body);
      stored.splice(0, stored.length, ...connections.map((connection) => ({ forward_cookies: false, ...connection })));
      return json(200, body);
    }
    return json(404, { detail: 'Not Found' });
  };
  return { send: send as typeof fetch, posts };
}

describe('mcpgw client-config openwebui', () => {
  it('prints a connection Open WebUI 0.12 accepts: path, a grant for every user, the Integrations page', async () => {
    await withTempDir(async (dir) => {
      const { key, run } = await seedStack(dir);
      const result = await run('openwebui', '--key-alias', 'test');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Settings → Admin → Tools → Integrations (or open <Open WebUI URL>/?settings=admin:integrations)');
      expect(result.stdout).toContain('External Tool Servers');
      expect(result.stdout).toContain(`Advanced → Headers: {"x-litellm-api-key": "Bearer ${key}"}`);
      expect(result.stdout).toMatch(/Auth "Bearer" would send it as Authorization/);
      const seeded = JSON.parse(/TOOL_SERVER_CONNECTIONS='(.+)'/.exec(result.stdout)?.[1] ?? '[]') as Record<string, unknown>[];
      expect(seeded).toEqual([
        {
          type: 'mcp',
          url: 'http://linuxserver.lan:4000/mcp/',
          path: '',
          auth_type: 'none',
          key: '',
          headers: { 'x-litellm-api-key': `Bearer ${key}` },
          config: { enable: true, access_grants: [{ principal_type: 'user', principal_id: '*', permission: 'read' }] },
          info: { id: 'litellm', name: 'litellm', description: 'MCP tools through the LiteLLM gateway' },
        },
      ]);
    });
  });

  it('--apply merges into the running instance keeping other connections, verifies there, and a re-run changes nothing', async () => {
    await withTempDir(async (dir) => {
      const { key, home } = await seedStack(dir);
      const token = 'owui-admin-token-5d1c';
      const other = { type: 'openapi', url: 'http://tools.lan:8000', path: 'openapi.json', auth_type: 'none', key: '', config: { enable: true }, info: {} };
      const webui = fakeOpenWebui(token, key, [other]);
      const apply = () =>
        runCli(['client-config', 'openwebui', '--key-alias', 'test', '--apply', 'http://webui.lan:8080/'], {
          cwd: dir,
          env: { HOME: home, OPENWEBUI_ADMIN_TOKEN: token },
          fetch: webui.send,
        });
      const first = await apply();
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /^added connection litellm → http:\/\/linuxserver\.lan:4000\/mcp\/ in Open WebUI at http:\/\/webui\.lan:8080 \(verified there: 1 tool\)/,
      );
      const saved = webui.posts[0] as { TOOL_SERVER_CONNECTIONS: Record<string, unknown>[] };
      expect(saved.TOOL_SERVER_CONNECTIONS[0]).toEqual(other);
      expect(saved.TOOL_SERVER_CONNECTIONS[1]).toMatchObject({ type: 'mcp', path: '', headers: { 'x-litellm-api-key': `Bearer ${key}` } });
      const again = await apply();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/already has connection litellm .*nothing changed \(verified there: 1 tool\)/);
      expect(webui.posts).toHaveLength(1);
      for (const output of [first, again]) expect(output.stdout + output.stderr).not.toContain(key);

      // A connection of the same id in the shape mcpgw printed before (no path, admin-only) is replaced in place.
      const old = {
        type: 'mcp',
        url: 'http://linuxserver.lan:4000/mcp/',
        auth_type: 'none',
        key: '',
        headers: {},
        config: { enable: true },
        info: { id: 'litellm' },
      };
      const stale = fakeOpenWebui(token, key, [old, other]);
      const replaced = await runCli(['client-config', 'openwebui', '--key-alias', 'test', '--apply', 'http://webui.lan:8080'], {
        cwd: dir,
        env: { HOME: home, OPENWEBUI_ADMIN_TOKEN: token },
        fetch: stale.send,
      });
      expect(replaced.code, replaced.stderr).toBe(0);
      expect(replaced.stdout).toMatch(/^replaced connection litellm/);
      const merged = (stale.posts[0] as { TOOL_SERVER_CONNECTIONS: Record<string, unknown>[] }).TOOL_SERVER_CONNECTIONS;
      expect(merged).toEqual([expect.objectContaining({ path: '', config: expect.objectContaining({ access_grants: expect.any(Array) }) }), other]);
    });
  });

  it('--apply fails with Open WebUI’s own message (exit 1), needs the token variable (exit 2), and is for openwebui only', async () => {
    await withTempDir(async (dir) => {
      const { key, home } = await seedStack(dir);
      const token = 'owui-admin-token-5d1c';
      const webui = fakeOpenWebui(token, 'sk-another-key-not-the-declared-one', []);
      const apply = (env: Record<string, string>, ...extra: string[]) =>
        runCli(['client-config', 'openwebui', '--key-alias', 'test', '--apply', 'http://webui.lan:8080', ...extra], {
          cwd: dir,
          env: { HOME: home, ...env },
          fetch: webui.send,
        });
      const unverified = await apply({ OPENWEBUI_ADMIN_TOKEN: token });
      expect([unverified.code, unverified.stderr]).toEqual([
        1,
        expect.stringMatching(/verifying .* from Open WebUI: Open WebUI answered HTTP 400: Failed to create MCP client/),
      ]);
      expect(webui.posts).toHaveLength(0);
      const wrongToken = await apply({ OPENWEBUI_ADMIN_TOKEN: 'not-the-token' });
      expect([wrongToken.code, wrongToken.stderr]).toEqual([
        1,
        expect.stringMatching(/HTTP 401: Not authenticated[\s\S]*OPENWEBUI_ADMIN_TOKEN must be an admin's token/),
      ]);
      for (const output of [unverified, wrongToken]) expect(output.stdout + output.stderr).not.toContain(key);
      const noToken = await apply({});
      expect([noToken.code, noToken.stderr]).toEqual([2, expect.stringMatching(/OPENWEBUI_ADMIN_TOKEN is not set/)]);
      const withWrite = await apply({ OPENWEBUI_ADMIN_TOKEN: token }, '--write');
      expect([withWrite.code, withWrite.stderr]).toEqual([2, expect.stringMatching(/--apply and --write both given/)]);
      const claude = await runCli(['client-config', 'claude', '--apply', 'http://webui.lan:8080'], { cwd: dir, env: { HOME: home } });
      expect([claude.code, claude.stderr]).toEqual([2, expect.stringMatching(/--apply is for openwebui only/)]);
      const badUrl = await apply({ OPENWEBUI_ADMIN_TOKEN: token }, '--apply', 'webui.lan');
      expect([badUrl.code, badUrl.stderr]).toEqual([2, expect.stringMatching(/is not an http\(s\) URL/)]);
    });
  });
});
