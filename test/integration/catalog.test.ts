// The catalog's stdio entries (filesystem, fetch, time, memory, git) as a user adds them (`mcp add --from-catalog` into a stack whose
// images mcpgw builds, as `init --offline` writes it), deployed by `mcpgw up` and used through the real LiteLLM
// with a key granted to them. filesystem must start (its directory is a volume mcpgw creates, writable for the
// server's user) and write then read a file; fetch must refuse a LAN address by default with its own message, and
// with the opt-in (args: [--allow-private-ips]) fetch a page from a container this test starts; time and memory must
// answer (memory writing its graph to its volume); git must serve the empty repository it makes in its volume, then
// the one the test brings there as the catalog's note tells a user to. Every probe must pass: none needs the internet,
// which this machine lacks.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli, type CliResult } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { createNetwork, dockerClient, runId, startContainer, testLabels, waitForHttp, type StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const name = `mcpgwt-${run}-cat`;
const PORT = 14640;
const pagesNetwork = `${name}-pages`;
const KEY = `sk-itest-catalog-${randomBytes(8).toString('hex')}`;
// What the page the fetch server is asked for says: only that page has it.
const MARKER = `catalog-page-${randomBytes(6).toString('hex')}`;
const PAGE_URL = 'http://pages:8080/page.html';
const TIMEOUT = { timeout: 120_000 };
const REFUSAL = /Refused to fetch http:\/\/pages:8080\/robots\.txt: pages resolves to [\d.]+, which is not a public address/;

type ToolResult = { content: { type: string; text?: string }[]; isError?: boolean };
type ProbeReport = { probe: { steps: { id: string; status: string; evidence: string[] }[] } };

let dir = '';
let pages: StartedContainer | undefined;
let firstUp: CliResult;

async function editConfig(edit: (config: { mcp_servers: Record<string, Record<string, unknown>>; keys?: unknown[] }) => void): Promise<void> {
  const file = path.join(dir, 'mcpgw.yaml');
  const config = parse(await readFile(file, 'utf8'));
  edit(config);
  await writeFile(file, stringify(config));
}

type Call = (tool: string, args: Record<string, unknown>) => Promise<{ isError: boolean; text: string }>;

/** One session through the gateway's /mcp/ with the key granted every server, as a user's MCP client opens it. */
async function withSession<T>(use: (call: Call) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'mcpgw-itest-catalog', version: '0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${PORT}/mcp/`), {
    requestInit: { headers: { 'x-litellm-api-key': `Bearer ${KEY}` } },
  });
  await client.connect(transport, TIMEOUT);
  try {
    return await use(async (tool, args) => {
      const result = (await client.callTool({ name: tool, arguments: args }, undefined, TIMEOUT)) as ToolResult;
      return { isError: result.isError ?? false, text: result.content.map((part) => part.text ?? '').join(' ') };
    });
  } finally {
    await client.close();
  }
}

/** A tool call in a session of its own. */
const callTool: Call = (tool, args) => withSession((call) => call(tool, args));

function probeStep(result: CliResult, id: string) {
  return (JSON.parse(result.stdout) as ProbeReport).probe.steps.find((step) => step.id === id);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-catalog-'));
  // A web server on a network of its own, which the fetch server's container also joins: a LAN page's stand-in.
  await createNetwork(docker, pagesNetwork, testLabels(run, {}, stack.owner));
  pages = await startContainer(docker, {
    name: `${name}-pages`,
    image: stack.images.mcpPython,
    labels: testLabels(run, {}, stack.owner),
    networks: [{ name: pagesNetwork, aliases: ['pages'] }],
    entrypoint: ['sh', '-c'],
    cmd: [
      `mkdir -p /tmp/site && printf '<html><head><title>Catalog</title></head><body><article><h1>Hello</h1><p>%s</p></article></body></html>' "$MARKER" > /tmp/site/page.html && exec python3 -m http.server 8080 --directory /tmp/site`,
    ],
    env: { MARKER },
    publish: [8080],
  });
  await waitForHttp(pages, `http://127.0.0.1:${await pages.hostPort(8080)}/page.html`, { timeoutMs: 30_000 });

  await writeTestStack(dir, {
    name,
    images: stack.images,
    litellmPort: PORT,
    mcp: {},
    secrets: { MCPGW_KEY_TESTER: KEY },
    // As `init --offline` writes it: mcpgw builds every image, the probe's model is the canary.
    extra: {
      probe_model: 'canary',
      litellm: { build: 'builtin', port: PORT },
      postgres: { build: 'builtin', network: `${name}-pg` },
    },
  });
  for (const [server, entry, port] of [
    ['files', 'filesystem', '48640'],
    ['web', 'fetch', '48641'],
    ['clock', 'time', '48642'],
    ['memo', 'memory', '48643'],
    ['repo', 'git', '48644'],
  ] as const) {
    const added = await runCli(['mcp', 'add', server, '--from-catalog', entry, '--port', port], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
  }
  await editConfig((config) => {
    (config.mcp_servers.web as Record<string, unknown>).networks = [pagesNetwork];
    config.keys = [{ alias: 'tester', mcp_servers: ['files', 'web', 'clock', 'memo', 'repo'] }];
  });
  firstUp = await runCli(['up', '--json'], { cwd: dir });
}, 900_000);

