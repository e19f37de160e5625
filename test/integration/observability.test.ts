import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { renderObservability } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { observabilityModel } from '../../src/stack/observability.js';
import { waitUntil } from '../../src/time/wait.js';
import { readAlloyDiscovery } from '../helpers/alloy.js';
import { dashboardExpressions, variableQueries } from '../helpers/dashboard.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';
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

/** The rendered observability files of the stack, parsed, and the scrape key mcpgw rendered for Prometheus. */
async function rendered(dir: string) {
  const file = (name: string) => readFile(path.join(dir, 'observability', name), 'utf8');
  return {
    promtail: parse(await file('promtail-docker.yml')) as Record<string, unknown>[],
    alloy: await file('alloy-docker.alloy'),
    prometheus: parse(await file('prometheus-scrape.yml')) as Record<string, unknown>[],
    rules: await file('prometheus-rules.yml'),
    dashboard: JSON.parse(await file('grafana-dashboard.json')) as Record<string, unknown>,
    metricsKey: (await file('litellm-metrics-key')).trim(),
  };
}

/** The dashboard's PromQL with Grafana's variables given concrete values, as Prometheus would receive it. */
function asPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '10m').replaceAll('$key', '.*');
}

type Rule = { alert: string; labels: Record<string, string>; annotations: Record<string, string> };

/** An alert as promtool expects it: the rule's labels and annotations with the alert's labels and value filled in. */
function expectedAlert(rules: Rule[], name: string, labels: Record<string, string>, value = '') {
  const rule = rules.find((candidate) => candidate.alert === name);
  if (!rule) throw new Error(`no rule ${name}`);
  const fill = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, label: string) => labels[label] ?? '').replaceAll('{{ $value }}', value);
  return {
    exp_labels: { ...labels, ...rule.labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, text]) => [key, fill(text)])),
  };
}

/** Docker-discovered targets' labels as a set of JSON strings (one container shows once per network). */
function discovered(targets: { scrapePool: string; labels: Record<string, string> }[], pool: string): string[] {
  const sets = targets
    .filter((target) => target.scrapePool === pool)
    .map(({ labels: { instance: _instance, ...labels } }) => JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))));
  return [...new Set(sets)].sort();
}

