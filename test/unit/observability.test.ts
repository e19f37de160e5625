import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/errors.js';
import { ALLOY_FILE, DASHBOARD_FILE, METRICS_KEY_FILE, PROMETHEUS_FILE, PROMETHEUS_RULES_FILE, PROMTAIL_FILE } from '../../src/render/render.js';
import { renderStack } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { containerSpecFor } from '../../src/render/container-spec.js';
import { declaredKeys } from '../../src/keys/desired.js';
import { hashKey } from '../../src/keys/token.js';
import { KEY_ALLOWED_ROUTES } from '../../src/litellm/routes.js';
import { buildStackModel } from '../../src/stack/model.js';
import { fixtureStack } from '../helpers/fixtures.js';
import { readAlloyDiscovery } from '../helpers/alloy.js';
import { dashboardExpressions, dashboardShapeProblems, variableQueries } from '../helpers/dashboard.js';

function configIssues(yaml: string) {
  try {
    parseConfig(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => ({ path: issue.path, message: issue.message, line: issue.line }));
    throw error;
  }
  return [];
}

const BASE = 'version: 1\nhost: gw.lan\n';

describe('observability: config', () => {
  it('is strict: unknown fields, bad durations and bad targets are reported with their place', () => {
    const issues = configIssues(
      `${BASE}observability:\n  loki:\n    enabled: true\n    jobb: x\n  prometheus:\n    ` +
        `enabled: true\n    scrape_interval: 10 seconds\n    target: http://gw.lan:4000\n  grafana: {}\n`,
    );
    expect(issues.map((issue) => [issue.path, issue.line])).toEqual(
      expect.arrayContaining([
        ['observability.loki.jobb', 6],
        ['observability.prometheus.scrape_interval', 9],
        ['observability.prometheus.target', 10],
        ['observability.grafana', 11],
      ]),
    );
  });

  it('refuses settings of a part that is not enabled, and a public scrape target on a LAN-only stack', () => {
    const issues = configIssues(`${BASE}observability:\n  loki:\n    job: logs\n  prometheus:\n    enabled: true\n    target: metrics.example.com:4000\n`);
    expect(issues).toEqual([
      { path: 'observability.loki.job', message: 'has no effect while observability.loki.enabled is not true', line: 5 },
      { path: 'observability.prometheus.target', message: 'metrics.example.com:4000 looks like a public DNS name; the gateway is LAN-only', line: 8 },
    ]);
    expect(configIssues(`${BASE}lan_only: false\nobservability:\n  prometheus:\n    enabled: true\n    target: metrics.example.com:4000\n`)).toEqual([]);
  });

  it('changes nothing when absent or all off: same model, same files', () => {
    const render = (yaml: string) => {
      const model = buildStackModel(parseConfig(yaml));
      return {
        model,
        files: renderStack(
          model,
          parseSecrets('LITELLM_MASTER_KEY=sk-m\nLITELLM_SALT_KEY=sk-s\nPOSTGRES_PASSWORD=p\nMCPGW_POSTGRES_ADMIN_PASSWORD=a\n'),
          loadTemplates(),
          'secrets.env',
        ),
      };
    };
    const plain = render(BASE);
    const off = render(`${BASE}observability:\n  loki:\n    enabled: false\n  prometheus:\n    enabled: false\n`);
    expect(off.model).toEqual(plain.model);
    expect(off.files).toEqual(plain.files);
  });
});

