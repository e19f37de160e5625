import path from 'node:path';
import { GENERATED_SECRETS, METRICS_KEY_SECRET } from '../config/generated-secrets.js';
import { REDIS_PASSWORD_SECRET } from '../config/generated-secrets.js';
import { missingSecrets, type Secrets } from '../config/secrets.js';
import { UserError } from '../errors.js';
import { BRIDGE_SCRIPT_FILE, CANARY_SCRIPT_FILE, POSTGRES_INIT_FILE, type StackModel } from '../stack/model.js';
import { LOG_RELABEL_RULES, logSelectors, type ObservabilityModel } from '../stack/observability.js';
import type { ImageLaunches, SwarmModel, SwarmStage } from '../stack/swarm.js';
import { COMPOSE_FILE, ENV_DIR, envFileFor, renderCompose } from './compose.js';
import { renderEnvFile } from './env-files.js';
import { LITELLM_CONFIG_FILE, renderLiteLLMConfig } from './litellm-config.js';
import { renderHaproxyConfig } from './haproxy.js';
import { renderSwarmStack, STACK_FILE } from './swarm-stack.js';
import { fillPlaceholders, type Templates } from './templates.js';

export interface RenderedFile {
  /** Relative to the output directory. */
  path: string;
  content: string;
  /** Files holding secret values are 0600 and their content is never shown in diffs. */
  secret: boolean;
}

/** A swarm stack's services (engine: swarm) and the launches of the images mcpgw does not build. */
export interface SwarmRendering {
  model: SwarmModel;
  launches: ImageLaunches;
}

/**
 * Every file of a stack, in a stable order. Pure: same model, secrets and templates give the same bytes. With
 * `swarm`, swarm/stack.yml and the front door's haproxy.cfg instead of docker-compose.yml, and the env files of
 * the swarm's own services besides.
 */
export function renderStack(model: StackModel, secrets: Secrets, templates: Templates, secretsFile: string, swarm?: SwarmRendering): RenderedFile[] {
  const missing = missingSecrets(model.requiredSecrets, secrets);
  if (missing.length > 0) {
    throw new UserError(
      `${secretsFile} lacks ${missing.join(', ')}`,
      missing.every((name) => GENERATED_SECRETS.includes(name))
        ? "`mcpgw up` adds them (secrets mcpgw generates: its database roles' and Redis's passwords, Prometheus's scrape key)"
        : `add ${missing.map((name) => `${name}=…`).join(', ')} to the secrets file (mcpgw init writes the standard ones; \`mcpgw up\` adds mcpgw's own)`,
    );
  }
  const files: RenderedFile[] = [
    ...(swarm ? [] : [{ path: COMPOSE_FILE, content: renderCompose(model, templates), secret: false }]),
    { path: LITELLM_CONFIG_FILE, content: renderLiteLLMConfig(model, templates), secret: false },
  ];
  const door = swarm ? swarm.model.frontDoor : model.frontDoor;
  if (door) files.push({ path: door.configFile, content: renderHaproxyConfig(model.name, door, templates), secret: false });
  const bridged = model.services.some((service) => service.volumes.some((volume) => path.normalize(volume.source) === BRIDGE_SCRIPT_FILE));
  if (bridged) files.push({ path: BRIDGE_SCRIPT_FILE, content: templates.mcpBridge, secret: false });
  if (model.services.some((service) => service.role === 'canary')) files.push({ path: CANARY_SCRIPT_FILE, content: templates.canaryModel, secret: false });
  if (model.services.some((service) => service.role === 'postgres')) files.push({ path: POSTGRES_INIT_FILE, content: templates.postgresInit, secret: false });
  const withSecrets = (swarm ? swarm.model.services : model.services).filter((service) => service.secretEnv.length > 0);
  // Keeps the derived secret files out of any git repository the output folder lives in.
  if (withSecrets.length > 0) files.push({ path: `${ENV_DIR}/.gitignore`, content: '*\n', secret: false });
  for (const service of withSecrets) {
    files.push({ path: envFileFor(service.name), content: renderEnvFile(service, secrets, templates.envFileHeader), secret: true });
  }
  if (model.observability) files.push(...renderObservability(model.observability, templates, secrets.get(METRICS_KEY_SECRET)));
  if (!swarm) return files;
  return [{ path: STACK_FILE, content: swarmStackFile(swarm, files, secrets, templates), secret: false }, ...files];
}

/**
 * The stack file of a swarm rendering: the whole stack, or `through` a deploy stage (what that stage deploys), named
 * by the content of the rendered files it points at (`files`, what renderStack returned).
 */
