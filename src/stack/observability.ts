import type { McpgwConfig } from '../config/schema.js';

/** The resolved `observability:` section: only enabled parts are present. */
export interface ObservabilityModel {
  stack: string;
  loki?: { job: string };
  prometheus?: { job: string; interval: string; target: string; credentialsFile: string };
}

/**
 * The labels Grafana's own Promtail/Alloy Docker examples select on: `logging=promtail` marks a container for
 * scraping, `logging_jobname` becomes its `job`. mcpgw's own stack/service labels become `stack` and `service`.
 */
export const LOG_SELECT_LABEL = 'logging';
export const LOG_SELECT_VALUE = 'promtail';
export const LOG_JOB_LABEL = 'logging_jobname';

export function observabilityModel(config: McpgwConfig): ObservabilityModel | undefined {
  const { loki, prometheus } = config.observability ?? {};
  if (!loki?.enabled && !prometheus?.enabled) return undefined;
  return {
    stack: config.name,
    ...(loki?.enabled ? { loki: { job: loki.job ?? config.name } } : {}),
    ...(prometheus?.enabled
      ? {
          prometheus: {
            job: prometheus.job,
            interval: prometheus.scrape_interval,
            target: prometheus.target ?? `${config.host}:${config.litellm.port}`,
            credentialsFile: prometheus.credentials_file,
          },
        }
      : {}),
  };
}

/** LiteLLM's prometheus callback serves /metrics; without it the route answers 404. */
export function litellmSettings(model: ObservabilityModel | undefined): Record<string, unknown> | undefined {
  return model?.prometheus ? { callbacks: ['prometheus'] } : undefined;
}