describe('observability: rendered stack', () => {
  const stack = fixtureStack('observability');
  const model = buildStackModel(parseConfig(stack.yaml));
  const files = renderStack(model, parseSecrets(stack.secrets), loadTemplates(), 'secrets.env');
  const file = (path: string) => files.find((candidate) => candidate.path === path)?.content ?? '';

  it('labels every container for Promtail/Alloy discovery, the same way in compose and in what up creates', () => {
    const compose = parse(file('docker-compose.yml')) as {
      services: Record<string, { labels: Record<string, string>; logging: { options: Record<string, string> } }>;
    };
    for (const service of model.services) {
      expect(compose.services[service.name]?.labels).toMatchObject({
        logging: 'promtail',
        logging_jobname: 'mcp-gateway',
        'io.mcpgw.stack': 'gateway',
        'io.mcpgw.service': service.name,
      });
      expect(compose.services[service.name]?.logging.options).toEqual({
        'max-size': '10m',
        'max-file': '3',
        labels: 'io.mcpgw.stack,io.mcpgw.service,logging_jobname',
      });
      const spec = containerSpecFor(service, parseSecrets(stack.secrets), '/srv/gateway');
      expect(spec.labels).toEqual(compose.services[service.name]?.labels);
      expect(spec.logOptions).toEqual({ labels: 'io.mcpgw.stack,io.mcpgw.service,logging_jobname' });
    }
  });

  it("turns on LiteLLM's prometheus callback", () => {
    expect((parse(file('config/config.yaml')) as { litellm_settings: unknown }).litellm_settings).toEqual({ callbacks: ['prometheus'] });
  });

  it('keeps a scrape key allowed /metrics alone beside the declared keys, under an alias no declared key may take', () => {
    const config = parseConfig(stack.yaml);
    const secrets = parseSecrets(stack.secrets);
    const keys = declaredKeys(config, model, secrets);
    expect(keys.map((key) => [key.alias, key.allowedRoutes])).toEqual([
      ['vscode', KEY_ALLOWED_ROUTES],
      ['codex', KEY_ALLOWED_ROUTES],
      ['mcpgw-metrics', ['/metrics']],
    ]);
    expect(keys[2]).toMatchObject({ token: hashKey('sk-fixture-metrics-0123456789abcdef'), models: [], mcpServers: [], mcpGroups: [] });
    const taken = parseConfig(stack.yaml.replace('\nobservability:', '\n  - alias: mcpgw-metrics\n    mcp_servers: [everything]\nobservability:'));
    expect(() => declaredKeys(taken, buildStackModel(taken), new Map([...secrets, ['MCPGW_KEY_MCPGW_METRICS', 'sk-fixture-other-0123456789abcdef']]))).toThrow(
      /mcpgw-metrics is the scrape key/,
    );
  });

  it('renders alert rules for this stack: the gateway down and MCP tool failures, and Redis only where replicas share one', () => {
    type Rules = { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
    const rules = parse(file(PROMETHEUS_RULES_FILE)) as Rules;
    expect(rules.groups.map((group) => group.name)).toEqual(['mcpgw-gateway']);
    expect(rules.groups[0]?.rules.map((rule) => rule.alert)).toEqual(['McpgwGatewayDown', 'McpgwMcpToolFailures']);
    for (const rule of rules.groups[0]?.rules ?? []) expect(rule.expr).toContain('job="litellm", stack="gateway"');

    const swarm = fixtureStack('swarm');
    const swarmModel = buildStackModel(parseConfig(`${swarm.yaml}\nobservability:\n  prometheus:\n    enabled: true\n`));
    const swarmFiles = renderStack(
      swarmModel,
      parseSecrets(`${swarm.secrets}\nMCPGW_METRICS_KEY=sk-fixture-metrics-0123456789abcdef\n`),
      loadTemplates(),
      'secrets.env',
    );
    const swarmRules = parse(swarmFiles.find((candidate) => candidate.path === PROMETHEUS_RULES_FILE)?.content ?? '') as Rules;
    expect(swarmRules.groups[0]?.rules.map((rule) => rule.alert)).toEqual(['McpgwGatewayDown', 'McpgwMcpToolFailures', 'McpgwRedisFailing']);
    // The Redis series come from LiteLLM's prometheus_system service callback.
    expect(swarmModel.litellmConfig.litellm_settings).toEqual({ callbacks: ['prometheus'], service_callback: ['prometheus_system'] });
  });

  it('renders a Promtail job selecting exactly this stack and a Prometheus job with bearer auth from a file', () => {
    const [promtail] = parse(file(PROMTAIL_FILE)) as {
      job_name: string;
      docker_sd_configs: { filters: { name: string; values: string[] }[] }[];
      relabel_configs: { target_label: string }[];
    }[];
    expect(promtail?.docker_sd_configs[0]?.filters).toEqual([{ name: 'label', values: ['io.mcpgw.stack=gateway', 'logging=promtail'] }]);
    expect(promtail?.relabel_configs.map((rule) => rule.target_label)).toEqual(['job', 'stack', 'service', 'container']);
    // Alloy's snippet: the same filter and the same rules, from the same list.
    const alloy = readAlloyDiscovery(file(ALLOY_FILE));
    expect(alloy.filters).toEqual(promtail?.docker_sd_configs[0]?.filters);
    expect(alloy.relabelConfigs).toEqual(promtail?.relabel_configs);
    expect(file(ALLOY_FILE)).toMatch(/^loki\.source\.docker "mcpgw_gateway" \{$/m);
    const [prometheus] = parse(file(PROMETHEUS_FILE)) as Record<string, unknown>[];
    expect(prometheus).toEqual({
      // Unique per stack (its target): several stacks' jobs load into one Prometheus.
      job_name: 'mcpgw-gateway@192.168.1.20:4000',
      scheme: 'http',
      metrics_path: '/metrics/',
      scrape_interval: '15s',
      authorization: { type: 'Bearer', credentials_file: '/etc/prometheus/secrets/mcpgw-gateway-metrics-key' },
      static_configs: [{ targets: ['192.168.1.20:4000'], labels: { job: 'litellm', stack: 'gateway' } }],
    });
    // The scrape key is the one secret file (0600); no snippet holds a key.
    const observed = files.filter((candidate) => candidate.path.startsWith('observability/'));
    expect(observed.filter((candidate) => candidate.secret).map((candidate) => [candidate.path, candidate.content])).toEqual([
      [METRICS_KEY_FILE, 'sk-fixture-metrics-0123456789abcdef\n'],
    ]);
    expect(
      observed
        .filter((candidate) => !candidate.secret)
        .map((candidate) => candidate.content)
        .join(''),
    ).not.toContain('sk-');
  });

  it('renders a Grafana dashboard of the right shape whose queries select this stack and job', () => {
    const dashboard = JSON.parse(file(DASHBOARD_FILE)) as Record<string, unknown>;
    expect(dashboardShapeProblems(dashboard)).toEqual([]);
    expect(dashboard).toMatchObject({ uid: 'mcpgw-gateway', title: 'mcpgw gateway: LiteLLM MCP gateway' });
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    for (const expr of expressions) expect(expr).toContain('job="litellm", stack="gateway"');
    // The Key variable: Grafana's label_values() over this stack's series.
    expect(variableQueries(dashboard)).toEqual([
      { name: 'key', match: 'litellm_proxy_total_requests_metric_total{job="litellm", stack="gateway"}', label: 'api_key_alias' },
    ]);
    expect(file(DASHBOARD_FILE)).not.toMatch(/\{\{(stack|job)\}\}/);
    // Requests, errors, latency, spend per key, MCP tool calls per server and tool.
    for (const metric of [
      'litellm_proxy_total_requests_metric_total',
      'litellm_proxy_failed_requests_metric_total',
      'litellm_request_total_latency_metric_bucket',
      'litellm_spend_metric_total',
      'litellm_mcp_tool_calls_total',
    ]) {
      expect(expressions.some((expr) => expr.includes(metric))).toBe(true);
    }
  });

  it('catches a malformed dashboard', () => {
    const dashboard = JSON.parse(file(DASHBOARD_FILE)) as { panels: Record<string, unknown>[] };
    const broken = structuredClone(dashboard);
    broken.panels[1] = { ...broken.panels[1], id: 1, gridPos: { x: 3, y: 0, w: 6, h: 4 } };
    delete (broken.panels[2] as { targets?: unknown }).targets;
    broken.panels[9] = { ...broken.panels[9], gridPos: { x: 20, y: 40, w: 6, h: 4 }, datasource: { type: 'prometheus', uid: 'my-prometheus' } };
    expect(dashboardShapeProblems(broken as unknown as Record<string, unknown>)).toEqual([
      'panels[1].id 1 is used twice',
      'panels[1] overlaps panels[0]',
      'panels[2] has no targets',
      'panels[9].gridPos x+w = 26 exceeds the 24 columns',
      'panels[9].datasource must reference a datasource variable',
    ]);
    // An import-only dashboard (__inputs, `${DS_PROMETHEUS}`) is what file provisioning cannot load.
    const importOnly = JSON.parse(file(DASHBOARD_FILE).replaceAll('${datasource}', '${DS_PROMETHEUS}')) as Record<string, unknown>;
    importOnly.__inputs = [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }];
    expect(dashboardShapeProblems(importOnly)).toContain('__inputs is set: file provisioning does not fill it, use a datasource variable');
  });
});
