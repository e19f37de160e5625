import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { DoctorReport } from '../../src/doctor/types.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS } from '../helpers/test-stack.js';
import { createNetwork, removeLabelled, RUN_LABEL, startContainer, testLabels, waitForHttp, waitForLog } from '../stack/stack.js';

// A LiteLLM release from before MCP auto-execution on /v1/chat/completions, run by hand (no DB), with one
// MCP server and the upstream fixture: the probe must name the version as the cause, not the request.
const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = `${Date.now().toString(36)}-old`;
const prefix = `mcpgwt-${run}`;
const network = `${prefix}-net`;
const UPSTREAM_KEY = 'sk-itest-upstream-old-0000000000';

describe(`mcpgw probe and doctor against LiteLLM ${stack.versions.litellmOld} (before MCP execution on chat completions)`, () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-probe-old-'));
    const labels = testLabels(run, {}, stack.owner);
    await createNetwork(docker, network, labels);
    const mcp = await startContainer(docker, {
      name: `${prefix}-mcp`,
      image: stack.images.mcp,
      labels,
      networks: [{ name: network, aliases: ['mcp-alpha'] }],
      cmd: ['mcp-server-everything', 'streamableHttp'],
    });
    await startContainer(docker, {
      name: `${prefix}-llm`,
      image: stack.images.node,
      labels,
      networks: [{ name: network, aliases: ['llm'] }],
      env: { PORT: '8080', FIXTURE_API_KEY: UPSTREAM_KEY, FIXTURE_TOOL_SUFFIX: '-echo' },
      cmd: ['node', '/fixture/server.mjs'],
      binds: [`${path.join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
    });
    const litellmConfig = {
      model_list: [
        {
          model_name: 'fixture-model',
          litellm_params: { model: 'openai/fixture-model', api_base: 'http://llm:8080/v1', api_key: 'os.environ/FIXTURE_API_KEY' },
        },
      ],
      mcp_servers: { alpha: { url: 'http://mcp-alpha:3001/mcp', transport: 'http' } },
      general_settings: { master_key: 'os.environ/LITELLM_MASTER_KEY' },
    };
    await writeFile(path.join(dir, 'litellm-config.yaml'), stringify(litellmConfig));
    const litellm = await startContainer(docker, {
      name: `${prefix}-litellm`,
      image: stack.images.litellmOld,
      labels,
      networks: [{ name: network }],
      env: { LITELLM_MASTER_KEY: TEST_SECRETS.LITELLM_MASTER_KEY, FIXTURE_API_KEY: UPSTREAM_KEY },
      cmd: ['--config', '/app/config.yaml', '--port', '4000'],
      binds: [`${path.join(dir, 'litellm-config.yaml')}:/app/config.yaml:ro`],
      publish: [4000],
    });
    const port = await litellm.hostPort(4000);
    await Promise.all([
      waitForLog(mcp, /listening on port 3001/, { timeoutMs: 60_000 }),
      waitForHttp(litellm, `http://127.0.0.1:${port}/health/liveliness`, { timeoutMs: 240_000 }),
    ]);
    // mcpgw.yaml describing that gateway: its port, the server by URL, the model.
    await writeFile(
      path.join(dir, 'mcpgw.yaml'),
      stringify({
        version: 1,
        name: prefix,
        host: 'localhost',
        bind: '127.0.0.1',
        secrets: './secrets.env',
        litellm: {
          image: stack.images.litellmOld,
          port,
          models: [{ name: 'fixture-model', model: 'openai/fixture-model', api_base: 'http://llm:8080/v1', api_key: 'UPSTREAM_KEY' }],
        },
        mcp_servers: { alpha: { transport: 'http', url: 'http://mcp-alpha:3001/mcp' } },
      }),
    );
    await writeFile(
      path.join(dir, 'secrets.env'),
      Object.entries({ ...TEST_SECRETS, UPSTREAM_KEY })
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
  }, 600_000);

  afterAll(async () => {
    await removeLabelled(docker, `${RUN_LABEL}=${run}`);
    await rm(dir, { recursive: true, force: true });
  });

  it('names the version as the cause when a correct MCP request is not executed on chat completions, and warns about its advisories', async () => {
    await writeFile(
      path.join(dir, 'request.json'),
      JSON.stringify({
        model: 'fixture-model',
        messages: [{ role: 'user', content: 'Call alpha-echo with nonce-old01' }],
        tools: [{ type: 'mcp', server_label: 'alpha', server_url: 'litellm_proxy/mcp/alpha', require_approval: 'never' }],
      }),
    );
    const result = await runCli(['probe', '--key', TEST_SECRETS.LITELLM_MASTER_KEY, '--replay', 'request.json', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    // No database here: the probe says so and goes on with the key it was given.
    expect(result.stderr).toMatch(/cannot reach LiteLLM's database .*probing with the key given with --key, without the no-grant check/);
    const report = JSON.parse(result.stdout) as ProbeReport;
    expect(report.litellmVersion).toBe(stack.versions.litellmOld);
    const step = (id: string) => report.steps.find((entry) => entry.id === id);
    expect(step('gateway.version')).toMatchObject({ status: 'warn' });
    expect(step('gateway.version')?.causes[0]?.cause).toMatch(/is affected by CVE-2026-42271/);
    const replay = step('llm.replay');
    expect(replay?.status, JSON.stringify(replay)).toBe('fail');
    expect(replay?.evidence).toContain('executed by LiteLLM: 0');
    expect(replay?.causes).toEqual([
      {
        cause: `LiteLLM ${stack.versions.litellmOld} does not execute MCP tools on /v1/chat/completions (since 1.80.10)`,
        fix: 'pin litellm.image to 1.80.10 or later, or use /v1/responses',
      },
    ]);
    expect(result.stdout).not.toContain(TEST_SECRETS.LITELLM_MASTER_KEY);
  });

  it('doctor warns that the MCP test endpoints of an affected release answer without a key', async () => {
    const result = await runCli(['doctor', '--json', '--only', 'security.mcp-test-endpoints'], { cwd: dir });
    const check = (JSON.parse(result.stdout) as DoctorReport).checks[0];
    expect(check, result.stderr).toMatchObject({ id: 'security.mcp-test-endpoints', status: 'warn' });
    // Seen on 1.77.3 and 1.80.8: /test/connection has no auth at all (its body validation answers 422), /test/tools/list any key.
    expect(check?.evidence).toEqual([
      'POST /mcp-rest/test/connection without a key (invalid body) → HTTP 422: reachable without any key',
      'POST /mcp-rest/test/tools/list without a key (invalid body) → HTTP 401: reachable with any valid key',
    ]);
    expect(check?.causes[0]?.cause).toMatch(new RegExp(`^LiteLLM ${stack.versions.litellmOld.replaceAll('.', '\\.')} is affected by CVE-2026-42271`));
    expect(result.code).toBe(0);
  });
});
