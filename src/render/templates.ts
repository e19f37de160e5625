import { readFileSync } from 'node:fs';

/** Template texts, read once from the package's templates/ folder and handed to the pure renderers. */
export interface Templates {
  compose: string;
  composeService: string;
  litellmConfig: string;
  envFileHeader: string;
  mcpgwYaml: string;
  secretsEnv: string;
  promtailDocker: string;
  alloyDocker: string;
  prometheusScrape: string;
  prometheusRules: string;
  /** The Redis alert, added to prometheusRules for a stack with a coordination Redis. */
  prometheusRuleRedis: string;
  grafanaDashboard: string;
  /** mcpgw's stdio bridge, rendered verbatim for the bridged servers' containers. */
  mcpBridge: string;
  /** mcpgw's canary model, rendered verbatim when probe_model is canary. */
  canaryModel: string;
  /** The bundled Postgres's first-start script (LiteLLM's role), rendered verbatim. */
  postgresInit: string;
  /** swarm/stack.yml's frame (engine: swarm). */
  swarmStack: string;
  /** The front door's HAProxy configuration (engine: swarm). */
  haproxyConfig: string;
}

const TEMPLATE_DIR = new URL('../../templates/', import.meta.url);

export function loadTemplates(): Templates {
  const read = (name: string) => readFileSync(new URL(name, TEMPLATE_DIR), 'utf8');
  return {
    compose: read('docker-compose.yml'),
    composeService: read('compose-service.yml'),
    litellmConfig: read('config.yaml'),
    envFileHeader: read('env-file.env'),
    mcpgwYaml: read('mcpgw.yaml'),
    secretsEnv: read('secrets.env'),
    promtailDocker: read('observability/promtail-docker.yml'),
    alloyDocker: read('observability/alloy-docker.alloy'),
    prometheusScrape: read('observability/prometheus-scrape.yml'),
    prometheusRules: read('observability/prometheus-rules.yml'),
    prometheusRuleRedis: read('observability/prometheus-rule-redis.yml'),
    grafanaDashboard: read('observability/grafana-dashboard.json'),
    mcpBridge: read('mcp-bridge.mjs'),
    canaryModel: read('canary-model.py'),
    postgresInit: read('postgres-init.sh'),
    swarmStack: read('swarm-stack.yml'),
    haproxyConfig: read('haproxy.cfg'),
  };
}

/** Replaces `{{name}}` placeholders; an unknown placeholder is a bug in the template, so it throws. */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return value;
  });
}
