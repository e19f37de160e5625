import { chmod, cp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, withTempDir } from '../helpers/cli.js';
import { fixturesDir } from '../helpers/fixtures.js';

async function copyFixture(dir: string): Promise<string> {
  await cp(path.join(fixturesDir, 'mcp'), dir, { recursive: true });
  await chmod(path.join(dir, 'secrets.env'), 0o600);
  return path.join(dir, 'mcpgw.yaml');
}

/** Runs `mcpgw mcp …` and checks that it failed with exit 2 and left mcpgw.yaml byte for byte as it was. */
async function expectRefused(dir: string, argv: string[]): Promise<string> {
  const file = path.join(dir, 'mcpgw.yaml');
  const before = await readFile(file);
  const result = await runCli(['mcp', ...argv], { cwd: dir });
  expect(result.code).toBe(2);
  expect((await readFile(file)).equals(before)).toBe(true);
  return result.stderr;
}

describe('mcpgw mcp (no Docker)', () => {
  it('add writes the server, says what to do next, and the file still validates', async () => {
    await withTempDir(async (dir) => {
      const file = await copyFixture(dir);
      const result = await runCli(['mcp', 'add', 'demo', '--from-catalog', 'everything', '--image', 'mcpgw-test/mcp:latest'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/added mcp_servers\.demo to .*mcpgw\.yaml \(port 48402\)/);
      expect(result.stderr).toMatch(/run `mcpgw up`/);
      const text = await readFile(file, 'utf8');
      expect(text).toContain('# Gateway for the lab (comments here must survive');
      expect(parse(text).mcp_servers.demo).toMatchObject({ transport: 'http', image: 'mcpgw-test/mcp:latest', port: 48402, container_port: 3001 });
      expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    });
  });

  it('add --apply whose up fails puts mcpgw.yaml back byte for byte, so no broken server stays declared', async () => {
    await withTempDir(async (dir) => {
      const file = await copyFixture(dir);
      const before = await readFile(file);
      // An engine that is not there: up fails at its first step, as it would on a build or start-up error.
      const env = { DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` };
      const result = await runCli(['mcp', 'add', 'demo', '--from-catalog', 'everything', '--image', 'mcpgw-test/mcp:latest', '--apply'], { cwd: dir, env });
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stdout).toMatch(/added mcp_servers\.demo/);
      expect(result.stderr).toMatch(/`up` failed: .*mcpgw\.yaml is back as it was before mcp_servers\.demo was added/);
      expect((await readFile(file)).equals(before)).toBe(true);
    });
  });

  it("add in a stack whose images mcpgw builds writes the catalog entry's packaged build, and warns for one that pulls", async () => {
    await withTempDir(async (dir) => {
      expect((await runCli(['init', '--offline', '--host', 'gateway.lan'], { cwd: dir })).code).toBe(0);
      const added = await runCli(['mcp', 'add', 'extra', '--from-catalog', 'everything'], { cwd: dir });
      expect(added.code, added.stderr).toBe(0);
      expect(added.stderr).toContain('mcpgw up builds its image from npm (@modelcontextprotocol/server-everything@2026.8.31): no registry needed');
      const extra = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).mcp_servers.extra;
      expect(extra).toMatchObject({
        transport: 'http',
        build: { npm: '@modelcontextprotocol/server-everything@2026.8.31' },
        command: ['mcp-server-everything', 'streamableHttp'],
        container_port: 3001,
      });
      expect(extra.image).toBeUndefined();
      expect(extra.port).toEqual(expect.any(Number));
      const pulled = await runCli(['mcp', 'add', 'db', '--from-catalog', 'postgres'], { cwd: dir });
      expect(pulled.code).toBe(0);
      expect(pulled.stderr).toMatch(/the postgres entry pulls crystaldba\/postgres-mcp:0\.3\.0, and this stack builds its images/);
      // --image keeps the pulled entry (a local tag the user names), built stack or not, with no warning.
      const image = await runCli(['mcp', 'add', 'mine', '--from-catalog', 'everything', '--image', 'mcpgw-test/mcp:latest'], { cwd: dir });
      expect(image.code).toBe(0);
      expect(image.stderr).not.toMatch(/pulls/);
      expect(parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).mcp_servers.mine).toMatchObject({
        image: 'mcpgw-test/mcp:latest',
        command: ['npx', '-y', '@modelcontextprotocol/server-everything@2026.8.31', 'streamableHttp'],
      });
      // The note says how to bring a repository in, naming this server's own container.
      const git = await runCli(['mcp', 'add', 'repo', '--from-catalog', 'git'], { cwd: dir });
      expect(git.code, git.stderr).toBe(0);
      expect(git.stderr).toContain('docker exec litellm-mcp-repo git -C /data/repo pull');
      expect(git.stderr).not.toContain('<stack>-mcp-<server>');
      const config = await runCli(['render', '--check'], { cwd: dir });
      // Only the postgres entry's secret is missing: the written entries are valid.
      expect(config.stderr).toMatch(/MCP_POSTGRES_URI: is not set/);
      expect(config.stderr).toMatch(/has 1 problem/);
    });
  });

  it('add --npm / --pypi writes build: from that registry, a stdio server behind the bridge, refusing what cannot build', async () => {
    await withTempDir(async (dir) => {
      const file = await copyFixture(dir);
      const time = await runCli(['mcp', 'add', 'time', '--pypi', 'mcp-server-time==2026.10.10', '--command', 'mcp-server-time'], { cwd: dir });
      expect(time.code, time.stderr).toBe(0);
      const memory = await runCli(['mcp', 'add', 'memory', '--npm', '@modelcontextprotocol/server-memory@2026.8.31', '--command', 'mcp-server-memory'], {
        cwd: dir,
      });
      expect(memory.code, memory.stderr).toBe(0);
      const servers = parse(await readFile(file, 'utf8')).mcp_servers;
      expect(servers.time).toEqual({
        transport: 'stdio',
        build: { pypi: 'mcp-server-time==2026.10.10' },
        command: ['mcp-server-time'],
        port: expect.any(Number),
      });
      expect(servers.memory).toMatchObject({
        transport: 'stdio',
        build: { npm: '@modelcontextprotocol/server-memory@2026.8.31' },
        command: ['mcp-server-memory'],
      });
      expect(servers.memory.image).toBeUndefined();
      expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
      // What cannot be built is refused before anything is written.
      expect(await expectRefused(dir, ['add', 'a', '--pypi', 'mcp-server-time', '--command', 'mcp-server-time'])).toMatch(/mcp_servers\.a\.build/);
      expect(await expectRefused(dir, ['add', 'b', '--npm', 'x@1.0.0'])).toMatch(/mcp_servers\.b\.command: is required with build/);
      expect(await expectRefused(dir, ['add', 'c', '--npm', 'x@1.0.0', '--pypi', 'y==1.0.0', '--command', 'x'])).toMatch(/--npm and --pypi both given/);
      expect(await expectRefused(dir, ['add', 'd', '--npm', 'x@1.0.0', '--image', 'x:1', '--command', 'x'])).toMatch(/--image and --npm both given/);
      expect(await expectRefused(dir, ['add', 'e', '--apt', 'git', '--image', 'x:1', '--transport', 'http'])).toMatch(/--apt given without --npm or --pypi/);
      expect(await expectRefused(dir, ['add', 'f', '--pypi', 'mcp-server-git==2026.10.19', '--apt', 'Git!', '--command', 'mcp-server-git'])).toMatch(
        /mcp_servers\.f\.build\.apt/,
      );
      // The catalog's git entry, written by hand: the program and the Debian package it needs beside it.
      const git = await runCli(['mcp', 'add', 'git', '--pypi', 'mcp-server-git==2026.10.19', '--apt', 'git', '--command', 'mcp-server-git'], { cwd: dir });
      expect(git.code, git.stderr).toBe(0);
      expect(parse(await readFile(file, 'utf8')).mcp_servers.git.build).toEqual({ pypi: 'mcp-server-git==2026.10.19', apt: ['git'] });
    });
  });

  it('add --json reports the entry and the secrets still missing from the secrets file', async () => {
    await withTempDir(async (dir) => {
      await copyFixture(dir);
      const result = await runCli(['--json', 'mcp', 'add', 'gh', '--from-catalog', 'github', '--image', 'local/github-bridge:1', '--port', '48420'], {
        cwd: dir,
      });
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { added: string; port: number; server: Record<string, unknown>; missingSecrets: string[] };
      expect(report).toMatchObject({
        added: 'gh',
        port: 48420,
        server: { transport: 'stdio', container_port: 8000 },
        missingSecrets: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
      });
      expect(report.server.inside_litellm).toBeUndefined();
    });
  });

  it('adds a stdio server inside LiteLLM only with --inside-litellm; without an image it refuses (exit 2) naming both ways', async () => {
    await withTempDir(async (dir) => {
      await copyFixture(dir);
      const refused = await runCli(['mcp', 'add', 'tool', '--transport', 'stdio', '--command', 'mcp-tool'], { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/mcp_servers\.tool: a stdio server runs in a container of its own/);
      expect(refused.stderr).toMatch(/inside_litellm: true/);
      const inside = await runCli(['--json', 'mcp', 'add', 'tool', '--transport', 'stdio', '--command', 'mcp-tool', '--inside-litellm'], {
        cwd: dir,
        env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      });
      expect(inside.code, inside.stderr).toBe(0);
      expect(JSON.parse(inside.stdout)).toMatchObject({ added: 'tool', server: { transport: 'stdio', inside_litellm: true } });
    });
  });

  it.each([
    ['a duplicate name', ['add', 'db_main', '--transport', 'sse', '--image', 'x'], /mcp_servers\.db_main already exists/],
    [
      'a port outside the range',
      ['add', 'far', '--transport', 'sse', '--image', 'x', '--port', '49500'],
      /mcp_servers\.far\.port: 49500 is outside 48400–48499/,
    ],
    [
      'a port another server has',
      ['add', 'twin', '--transport', 'sse', '--image', 'x', '--port', '48401'],
      /port 48401 is already used by mcp_servers\.everything\.port/,
    ],
    ['an unknown transport', ['add', 'odd', '--transport', 'carrier-pigeon', '--image', 'x'], /mcp_servers\.odd\.transport: must be one of sse, http, stdio/],
    [
      'a url server with an image',
      ['add', 'both', '--transport', 'http', '--image', 'x', '--url', 'http://tools.lan:9000/mcp'],
      /mcp_servers\.both\.url: cannot be combined with image/,
    ],
    ['an unknown catalog entry', ['add', 'x', '--from-catalog', 'nope'], /the catalog has no entry "nope"/],
    ['removing a granted server', ['remove', 'everything'], /key\(s\) analyst still grant everything[\s\S]*--force/],
    ['removing an unknown server', ['remove', 'ghost'], /has no MCP server "ghost"/],
  ])('refuses %s: exit 2, a clear message, mcpgw.yaml unchanged', async (_what, argv, message) => {
    await withTempDir(async (dir) => {
      await copyFixture(dir);
      expect(await expectRefused(dir, argv)).toMatch(message);
    });
  });

  it('refuses a port something on this machine already listens on', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 48455, host: '127.0.0.1' }, resolve));
    try {
      await withTempDir(async (dir) => {
        await copyFixture(dir);
        expect(await expectRefused(dir, ['add', 'busy', '--transport', 'http', '--image', 'x', '--port', '48455'])).toMatch(
          /port 48455 is already in use on this machine/,
        );
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('remove --force drops the server and its grants', async () => {
    await withTempDir(async (dir) => {
      const file = await copyFixture(dir);
      const result = await runCli(['mcp', 'remove', 'db_main', '--force'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/dropped its grant from key\(s\) analyst, reporting/);
      const config = parse(await readFile(file, 'utf8'));
      expect(Object.keys(config.mcp_servers)).toEqual(['everything']);
      expect(config.keys[0].mcp_servers).toEqual(['everything']);
    });
  });

  it('catalog lists every entry with how it runs, its secrets and probe tool', async () => {
    const result = await runCli(['mcp', 'catalog'], { cwd: '/' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/postgres\s+sse\s+crystaldba\/postgres-mcp:0\.3\.0\s+:8000\/sse\s+list_schemas\s+MCP_POSTGRES_URI/);
    expect(result.stdout).toMatch(/filesystem\s+stdio→http/);
    expect(result.stdout).toMatch(/github: build local\/github-mcp:1\.11\.0 first/);
    expect(Math.max(...result.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(132);
    const json = JSON.parse((await runCli(['--json', 'mcp', 'catalog'], { cwd: '/' })).stdout) as { catalog: { id: string }[] };
    expect(json.catalog).toHaveLength(8);
  });

  it('tools refuses an alias mcpgw keeps no value for, saying why and what to pass, without contacting anything', async () => {
    await withTempDir(async (dir) => {
      await copyFixture(dir);
      const result = await runCli(['mcp', 'tools', '--key', 'homelab-time'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /mcpgw keeps no value for "homelab-time": it is not declared in mcpgw\.yaml, and `mcpgw keys create` shows a key once unless given --save/,
      );
      expect(result.stderr).toMatch(/pass the key itself \(sk-…, as `keys create` printed it\), or `mcpgw keys rotate homelab-time --save`/);
      expect(result.stderr).toMatch(/aliases declared in mcpgw\.yaml: analyst, reporting/);
    });
  });
});
