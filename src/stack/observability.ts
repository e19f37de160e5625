import type { McpgwConfig } from '../config/schema.js';
import { SERVICE_LABEL, STACK_LABEL } from './labels.js';

/** The resolved `observability:` section: only enabled parts are present. */
export interface ObservabilityModel {
  stack: string;
  loki?: { job: string };
  prometheus?: {
    /** The `job` label of the series, as mcpgw.yaml names it (default litellm). */
    job: string;
    /** The scrape config's job_name, unique to this stack so several stacks' snippets load into one Prometheus. */
    jobName: string;
    interval: string;
    target: string;
    credentialsFile: string;
    /** The stack runs a coordination Redis (engine: swarm, the only engine with replicas > 1): alert when it fails. */
    redis: boolean;
  };
}

/**
 * The labels Grafana's own Promtail/Alloy Docker examples select on: `logging=promtail` marks a container for
 * scraping, `logging_jobname` becomes its `job`. mcpgw's own stack/service labels become `stack` and `service`.
 */
export const LOG_SELECT_LABEL = 'logging';
export const LOG_SELECT_VALUE = 'promtail';
export const LOG_JOB_LABEL = 'logging_jobname';

/** One relabelling rule of a log shipper's Docker discovery: a discovered label copied (or cut by `regex`) to a stream label. */
export interface LogRelabelRule {
  source: string;
  target: string;
  regex?: string;
}

/** Docker service discovery's name for a container label (Prometheus, Promtail and Alloy share it). */
const dockerLabel = (label: string): string => `__meta_docker_container_label_${label.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * The stream labels of this stack's logs, for Promtail and Alloy alike (both snippets are rendered from this list):
 * job, stack, service (postgres, litellm, mcp-<name>) and container (the name without Docker's leading slash).
 */
export const LOG_RELABEL_RULES: readonly LogRelabelRule[] = [
  { source: dockerLabel(LOG_JOB_LABEL), target: 'job' },
  { source: dockerLabel(STACK_LABEL), target: 'stack' },
  { source: dockerLabel(SERVICE_LABEL), target: 'service' },
  { source: '__meta_docker_container_name', regex: '/(.*)', target: 'container' },
];

/** The Docker label filter selecting exactly this stack's shipped containers. */
export function logSelectors(stack: string): string[] {
  return [`${STACK_LABEL}=${stack}`, `${LOG_SELECT_LABEL}=${LOG_SELECT_VALUE}`];
}

export function observabilityModel(config: McpgwConfig): ObservabilityModel | undefined {
  const { loki, prometheus } = config.observability ?? {};
  if (!loki?.enabled && !prometheus?.enabled) return undefined;
  const target = prometheus?.target ?? `${config.host}:${config.litellm.port}`;
  return {
    stack: config.name,
    ...(loki?.enabled ? { loki: { job: loki.job ?? config.name } } : {}),
    ...(prometheus?.enabled
      ? {
          prometheus: {
            job: prometheus.job,
            // Stack names are unique on a host, not across hosts (each one's default is "litellm"): the target is.
            jobName: `mcpgw-${config.name}@${target}`,
            interval: prometheus.scrape_interval,
            target,
            credentialsFile: prometheus.credentials_file ?? `/etc/prometheus/secrets/mcpgw-${config.name}-metrics-key`,
            redis: config.engine === 'swarm',
          },
        }
      : {}),
  };
}

/**
 * LiteLLM's prometheus callback serves /metrics; without it the route answers 404. With a coordination Redis, its
 * `prometheus_system` service callback adds the Redis metrics (litellm_redis_*) the Redis alert reads.
 */
export function litellmSettings(model: ObservabilityModel | undefined): Record<string, unknown> | undefined {
  if (!model?.prometheus) return undefined;
  return { callbacks: ['prometheus'], ...(model.prometheus.redis ? { service_callback: ['prometheus_system'] } : {}) };
}
