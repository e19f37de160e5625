// The seed's own MCP server and other third-party Python servers through the whole product: crystaldba
// postgres-mcp 0.3.0 (SSE) from the catalog entry as it is, a FastMCP streamable-HTTP server and the stdio-only
// mcp-server-time behind the bridge, all on the MCP Python SDK's defaults (DNS-rebinding protection on). `up`
// must prove each one from LiteLLM's network and the probe must execute their tools through LiteLLM; without
// host_header the same stack must fail in `up` and in doctor, naming the Host header and the field that fixes it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { startUpstream, useUpstreamModel } from '../helpers/upstream.js';
import { createNetwork, dockerClient, runId, startContainer, testLabels, waitForHealthy, type StartedContainer } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const run = runId();
const name = `mcpgwt-${run}-py`;
const dataNetwork = `${name}-data`;
const upstreamKey = 'up-python-servers-key';
const dataPassword = 'data-pw-python-servers';
const containers: StartedContainer[] = [];
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-py-'));
  containers.push(await startUpstream(docker, stack, run, name, upstreamKey));
  // The database postgres-mcp works on, on a network of its own that only that server joins (`networks:`);
  // mcpgw keeps LiteLLM's own Postgres off every MCP server's network.
  await createNetwork(docker, dataNetwork, testLabels(run, {}, stack.owner));
  const data = await startContainer(docker, {
    name: `${name}-data`,
    image: stack.images.postgres,
    labels: testLabels(run, {}, stack.owner),
    networks: [{ name: dataNetwork, aliases: ['pgdata'] }],
    env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: dataPassword, POSTGRES_DB: 'app' },
  });
  containers.push(data);
  await waitForHealthy(data, { timeoutMs: 90_000 });
  await writeTestStack(dir, {
    name,
    images: { ...stack.images, litellmDb: stack.images.litellmDb },
    litellmPort: 14471,
    mcp: {},
    secrets: { UPSTREAM_KEY: upstreamKey, MCP_POSTGRES_URI: `postgresql://app:${dataPassword}@pgdata:5432/app` },
    extra: {
      mcp_servers: {
        echo: {
          transport: 'http',
          image: stack.images.mcpPython,
          command: ['mcp-echo-http'],
          environment: { PORT: '8000' },
          port: 48471,
          container_port: 8000,
          host_header: 'localhost:8000',
        },
        clock: {
          transport: 'stdio',
          bridge: 'http',
          image: stack.images.mcpPython,
          command: ['mcp-server-time'],
          port: 48472,
          container_port: 8000,
          probe: { tool: 'get_current_time', arguments: { timezone: 'UTC' } },
        },
      },
    },
  });
  await useUpstreamModel(dir);
  // The catalog entry as it is; only the image is this machine's build of crystaldba/postgres-mcp:0.3.0.
  const added = await runCli(['mcp', 'add', 'db_main', '--from-catalog', 'postgres', '--image', stack.images.postgresMcp, '--port', '48473'], { cwd: dir });
  expect(added.code, added.stderr).toBe(0);
  const file = path.join(dir, 'mcpgw.yaml');
  const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
  (config.mcp_servers.db_main as Record<string, unknown>).networks = [dataNetwork];
  await writeFile(file, stringify(config));
}, 300_000);

afterAll(async () => {
  await runCli(['down', '--volumes'], { cwd: dir });
  await Promise.all(containers.map((container) => container.remove()));
  for (const network of [`${name}-mcp`, dataNetwork])
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function setHostHeader(server: string, value: string | undefined): Promise<void> {
  const file = path.join(dir, 'mcpgw.yaml');
  const config = parse(await readFile(file, 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
  const entry = config.mcp_servers[server] as Record<string, unknown>;
  if (value === undefined) delete entry.host_header;
  else entry.host_header = value;
  await writeFile(file, stringify(config));
}

describe('third-party Python MCP servers through mcpgw', () => {
  it('the catalog entry carries the Host fix postgres-mcp needs', async () => {
    const config = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')) as { mcp_servers: Record<string, Record<string, unknown>> };
    expect(config.mcp_servers.db_main).toMatchObject({ transport: 'sse', container_port: 8000, path: '/sse', host_header: 'localhost:8000' });
  });

  it('up proves each server from LiteLLM and the probe executes their tools through the gateway', async () => {
    const result = await runCli(['up', '--json'], { cwd: dir });
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    for (const server of ['mcp-echo', 'mcp-clock', 'mcp-db-main']) {
      expect(result.stderr).toMatch(new RegExp(`ok {4}${server} from LiteLLM: .*tools/list → [1-9]\\d* tools`));
    }
    const report = JSON.parse(result.stdout) as { probe: { ok: boolean; steps: { id: string; status: string; evidence: string[] }[] } };
    const step = (id: string) => report.probe.steps.find((candidate) => candidate.id === id);
    expect(step('mcp.server.db_main')?.status, JSON.stringify(step('mcp.server.db_main'))).toBe('pass');
    expect(step('mcp.server.db_main')?.evidence.join(' ')).toMatch(/tools\/call db_main-list_schemas → ok/);
    expect(step('mcp.server.echo')?.evidence.join(' ')).toMatch(/nonce returned/);
    expect(step('mcp.server.clock')?.status).toBe('pass');
    expect(step('llm.chat')?.status).toBe('pass');
    for (const value of [...Object.values(TEST_SECRETS), dataPassword, upstreamKey]) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it('without host_header, up fails at that server naming the Host header and the field, and so does doctor', async () => {
    await setHostHeader('echo', undefined);
    try {
      const up = await runCli(['up'], { cwd: dir });
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(/FAIL {2}mcp-echo from LiteLLM: .*rejects the Host header LiteLLM sends \(mcp-echo:8000\)/);
      expect(up.stderr).toContain('set mcp_servers.echo.host_header: "localhost:8000"');
      const doctor = await runCli(['doctor', '--offline', '--json', '--only', 'mcp'], { cwd: dir });
      expect(doctor.code).toBe(1);
      const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; causes?: { cause: string; fix: string }[] }[] };
      const transport = report.checks.find((check) => check.id === 'mcp.transport');
      expect(transport?.status).toBe('fail');
      expect(transport?.causes?.map((cause) => cause.fix).join(' ')).toContain('set mcp_servers.echo.host_header: "localhost:8000"');
      expect(report.checks.every((check) => check.status !== 'pass' || check.id !== 'mcp.gateway')).toBe(true);
    } finally {
      await setHostHeader('echo', 'localhost:8000');
    }
  });
});
