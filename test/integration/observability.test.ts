import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { waitUntil } from '../../src/time/wait.js';
import { dashboardExpressions } from '../helpers/dashboard.js';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';
import { createNetwork, dockerClient, startContainer, testLabels, type StartedContainer } from '../stack/stack.js';

const run = promisify(execFile);
const stack = inject('mcpgwStack');
const docker = dockerClient();
const name = `mcpgwt-${Date.now().toString(36)}-obs`;
const upstreamNet = `${name}-llm-net`;
const PORT = 14520;
const PROMETHEUS_PORT = 14599;
const KEY = 'sk-itest-obs-client-0c3e9a1f5b7d2468';
const UPSTREAM_KEY = `up-${randomBytes(8).toString('hex')}`;

/** The rendered observability files of the stack, parsed. */
async function rendered(dir: string) {
  return {
    promtail: parse(await readFile(path.join(dir, 'observability/promtail-docker.yml'), 'utf8')) as Record<string, unknown>[],
    prometheus: parse(await readFile(path.join(dir, 'observability/prometheus-scrape.yml'), 'utf8')) as Record<string, unknown>[],
    dashboard: JSON.parse(await readFile(path.join(dir, 'observability/grafana-dashboard.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** The dashboard's PromQL with Grafana's variables given concrete values, as Prometheus would receive it. */
function asPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '10m').replaceAll('$key', '.*');
}

describe('observability against the real LiteLLM 1.108.7, Docker and Prometheus', () => {
  let dir = '';
  let llm: StartedContainer | undefined;
  let prometheus: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-obs-'));
    const file = await writeTestStack(dir, {
      name,
      // LiteLLM with prometheus_client, as LiteLLM's own images ship it (test/stack/images/litellm-metrics).
      images: { ...stack.images, litellmDb: stack.images.litellmMetrics },
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48520 } },
      secrets: { MCPGW_KEY_OBS_CLIENT: KEY, UPSTREAM_KEY },
      extra: {
        keys: [{ alias: 'obs-client', mcp_servers: ['alpha'], models: ['fixture-model'] }],
        observability: { loki: { enabled: true }, prometheus: { enabled: true, scrape_interval: '2s', target: `127.0.0.1:${PORT}` } },
      },
    });
    const config = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
    config.litellm.models = [{ name: 'fixture-model', model: 'openai/fixture-model', api_key: 'UPSTREAM_KEY', api_base: 'http://llm:8080/v1' }];
    // The upstream's network, which LiteLLM joins (no MCP server is on it).
    config.litellm.networks = [upstreamNet];
    await writeFile(file, stringify(config));
    await createNetwork(docker, upstreamNet, testLabels(name, {}, stack.owner));
    // No probe here: its LLM level needs the upstream stand-in, started after up.
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    // The upstream LLM stand-in, on the network LiteLLM resolves "llm" on.
    llm = await startContainer(docker, {
      name: `${name}-llm`,
      image: stack.images.node,
      labels: testLabels(name, {}, stack.owner),
      networks: [{ name: upstreamNet, aliases: ['llm'] }],
      env: { PORT: '8080', FIXTURE_API_KEY: UPSTREAM_KEY, FIXTURE_TOOL_SUFFIX: '-echo' },
      cmd: ['node', '/fixture/server.mjs'],
      binds: [`${path.join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
    });
  });

  afterAll(async () => {
    prometheus?.kill();
    await llm?.remove();
    await runCli(['down', '--volumes'], { cwd: dir });
    await docker
      .getNetwork(upstreamNet)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('labels every container and its json-file log lines for Promtail/Alloy', async () => {
    for (const service of ['postgres', 'mcp-alpha', 'litellm']) {
      const info = await docker.getContainer(`${name}-${service}`).inspect();
      expect(info.Config.Labels).toMatchObject({ logging: 'promtail', logging_jobname: name, 'io.mcpgw.stack': name, 'io.mcpgw.service': service });
      expect(info.HostConfig.LogConfig).toEqual({
        Type: 'json-file',
        Config: { 'max-size': '10m', 'max-file': '3', labels: 'io.mcpgw.stack,io.mcpgw.service,logging_jobname' },
      });
      // What a Promtail tailing /var/lib/docker/containers sees: the labels in every line's attrs.
      const firstLine = JSON.parse((await readFile(info.LogPath, 'utf8')).split('\n')[0] ?? '{}') as { attrs?: Record<string, string> };
      expect(firstLine.attrs).toEqual({ 'io.mcpgw.stack': name, 'io.mcpgw.service': service, logging_jobname: name });
    }
    const { promtail } = await rendered(dir);
    const filter = (promtail[0]?.docker_sd_configs as { filters: { values: string[] }[] }[] | undefined)?.[0]?.filters[0]?.values ?? [];
    // The Docker filter in the snippet selects exactly this stack's three containers.
    const selected = await docker.listContainers({ all: true, filters: { label: filter } });
    expect(selected.map((container) => container.Names[0]).sort()).toEqual([`/${name}-litellm`, `/${name}-mcp-alpha`, `/${name}-postgres`]);
  });

  it("serves /metrics with the prometheus callback, behind LiteLLM's auth", async () => {
    const anonymous = await fetch(`http://127.0.0.1:${PORT}/metrics/`);
    expect(anonymous.status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${PORT}/metrics/`, { headers: { authorization: `Bearer ${TEST_SECRETS.LITELLM_MASTER_KEY}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP litellm_/m);
  });

  it("the rendered scrape job passes promtool and a real Prometheus scrapes LiteLLM with it; the dashboard's queries find data", async () => {
    // Traffic: an MCP tool executed through a chat completion with the declared key, and a refused request.
    const chat = await fetch(`http://127.0.0.1:${PORT}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        model: 'fixture-model',
        messages: [{ role: 'user', content: 'Echo this back: nonce-obs-1' }],
        tools: [{ type: 'mcp', server_label: 'litellm', server_url: 'litellm_proxy', require_approval: 'never' }],
      }),
    });
    const answer = (await chat.json()) as { choices?: { finish_reason: string }[] };
    expect(chat.status, JSON.stringify(answer)).toBe(200);
    expect(answer.choices?.[0]?.finish_reason).toBe('stop');
    const refused = await fetch(`http://127.0.0.1:${PORT}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'not-a-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);

    const work = await mkdtemp(path.join(tmpdir(), 'mcpgw-prom-'));
    try {
      const credentials = path.join(work, 'litellm-master-key');
      await writeFile(credentials, TEST_SECRETS.LITELLM_MASTER_KEY);
      await chmod(credentials, 0o600);
      const { prometheus: jobs, dashboard } = await rendered(dir);
      const job = { ...jobs[0], authorization: { ...(jobs[0]?.authorization as object), credentials_file: credentials } };
      const configFile = path.join(work, 'prometheus.yml');
      await writeFile(configFile, stringify({ global: { scrape_interval: '2s' }, scrape_configs: [job] }));
      const check = await run('promtool', ['check', 'config', configFile]);
      expect(check.stdout).toMatch(/SUCCESS/);

      // The dashboard's PromQL as recording rules: promtool parses every expression.
      const rulesFile = path.join(work, 'rules.yml');
      const expressions = dashboardExpressions(dashboard);
      await writeFile(
        rulesFile,
        stringify({ groups: [{ name: 'dashboard', rules: expressions.map((expr, index) => ({ record: `mcpgw:dashboard_${index}`, expr: asPromQL(expr) })) }] }),
      );
      expect((await run('promtool', ['check', 'rules', rulesFile])).stdout).toMatch(new RegExp(`SUCCESS: ${expressions.length} rules found`));

      prometheus = spawn(
        'prometheus',
        [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`],
        { stdio: 'ignore' },
      );
      const query = async (expr: string) => {
        const response = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(expr)}`);
        return ((await response.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
      };
      const up = await waitUntil(
        'Prometheus scraping LiteLLM with the rendered job',
        async () => {
          const result = await query(`up{job="litellm", stack="${name}"}`);
          if (result[0]?.value[1] !== '1') throw new Error(`up = ${JSON.stringify(result)}`);
          return result;
        },
        { timeoutMs: 60_000 },
      );
      expect(up).toHaveLength(1);

      // Requests, latency, tokens, spend and MCP tool calls per key/server as the dashboard asks for them.
      const perKey = await query(`sum by (api_key_alias) (litellm_proxy_total_requests_metric_total{job="litellm", stack="${name}"})`);
      expect(perKey.map((sample) => sample.metric.api_key_alias)).toContain('obs-client');
      const failed = await query(`sum by (exception_status) (litellm_proxy_failed_requests_metric_total{job="litellm", stack="${name}"})`);
      expect(failed.length).toBeGreaterThan(0);
      expect(await query(`litellm_request_total_latency_metric_bucket{job="litellm", stack="${name}", api_key_alias="obs-client"}`)).not.toEqual([]);
      expect(await query(`litellm_spend_metric_total{job="litellm", stack="${name}", api_key_alias="obs-client"}`)).not.toEqual([]);
      const tools = await query(`sum by (mcp_server_name, mcp_tool_name) (litellm_mcp_tool_calls_total{job="litellm", stack="${name}"})`);
      expect(tools.map((sample) => [sample.metric.mcp_server_name, sample.metric.mcp_tool_name])).toEqual([['alpha', 'echo']]);
      // rate() needs two samples in its window: wait for the scrapes, then every panel query has a series.
      await waitUntil(
        'every dashboard query answering with data',
        async () => {
          for (const expr of expressions) if ((await query(asPromQL(expr))).length === 0) throw new Error(`no series for ${expr}`);
          return true;
        },
        { timeoutMs: 30_000 },
      );
    } finally {
      prometheus?.kill();
      await rm(work, { recursive: true, force: true });
    }
  });
});