afterAll(async () => {
  await runCli(['down', '--volumes'], { cwd: dir });
  await pages?.remove();
  await docker
    .getNetwork(pagesNetwork)
    .remove()
    .catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('catalog entries that failed as they were, through LiteLLM', () => {
  it('mcp add writes each entry as this stack can run it, and up starts both and proves them from LiteLLM', async () => {
    const config = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
    expect(config.mcp_servers.files).toMatchObject({
      build: { npm: '@modelcontextprotocol/server-filesystem@2026.1.14' },
      command: ['mcp-server-filesystem'],
      args: ['/data'],
      volumes: { data: '/data' },
    });
    expect(config.mcp_servers.web).toMatchObject({ build: { pypi: 'mcp-server-fetch==2026.10.10' }, command: ['mcp-server-fetch'] });
    expect(config.mcp_servers.web?.args).toBeUndefined();

    expect(firstUp.code, `${firstUp.stderr}\n${firstUp.stdout}`).toBe(0);
    expect(firstUp.stderr).toMatch(/mcp-files from LiteLLM: .*initialize \(secure-filesystem-server\), tools\/list → [1-9]\d* tools/);
    expect(firstUp.stderr).toMatch(/mcp-web from LiteLLM: .*initialize \(mcp-fetch\), tools\/list → 1 tools/);
    const files = probeStep(firstUp, 'mcp.server.files');
    expect(files?.status, JSON.stringify(files)).toBe('pass');
    expect(files?.evidence.join(' ')).toMatch(/tools\/call files-list_allowed_directories → ok: Allowed directories:\s+\/data/);
    const web = probeStep(firstUp, 'mcp.server.web');
    expect(web?.status, JSON.stringify(web)).toBe('pass');
    expect(web?.evidence.join(' ')).toMatch(
      /tools\/call web-fetch → error: Refused to fetch http:\/\/nonce-[0-9a-f]+@127\.0\.0\.1:9\/robots\.txt.*\(the refusal declared\)/,
    );
    // The volume is mcpgw's: labelled with the stack, so `down --volumes` finds it.
    const volumes = await docker.listVolumes({ filters: { label: [`io.mcpgw.stack=${name}`] } });
    expect(volumes.Volumes.map((volume) => volume.Name)).toContain(`${name}-mcp-files-data`);
    for (const value of [...Object.values(TEST_SECRETS), KEY]) expect(firstUp.stdout + firstUp.stderr).not.toContain(value);
  });

  it('filesystem writes a file into its volume and reads it back, through the gateway', async () => {
    const content = `written through LiteLLM ${randomBytes(6).toString('hex')}`;
    const written = await callTool('files-write_file', { path: '/data/notes.txt', content });
    expect(written.isError, written.text).toBe(false);
    const read = await callTool('files-read_text_file', { path: '/data/notes.txt' });
    expect(read).toEqual({ isError: false, text: content });
    // Outside its directory the server refuses, in its own words.
    const outside = await callTool('files-read_text_file', { path: '/etc/hostname' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/Access denied - path outside allowed directories/);
  });

  it('time and memory, added from the catalog, are proven by up and answer through the gateway', async () => {
    for (const id of ['mcp.server.clock', 'mcp.server.memo']) {
      const step = probeStep(firstUp, id);
      expect(step?.status, JSON.stringify(step)).toBe('pass');
    }
    const now = await callTool('clock-get_current_time', { timezone: 'UTC' });
    expect(now.isError, now.text).toBe(false);
    expect(JSON.parse(now.text)).toMatchObject({ timezone: 'UTC', datetime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    // The graph is written to the volume (MEMORY_FILE_PATH), where the server's user may write, and read back.
    const entity = `entity-${randomBytes(4).toString('hex')}`;
    const created = await callTool('memo-create_entities', { entities: [{ name: entity, entityType: 'test', observations: ['made through LiteLLM'] }] });
    expect(created.isError, created.text).toBe(false);
    const graph = await callTool('memo-read_graph', {});
    expect(graph.text).toContain(entity);
    expect(graph.text).toContain('made through LiteLLM');
  });

  it('git serves the empty repository it made in its volume, then the one a user brings as the note says', async () => {
    const config = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
    expect(config.mcp_servers.repo).toMatchObject({
      build: { pypi: 'mcp-server-git==2026.10.19', apt: ['git'] },
      args: ['--repository', '/data/repo'],
      volumes: { data: '/data' },
    });
    expect(firstUp.stderr).toMatch(/mcp-repo from LiteLLM: .*initialize \(mcp-git\), tools\/list → 12 tools/);
    const step = probeStep(firstUp, 'mcp.server.repo');
    expect(step?.status, JSON.stringify(step)).toBe('pass');
    expect(step?.evidence.join(' ')).toMatch(/tools\/call repo-git_status → ok: Repository status:/);
    // One session for all its calls, as a client keeps one.
    await withSession(async (call) => {
      const empty = await call('repo-git_status', { repo_path: '/data/repo' });
      expect(empty.isError, empty.text).toBe(false);
      expect(empty.text).toMatch(/On branch main[\s\S]*No commits yet/);

      // A user's repository, brought in as the catalog's note says: a bundle copied into the volume, pulled there by
      // the server's user (docker exec runs as the container's user).
      const source = path.join(dir, 'myrepo');
      const subject = `catalog commit ${randomBytes(6).toString('hex')}`;
      const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=Catalog Test', ...args], { cwd: source });
      await mkdir(source);
      await git('init', '-q', '-b', 'main');
      await writeFile(path.join(source, 'README.md'), 'brought in by a bundle\n');
      await git('add', 'README.md');
      await git('commit', '-q', '-m', subject);
      const head = (await git('rev-parse', 'HEAD')).stdout.trim();
      await git('bundle', 'create', '-q', path.join(dir, 'repo.bundle'), '--all');
      const container = `${name}-mcp-repo`;
      await execa('docker', ['cp', path.join(dir, 'repo.bundle'), `${container}:/data/`]);
      await execa('docker', ['exec', container, 'git', '-C', '/data/repo', 'pull', '-q', '/data/repo.bundle', 'main']);

      const log = await call('repo-git_log', { repo_path: '/data/repo' });
      expect(log.isError, log.text).toBe(false);
      expect(log.text).toContain(`Commit: ${head}`);
      expect(log.text).toContain(`Message: ${subject}`);
      // The server writes there too (the repository is its user's): a branch made through the gateway is listed.
      const branch = await call('repo-git_create_branch', { repo_path: '/data/repo', branch_name: 'from-gateway' });
      expect(branch.isError, branch.text).toBe(false);
      const branches = await call('repo-git_branch', { repo_path: '/data/repo', branch_type: 'local' });
      expect(branches.text.split('\n').map((line) => line.trim())).toEqual(expect.arrayContaining(['from-gateway', '* main']));
      // Only that repository: --repository confines every call.
      const outside = await call('repo-git_status', { repo_path: '/tmp' });
      expect(outside.isError).toBe(true);
      expect(outside.text).toMatch(/Repository path '\/tmp' is outside the allowed repository '\/data\/repo'/);
    });
  });

  it('fetch refuses a LAN address by default, with its own message naming the opt-in', async () => {
    const refused = await callTool('web-fetch', { url: PAGE_URL });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(REFUSAL);
    expect(refused.text).toContain('--allow-private-ips');
    expect(refused.text).not.toContain(MARKER);
  });

  it('with args: [--allow-private-ips] up recreates only fetch, which then fetches the page, and its probe still passes', async () => {
    await editConfig((config) => {
      (config.mcp_servers.web as Record<string, unknown>).args = ['--allow-private-ips'];
    });
    const up = await runCli(['up', '--json'], { cwd: dir });
    expect(up.code, `${up.stderr}\n${up.stdout}`).toBe(0);
    expect(up.stderr).toMatch(/mcp-web: recreated/);
    expect(up.stderr).not.toMatch(/litellm: (created|recreated)/);
    const web = probeStep(up, 'mcp.server.web');
    expect(web?.status, JSON.stringify(web)).toBe('pass');
    expect(web?.evidence.join(' ')).toMatch(/Failed to fetch robots\.txt http:\/\/nonce-[0-9a-f]+@127\.0\.0\.1:9\/robots\.txt due to a connection issue/);

    const fetched = await callTool('web-fetch', { url: PAGE_URL });
    expect(fetched.isError, fetched.text).toBe(false);
    expect(fetched.text).toContain(`Contents of ${PAGE_URL}`);
    expect(fetched.text).toContain(MARKER);
    // The file written before is still there: only the fetch container was recreated.
    expect((await callTool('files-read_text_file', { path: '/data/notes.txt' })).text).toMatch(/^written through LiteLLM/);
  });
});