export function swarmStackFile(swarm: SwarmRendering, files: RenderedFile[], secrets: Secrets, templates: Templates, through?: SwarmStage): string {
  const content = new Map(files.map((file) => [file.path, file.content]));
  // Present: LiteLLM's env file needs it on a swarm, and renderStack refuses a stack that lacks it.
  const nameKey = secrets.get(REDIS_PASSWORD_SECRET) ?? '';
  return renderSwarmStack(swarm.model, content, swarm.launches, nameKey, templates, through);
}

export const OBSERVABILITY_DIR = 'observability';
export const PROMTAIL_FILE = `${OBSERVABILITY_DIR}/promtail-docker.yml`;
export const ALLOY_FILE = `${OBSERVABILITY_DIR}/alloy-docker.alloy`;
export const PROMETHEUS_FILE = `${OBSERVABILITY_DIR}/prometheus-scrape.yml`;
export const PROMETHEUS_RULES_FILE = `${OBSERVABILITY_DIR}/prometheus-rules.yml`;
export const DASHBOARD_FILE = `${OBSERVABILITY_DIR}/grafana-dashboard.json`;
/** The scrape key for the Prometheus host (0600, like every rendered secret). */
export const METRICS_KEY_FILE = `${OBSERVABILITY_DIR}/litellm-metrics-key`;

/**
 * Snippets for the user's existing Promtail or Alloy and Prometheus, alert rules, a Grafana dashboard and the scrape
 * key. They go into those tools' own configuration, so mcpgw renders them next to the stack and runs none of them.
 */
export function renderObservability(model: ObservabilityModel, templates: Templates, metricsKey = ''): RenderedFile[] {
  const files: RenderedFile[] = [];
  const { stack } = model;
  if (model.loki) {
    const { job } = model.loki;
    const selectors = logSelectors(stack)
      .map((selector) => JSON.stringify(selector))
      .join(', ');
    files.push(
      {
        path: PROMTAIL_FILE,
        content: fillPlaceholders(templates.promtailDocker, { stack, job, selectors, relabel_configs: promtailRelabel() }),
        secret: false,
      },
      {
        path: ALLOY_FILE,
        // Alloy component labels are identifiers: a stack name's "-" becomes "_".
        content: fillPlaceholders(templates.alloyDocker, { stack, job, selectors, id: `mcpgw_${stack.replaceAll('-', '_')}`, rules: alloyRules() }),
        secret: false,
      },
    );
  }
  if (model.prometheus) {
    const { job, jobName, interval, target, credentialsFile, redis } = model.prometheus;
    const redisRule = redis ? fillPlaceholders(templates.prometheusRuleRedis, { stack, job }) : '';
    files.push(
      {
        path: PROMETHEUS_FILE,
        content: fillPlaceholders(templates.prometheusScrape, { stack, job, job_name: jobName, interval, target, credentials_file: credentialsFile }),
        secret: false,
      },
      {
        path: PROMETHEUS_RULES_FILE,
        content: fillPlaceholders(templates.prometheusRules, { stack, job, redis_rule: redisRule }).trimEnd().concat('\n'),
        secret: false,
      },
      { path: DASHBOARD_FILE, content: fillDashboard(templates.grafanaDashboard, { stack, job }), secret: false },
      { path: METRICS_KEY_FILE, content: `${metricsKey}\n`, secret: true },
    );
  }
  return files;
}

/** LOG_RELABEL_RULES as Promtail's relabel_configs (Prometheus's syntax), indented under the job. */
function promtailRelabel(): string {
  return LOG_RELABEL_RULES.flatMap((rule) => [
    `    - source_labels: [${rule.source}]`,
    ...(rule.regex ? [`      regex: ${JSON.stringify(rule.regex)}`] : []),
    `      target_label: ${rule.target}`,
  ]).join('\n');
}

/** LOG_RELABEL_RULES as Alloy `rule` blocks of discovery.relabel. */
function alloyRules(): string {
  return LOG_RELABEL_RULES.flatMap((rule) => [
    '  rule {',
    `    source_labels = [${JSON.stringify(rule.source)}]`,
    ...(rule.regex ? [`    regex         = ${JSON.stringify(rule.regex)}`] : []),
    `    target_label  = ${JSON.stringify(rule.target)}`,
    '  }',
  ]).join('\n');
}

/**
 * Grafana writes series labels as {{label}} in legends, so only mcpgw's own names are filled in the dashboard
 * template; the result must still be JSON.
 */
function fillDashboard(template: string, values: Record<string, string>): string {
  const text = template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  JSON.parse(text);
  return text;
}
