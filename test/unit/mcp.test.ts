import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { catalogEntry, loadCatalog } from '../../src/mcp/catalog.js';
import { grantingKeys } from '../../src/config/grants.js';
import { planAdd, planRemove, serverEntry } from '../../src/mcp/config-edit.js';
import { schemaSummary } from '../../src/mcp/gateway.js';
import { serverRows } from '../../src/mcp/list.js';
import { listenProbe, pickPort } from '../../src/mcp/ports.js';
import { renderStack } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { buildStackModel } from '../../src/stack/model.js';
import { pinnedServerId } from '../../src/litellm/server-id.js';
import { fixtureStack, fixturesDir, goldenDir } from '../helpers/fixtures.js';

const FILE = 'mcpgw.yaml';
const fixture = readFileSync(path.join(fixturesDir, 'mcp', 'mcpgw.yaml'), 'utf8');
const secrets = parseSecrets(readFileSync(path.join(fixturesDir, 'mcp', 'secrets.env'), 'utf8'));
const allFree = async () => true;

function expectGolden(name: string, text: string): void {
  const file = path.join(goldenDir, 'mcp', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('mcp add edits mcpgw.yaml in place', () => {
  it('appends a catalog server with the next free port and keeps every comment and the key order', async () => {
    const entry = serverEntry({ image: 'mcpgw-test/mcp:latest' }, catalogEntry('everything'));
    const plan = await planAdd(fixture, FILE, 'demo', entry, allFree);
    expect(plan.port).toBe(48402);
    expectGolden('add-everything.yaml', plan.text);
    for (const comment of fixture.split('\n').filter((line) => line.includes('#'))) expect(plan.text).toContain(comment);
    expect(Object.keys(plan.config.mcp_servers)).toEqual(['db_main', 'everything', 'demo']);
  });

  it('adds a bridged stdio server and a LiteLLM-spawned one; only the bridged one gets a port', async () => {
    const bridged = await planAdd(
      fixture,
      FILE,
      'files',
      serverEntry({
        transport: 'stdio',
        bridge: 'http',
        image: 'supercorp/supergateway',
        command: 'npx -y @modelcontextprotocol/server-filesystem@2026.1.14',
        args: ['/data'],
        env: ['TOKEN=MCP_POSTGRES_URI'],
      }),
      allFree,
    );
    expectGolden('add-stdio-bridged.yaml', bridged.text);
    const inLiteLLM = await planAdd(
      bridged.text,
      FILE,
      'local',
      serverEntry({ transport: 'stdio', command: 'python3 -m tools', insideLitellm: true }),
      allFree,
    );
    expect(inLiteLLM.port).toBeUndefined();
    expect(inLiteLLM.config.mcp_servers.local).toMatchObject({ transport: 'stdio', inside_litellm: true, command: ['python3', '-m', 'tools'] });
    const model = buildStackModel(inLiteLLM.config);
    expect(model.litellmConfig.mcp_servers.files).toEqual({
      server_id: pinnedServerId(inLiteLLM.config.name, 'files'),
      transport: 'http',
      url: 'http://mcp-files:48402/mcp',
    });
    expect(model.services.find((service) => service.name === 'mcp-files')).toMatchObject({
      entrypoint: ['node', '/mcpgw/mcp-bridge.mjs'],
      command: ['--port', '48402', '--path', '/mcp', '--', 'npx', '-y', '@modelcontextprotocol/server-filesystem@2026.1.14', '/data'],
      volumes: [{ source: './bridge/mcp-bridge.mjs', target: '/mcpgw/mcp-bridge.mjs', kind: 'bind', readOnly: true }],
      readiness: { kind: 'mcp', transport: 'http', path: '/mcp', answerMs: 20_000 },
    });
  });

  it('gives a bridged http server a longer deadline when up waits for it (the bridge starts the command on the first initialize)', () => {
    const model = buildStackModel(parseConfig(fixtureStack('stdio').yaml));
    expect(model.services.find((service) => service.name === 'mcp-notes')?.readiness).toEqual({
      kind: 'mcp',
      transport: 'http',
      path: '/mcp',
      answerMs: 20_000,
    });
  });

  it('writes into an mcp_servers that is empty or missing', async () => {
    const bare = 'version: 1\nhost: gateway.lan # the LAN name\nmcp_port_range: 48400-48499\nmcp_servers: {}\n';
    const plan = await planAdd(bare, FILE, 'remote', serverEntry({ transport: 'http', url: 'http://tools.lan:9000/mcp' }), allFree);
    expect(plan.text).toBe(
      'version: 1\nhost: gateway.lan # the LAN name\nmcp_port_range: 48400-48499\nmcp_servers:\n  ' +
        'remote:\n    transport: http\n    url: http://tools.lan:9000/mcp\n',
    );
    const missing = await planAdd(
      'version: 1\nhost: gateway.lan\n',
      FILE,
      'remote',
      serverEntry({ transport: 'sse', url: 'http://tools.lan:9000/sse' }),
      allFree,
    );
    expect(missing.config.mcp_servers.remote?.url).toBe('http://tools.lan:9000/sse');
  });

  it('skips ports that mcpgw.yaml declares or that something on this machine listens on', async () => {
    const config = parseConfig(fixture);
    const busy = new Set([48402, 48403]);
    expect(await pickPort(config, async (port) => !busy.has(port))).toBe(48404);
    const full = parseConfig(fixture.replace('48400-48499', '48400-48401'));
    const error = await rejection(pickPort(full, allFree));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/no free port left in mcp_port_range 48400-48401/);
  });

  it('the real probe reports a port a listener holds as taken', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await listenProbe('127.0.0.1')(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await listenProbe('127.0.0.1')(port)).toBe(true);
  });

  it.each([
    ['a duplicate name', 'db_main', { transport: 'sse', image: 'x' }, /mcp_servers\.db_main already exists/],
    ['a port outside the range', 'far', { transport: 'sse', image: 'x', port: '49500' }, /mcp_servers\.far\.port: 49500 is outside 48400–48499/],
    [
      'a port another server has',
      'twin',
      { transport: 'sse', image: 'x', port: '48400' },
      /mcp_servers\.twin\.port: port 48400 is already used by mcp_servers\.db_main\.port/,
    ],
    ['an unknown transport', 'odd', { transport: 'websocket', image: 'x' }, /mcp_servers\.odd\.transport: must be one of sse, http, stdio/],
    [
      'a url server with an image',
      'both',
      { transport: 'sse', image: 'x', url: 'http://a.lan:1/sse' },
      /mcp_servers\.both\.url: cannot be combined with image/,
    ],
    ['a bridge on an sse server', 'wrong', { transport: 'sse', image: 'x', bridge: 'http' }, /mcp_servers\.wrong\.bridge: applies only to stdio servers/],
    [
      'an SSE bridge, which mixes up concurrent sessions',
      'mixed',
      { transport: 'stdio', bridge: 'sse', image: 'x', command: 'run' },
      /mcp_servers\.mixed\.bridge: must be http: supergateway's SSE output sends every reply to all sessions/,
    ],
    [
      'a bridged stdio server without an image',
      'nobox',
      { transport: 'stdio', command: 'run' },
      /mcp_servers\.nobox: a stdio server runs in a container of its own, behind mcpgw's bridge, and this one names no image \(fix: add build: .*inside_litellm: true/,
    ],
    ['a name with a dash', 'my-tools', { transport: 'http', url: 'http://a.lan:1/mcp' }, /server names use a–z, 0–9 and _/],
  ])('refuses %s with the field and the fix', async (_what, name, options, message) => {
    const error = await rejection(planAdd(fixture, FILE, name, serverEntry(options), allFree));
    expect(error).toBeInstanceOf(UserError);
    const text =
      error instanceof ConfigError
        ? `${error.message}\n${error.issues.map((issue) => `${issue.path}: ${issue.message} (fix: ${issue.fix ?? '-'})`).join('\n')}`
        : (error as Error).message;
    expect(text).toMatch(message);
    if (error instanceof ConfigError) expect(error.message).toMatch(/nothing written/);
  });

  it('refuses a port that is free in mcpgw.yaml but taken on this machine', async () => {
    const error = await rejection(
      planAdd(fixture, FILE, 'busy', serverEntry({ transport: 'http', image: 'x', port: '48410' }), async (port) => port !== 48410),
    );
    expect((error as UserError).message).toBe('port 48410 is already in use on this machine');
  });

  it('refuses malformed flags before touching the document', () => {
    expect(() => serverEntry({ transport: 'sse', image: 'x', port: '48x' })).toThrow(/--port 48x is not a port number/);
    expect(() => serverEntry({ transport: 'sse', image: 'x', env: ['DATABASE_URI'] })).toThrow(/--env DATABASE_URI=… is not VAR=SECRET_NAME/);
    expect(() => serverEntry({ image: 'x' })).toThrow(/--transport is required/);
  });
});