describe('observability against the real LiteLLM 1.108.7, Docker and Prometheus', () => {
  let dir = '';
  let work = '';
  let llm: StartedContainer | undefined;
  let prometheus: ChildProcess | undefined;
  let files: Awaited<ReturnType<typeof rendered>>;
  const query = async (expr: string) => {
    const response = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return ((await response.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  };
  const api = async <T>(route: string) => ((await (await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/${route}`)).json()) as { data: T }).data;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-obs-'));
    work = await mkdtemp(path.join(tmpdir(), 'mcpgw-prom-'));
    const file = await writeTestStack(dir, {
      name,
      // The product's DB-mode image, which ships prometheus_client for the prometheus callback.
      images: stack.images,
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
    // No probe here: its LLM level needs the upstream stand-in, started after up. up generates the scrape key.
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
    files = await rendered(dir);

    // One Prometheus for the file, configured with what mcpgw rendered: this stack's scrape job (its key file copied
    // to the Prometheus side, as the snippet says), a second stack's job beside it, the alert rules, and the
    // Promtail and Alloy discovery and relabelling (Prometheus's docker_sd implements the same).
    const credentials = path.join(work, 'mcpgw-metrics-key');
    await writeFile(credentials, `${files.metricsKey}\n`);
    await chmod(credentials, 0o600);
    const mine = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
    const otherConfig = parseConfig(
      stringify({
        ...mine,
        name: `${name}-b`,
        observability: { prometheus: { enabled: true, credentials_file: credentials } },
        litellm: { ...mine.litellm, port: PORT + 1 },
      }),
    );
    const otherModel = observabilityModel(otherConfig);
    if (!otherModel) throw new Error('the second stack renders no observability');
    const other = renderObservability(otherModel, loadTemplates()).find((candidate) => candidate.path === 'observability/prometheus-scrape.yml');
    const [job] = files.prometheus;
    const [promtail] = files.promtail as { docker_sd_configs: Record<string, unknown>[] }[];
    const alloy = readAlloyDiscovery(files.alloy);
    const rulesFile = path.join(work, 'rules.yml');
    await writeFile(rulesFile, files.rules);
    const configFile = path.join(work, 'prometheus.yml');
    await writeFile(
      configFile,
      stringify({
        global: { scrape_interval: '2s', evaluation_interval: '2s' },
        rule_files: [rulesFile],
        scrape_configs: [
          { ...job, authorization: { ...(job?.authorization as object), credentials_file: credentials } },
          ...(parse(other?.content ?? '') as unknown[]),
          promtail,
          {
            job_name: `alloy-${name}`,
            docker_sd_configs: [{ host: 'unix:///var/run/docker.sock', refresh_interval: '15s', filters: alloy.filters }],
            relabel_configs: alloy.relabelConfigs,
          },
        ],
      }),
    );
    // Two stacks' scrape jobs and both log jobs in one configuration: promtool accepts it (job names are unique).
    expect((await run('promtool', ['check', 'config', configFile])).stdout).toMatch(/SUCCESS/);
    prometheus = spawn(
      'prometheus',
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`],
      { stdio: 'ignore' },
    );
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
    await rm(work, { recursive: true, force: true });
  });

  it('labels every container and its json-file log lines for Promtail/Alloy', async () => {
    for (const service of ['postgres', 'mcp-alpha', 'litellm', 'front-door']) {
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
  });

  it("the Promtail and Alloy snippets' discovery and relabelling, run by a real Prometheus, give this stack's containers the promised labels", async () => {
    // Promised by the snippets: job (the Loki job, here the stack name), stack, service and container.
    const promised = ['front-door', 'litellm', 'mcp-alpha', 'postgres'].map((service) =>
      JSON.stringify({ container: `${name}-${service}`, job: name, service, stack: name }),
    );
    const targets = await waitUntil(
      'Prometheus discovering the containers through Docker',
      async () => {
        const { activeTargets } = await api<{ activeTargets: { scrapePool: string; labels: Record<string, string> }[] }>('targets');
        if (discovered(activeTargets, `mcpgw-${name}`).length < promised.length || discovered(activeTargets, `alloy-${name}`).length < promised.length)
          throw new Error('not yet');
        return activeTargets;
      },
      { timeoutMs: 30_000 },
    );
    expect(discovered(targets, `mcpgw-${name}`)).toEqual(promised.sort());
    expect(discovered(targets, `alloy-${name}`)).toEqual(promised.sort());
  });

  it('serves /metrics to the scrape key mcpgw keeps, which may call nothing else; doctor scrapes with it', async () => {
    expect((await stat(path.join(dir, 'observability/litellm-metrics-key'))).mode & 0o777).toBe(0o600);
    const secrets = await readFile(path.join(dir, 'secrets.env'), 'utf8');
    expect(secrets).toContain(`MCPGW_METRICS_KEY=${files.metricsKey}\n`);
    const get = (route: string, key?: string) => fetch(`http://127.0.0.1:${PORT}${route}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    expect((await get('/metrics/')).status).toBe(401);
    // A client's key does not read metrics (its allowed_routes leave /metrics out).
    expect((await get('/metrics/', KEY)).status).toBe(401);
    const metrics = await get('/metrics/', files.metricsKey);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP litellm_/m);
    for (const route of ['/v1/models', '/key/info', '/mcp/']) expect((await get(route, files.metricsKey)).status, route).toBe(403);
    const doctor = await runCli(['doctor', '--only', 'litellm.metrics', '--json'], { cwd: dir });
    const check = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[] }[] }).checks.find(
      (entry) => entry.id === 'litellm.metrics',
    );
    expect(check?.status, doctor.stdout).toBe('pass');
    expect(check?.evidence[0]).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${PORT}/metrics/ with the scrape key → HTTP 200, \\d+ litellm_ metric\\(s\\)$`));
    expect(doctor.stdout).not.toContain(files.metricsKey);
  });

  it("a real Prometheus scrapes LiteLLM with the rendered job; MCP tool calls over /mcp/ and from chats are counted and the dashboard's queries and $key variable find data", async () => {
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
    // Tool calls the way Claude Code and Codex make them: streamable HTTP tools/call on /mcp/, one of them failing.
    const client = new McpClient({ name: 'mcpgw-obs', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${PORT}/mcp/`), { requestInit: { headers: { 'x-litellm-api-key': `Bearer ${KEY}` } } }),
    );
    try {
      for (const nonce of ['direct-1', 'direct-2']) {
        const result = (await client.callTool({ name: 'alpha-echo', arguments: { message: nonce } })) as { content: { text?: string }[] };
        expect(result.content[0]?.text).toContain(nonce);
      }
      expect(await client.callTool({ name: 'alpha-no-such-tool', arguments: {} })).toMatchObject({ isError: true });
    } finally {
      await client.close();
    }

    const selector = `job="litellm", stack="${name}"`;
    const up = await waitUntil(
      'Prometheus scraping LiteLLM with the rendered job and the scrape key',
      async () => {
        const result = await query(`up{${selector}}`);
        if (result[0]?.value[1] !== '1') throw new Error(`up = ${JSON.stringify(result)}`);
        return result;
      },
      { timeoutMs: 60_000 },
    );
    expect(up).toHaveLength(1);
    // The second stack's job runs beside this one in the same Prometheus, under its own job_name, with the same job label.
    const { activeTargets } = await api<{ activeTargets: { scrapePool: string; labels: Record<string, string> }[] }>('targets');
    const litellmPools = activeTargets.filter((target) => target.labels.job === 'litellm').map((target) => [target.scrapePool, target.labels.stack]);
    expect(litellmPools.sort()).toEqual([
      [`mcpgw-${name}-b@localhost:${PORT + 1}`, `${name}-b`],
      [`mcpgw-${name}@127.0.0.1:${PORT}`, name],
    ]);

    const { dashboard } = files;
    const expressions = dashboardExpressions(dashboard);
    // Every tool call counted: the two direct ones over /mcp/ and the chat's, in what the tool panel reads.
    const toolPanel = expressions.find((expr) => expr.startsWith('sum by (mcp_server_name, mcp_tool_name)')) ?? '';
    const perTool = await waitUntil(
      'the tool calls in the scraped series',
      async () => {
        const result = await query(asPromQL(toolPanel).replace(/rate\((.*)\[1m\]\)/, 'increase($1[10m])'));
        if (result.length === 0) throw new Error('no tool call series yet');
        return result;
      },
      { timeoutMs: 30_000 },
    );
    expect([...new Set(perTool.map((sample) => sample.metric.mcp_server_name))]).toEqual(['alpha']);
    expect((await query(`sum(litellm_mcp_tool_calls_total{${selector}})`)).map((sample) => sample.value[1])).toEqual(['3']);
    // The failed call is what the MCP tool failure alert reads.
    const rules = (parse(files.rules) as { groups: { rules: (Rule & { expr: string })[] }[] }).groups[0]?.rules ?? [];
    const failing = await query(rules.find((rule) => rule.alert === 'McpgwMcpToolFailures')?.expr ?? '');
    expect(failing.map((sample) => sample.metric.api_key_alias)).toEqual(['obs-client']);
    const loaded = await api<{ groups: { name: string; rules: { name: string; health: string }[] }[] }>('rules');
    expect(loaded.groups.flatMap((group) => group.rules.map((rule) => [rule.name, rule.health]))).toEqual([
      ['McpgwGatewayDown', 'ok'],
      ['McpgwMcpToolFailures', 'ok'],
    ]);

    // The Key variable as Grafana asks for it (label values of its series), then every panel query has a series.
    const [keyVariable] = variableQueries(dashboard);
    const keys = await api<string[]>(`label/${keyVariable?.label}/values?match[]=${encodeURIComponent(keyVariable?.match ?? '')}`);
    // LiteLLM labels requests of a key without alias (the master key's) api_key_alias="None"; the declared key is there by name.
    expect(keys).toContain('obs-client');
    await waitUntil(
      'every dashboard query answering with data',
      async () => {
        for (const expr of expressions) if ((await query(asPromQL(expr))).length === 0) throw new Error(`no series for ${expr}`);
        return true;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('the rendered alert rules pass promtool check and fire as intended under promtool test rules, Redis rule included', async () => {
    // The Redis alert is rendered for a stack with a coordination Redis (engine: swarm): the same model, with Redis.
    const model = observabilityModel(parseConfig(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')));
    if (!model?.prometheus) throw new Error('no prometheus part');
    const withRedis = renderObservability({ ...model, prometheus: { ...model.prometheus, redis: true } }, loadTemplates());
    const rulesText = withRedis.find((candidate) => candidate.path === 'observability/prometheus-rules.yml')?.content ?? '';
    const rulesFile = path.join(work, 'rules-redis.yml');
    await writeFile(rulesFile, rulesText);
    expect((await run('promtool', ['check', 'rules', rulesFile])).stdout).toMatch(/SUCCESS: 3 rules found/);
    const rules = (parse(rulesText) as { groups: { rules: Rule[] }[] }).groups[0]?.rules ?? [];
    const base = { job: 'litellm', stack: name };
    const instance = `127.0.0.1:${PORT}`;
    const series = (metric: string, labels: Record<string, string>) =>
      `${metric}{${Object.entries(labels)
        .map(([key, value]) => `${key}="${value}"`)
        .join(', ')}}`;
    const mcpFailure = { ...base, instance, route: '/mcp/', api_key_alias: 'obs-client', exception_class: 'MCPToolResultError' };
    const testFile = path.join(work, 'rules-test.yml');
    await writeFile(
      testFile,
      stringify({
        rule_files: [rulesFile],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: series('up', { ...base, instance }), values: '1 1 0 0 0 0 0 0 0' },
              // One failed tool call a minute on /mcp/; failed chat requests are no MCP tool failure.
              { series: series('litellm_proxy_failed_requests_metric_total', mcpFailure), values: '0+1x10' },
              { series: series('litellm_proxy_failed_requests_metric_total', { ...mcpFailure, route: '/v1/chat/completions' }), values: '0+5x10' },
              // A first failure of another kind: its series starts at 1 (increase() alone would miss it).
              {
                series: series('litellm_proxy_failed_requests_metric_total', { ...mcpFailure, exception_class: 'HTTPException' }),
                values: '_ _ _ _ _ _ 1 1 1',
              },
              { series: series('litellm_redis_circuit_breaker_state', { ...base, instance, state: 'open' }), values: '0 0 0 0 0 1 1 1 1' },
            ],
            alert_rule_test: [
              { eval_time: '3m', alertname: 'McpgwGatewayDown', exp_alerts: [] },
              { eval_time: '5m', alertname: 'McpgwGatewayDown', exp_alerts: [expectedAlert(rules, 'McpgwGatewayDown', { ...base, instance })] },
              {
                eval_time: '8m',
                alertname: 'McpgwMcpToolFailures',
                exp_alerts: [
                  expectedAlert(rules, 'McpgwMcpToolFailures', { api_key_alias: 'obs-client', exception_class: 'HTTPException' }, '1'),
                  expectedAlert(rules, 'McpgwMcpToolFailures', { api_key_alias: 'obs-client', exception_class: 'MCPToolResultError' }, '5'),
                ],
              },
              { eval_time: '5m', alertname: 'McpgwRedisFailing', exp_alerts: [] },
              { eval_time: '7m', alertname: 'McpgwRedisFailing', exp_alerts: [expectedAlert(rules, 'McpgwRedisFailing', {})] },
            ],
          },
        ],
      }),
    );
    const tested = await run('promtool', ['test', 'rules', testFile]).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`promtool test rules failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    expect(tested.stdout).toMatch(/SUCCESS/);
  });
});