describe('mcp remove', () => {
  it('refuses while a declared key grants the server, directly or through a group', () => {
    const config = parseConfig(fixture);
    expect(grantingKeys(config, 'db_main')).toEqual(['analyst', 'reporting']);
    expect(() => planRemove(fixture, FILE, 'db_main', false)).toThrow(/key\(s\) analyst, reporting still grant db_main/);
  });

  it('with force drops the grants too (group grants that no server serves any more) and keeps the comments', () => {
    const plan = planRemove(fixture, FILE, 'db_main', true);
    expect(plan.ungranted).toEqual(['analyst', 'reporting']);
    expectGolden('remove-db-main.yaml', plan.text);
    expect(plan.config.keys.map((key) => [key.alias, key.mcp_servers, key.mcp_groups])).toEqual([
      ['analyst', ['everything'], []],
      ['reporting', [], []],
    ]);
  });

  it('names the declared servers when the server does not exist', () => {
    expect(() => planRemove(fixture, FILE, 'nope', false)).toThrow(/has no MCP server "nope"/);
  });
});

describe('mcp catalog', () => {
  const catalog = loadCatalog();

  it('has the seed servers and the well-adopted reference ones', () => {
    expect(catalog.map((entry) => entry.id)).toEqual(['everything', 'filesystem', 'fetch', 'git', 'time', 'memory', 'postgres', 'github']);
    expect(catalogEntry('postgres').server).toMatchObject({
      transport: 'sse',
      image: 'crystaldba/postgres-mcp:0.3.0',
      path: '/sse',
      env: { DATABASE_URI: 'MCP_POSTGRES_URI' },
    });
    expect(() => catalogEntry('nope')).toThrow(/the catalog has no entry "nope"/);
    expect(() => catalogEntry('nope')).toThrow(expect.objectContaining({ hint: expect.stringMatching(/known entries: everything, filesystem/) }));
  });

  it.each(catalog.map((entry) => [entry.id, entry] as const))('%s adds, validates and renders', async (id, entry) => {
    // github's official image has no supergateway: the user names a bridge image that has both.
    const options = id === 'github' ? { image: 'local/github-bridge:1' } : {};
    const plan = await planAdd(fixture, FILE, `cat_${id}`, serverEntry(options, entry), allFree);
    const server = plan.config.mcp_servers[`cat_${id}`];
    expect(server?.transport).toBe(entry.server.transport);
    const model = buildStackModel(plan.config);
    const withSecrets = new Map([...secrets, ...entry.secrets.map((name) => [name, 'fixture-value'] as const)]);
    const files = renderStack(model, withSecrets, loadTemplates(), 'secrets.env');
    expect(files.map((file) => file.path)).toContain('config/config.yaml');
    const litellmEntry = model.litellmConfig.mcp_servers[`cat_${id}`];
    // No catalog server runs inside LiteLLM: a stdio one is bridged in its own container, served as http.
    const transport = entry.server.transport === 'stdio' ? 'http' : entry.server.transport;
    expect(litellmEntry?.transport).toBe(transport);
    expect(String(litellmEntry?.url)).toMatch(new RegExp(`^http://mcp-cat-${id}:${entry.server.container_port}/${transport === 'sse' ? 'sse' : 'mcp'}$`));
    // One mcpgw builds from a package runs as nobody.
    const service = model.services.find((candidate) => candidate.name === `mcp-cat-${id}`);
    expect(service?.user).toBe(entry.server.build ? '65534:65534' : undefined);
    for (const secret of entry.secrets) expect(Object.values(server?.env ?? {})).toContain(secret);
    expect(server?.probe).toEqual(entry.probe);
  });
});

describe('catalog entries that need more than a container', () => {
  it('filesystem serves a named volume at /data; where mcpgw builds images it is the npm package, run as nobody', async () => {
    const entry = catalogEntry('filesystem');
    for (const packaged of [false, true]) {
      const plan = await planAdd(fixture, FILE, 'files', serverEntry({}, entry, packaged), allFree);
      const server = plan.config.mcp_servers.files;
      expect(server?.volumes).toEqual({ data: '/data' });
      expect(server?.args).toEqual(['/data']);
      const model = buildStackModel(plan.config);
      const service = model.services.find((candidate) => candidate.name === 'mcp-files');
      expect(model.volumes).toContain(`${plan.config.name}-mcp-files-data`);
      expect(service?.volumes).toContainEqual({ source: `${plan.config.name}-mcp-files-data`, target: '/data', kind: 'volume', readOnly: false });
      expect(service?.command?.slice(-2)).toEqual(
        packaged ? ['mcp-server-filesystem', '/data'] : ['@modelcontextprotocol/server-filesystem@2026.1.14', '/data'],
      );
      expect(service?.user).toBe(packaged ? '65534:65534' : undefined);
    }
  });

  it('git has Debian git beside its package and serves /data/repo on a volume, made an empty repository when missing', async () => {
    const entry = catalogEntry('git');
    const plan = await planAdd(fixture, FILE, 'repo', serverEntry({}, entry), allFree);
    const server = plan.config.mcp_servers.repo;
    expect(server?.build).toEqual({ pypi: 'mcp-server-git==2026.10.19', apt: ['git'] });
    expect(server?.image).toBe('mcpgw/pypi-mcp-server-git:2026.10.19-with-git');
    const model = buildStackModel(plan.config);
    const service = model.services.find((candidate) => candidate.name === 'mcp-repo');
    expect(service?.volumes).toContainEqual({ source: `${plan.config.name}-mcp-repo-data`, target: '/data', kind: 'volume', readOnly: false });
    // Behind the bridge, the shell makes the repository only when it is missing, then becomes the server with its args.
    expect(service?.command?.slice(service.command.indexOf('--') + 1)).toEqual([
      'sh',
      '-c',
      'test -d /data/repo/.git || git init -q -b main /data/repo && exec mcp-server-git "$@"',
      'mcp-server-git',
      '--repository',
      '/data/repo',
    ]);
    expect(entry.probe.arguments).toEqual({ repo_path: '/data/repo' });
    expect(entry.note).toContain('git -C /data/repo pull /data/repo.bundle <branch>');
  });

  it('fetch is proven by its own refusal of a loopback URL, which it writes with or without --allow-private-ips', () => {
    const entry = catalogEntry('fetch');
    expect(entry.probe).toEqual({ tool: 'fetch', arguments: { url: 'http://{nonce}@127.0.0.1:9/' }, expect_error: '{nonce}@127.0.0.1:9/robots.txt' });
    expect(entry.server.args).toBeUndefined();
    expect(entry.note).toContain('args: [--allow-private-ips]');
  });
});

describe('tool listing helpers', () => {
  it('summarises an input schema: required first-class, optional marked, enums and arrays spelled out', () => {
    expect(
      schemaSummary({
        type: 'object',
        properties: {
          message: { type: 'string' },
          count: { type: 'integer' },
          mode: { enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' } },
          value: { anyOf: [{ type: 'number' }, { type: 'null' }] },
        },
        required: ['message'],
      }),
    ).toBe('message: string, count?: integer, mode?: "a"|"b", tags?: string[], value?: number|null');
    expect(schemaSummary({ type: 'object' })).toBe('(no arguments)');
  });

  it('lists servers with how they run, their endpoint, state, tool count and granting keys', async () => {
    const plan = await planAdd(fixture, FILE, 'local', serverEntry({ transport: 'stdio', command: 'python3 -m tools', insideLitellm: true }), allFree);
    const model = buildStackModel(plan.config);
    const rows = serverRows(plan.config, model, {
      containers: new Map([
        ['mcp-db-main', 'running'],
        ['litellm', 'running'],
      ]),
      toolCounts: new Map([
        ['db_main', 9],
        ['everything', 12],
        ['local', null],
      ]),
      dbGrants: new Map([['everything', ['adhoc']]]),
    });
    expect(rows).toEqual([
      {
        name: 'db_main',
        transport: 'sse',
        runs: 'container',
        endpoint: 'http://mcp-db-main:8000/sse',
        state: 'running',
        tools: 9,
        keys: ['analyst', 'reporting'],
      },
      {
        name: 'everything',
        transport: 'http',
        runs: 'container',
        endpoint: 'http://mcp-everything:48401/mcp',
        state: 'absent',
        tools: 12,
        keys: ['adhoc', 'analyst'],
      },
      { name: 'local', transport: 'stdio', runs: 'litellm', endpoint: 'stdio: python3 -m tools', state: 'running', tools: null, keys: [] },
    ]);
    expect(serverRows(plan.config, model, {})[0]).toMatchObject({ state: 'unknown', tools: null });
  });
});
