import { z } from 'zod';

/** Prometheus durations as its config accepts them (a subset: one unit). */
const promDuration = z.string().regex(/^[1-9][0-9]*(s|m|h)$/, { message: 'must be a duration such as 15s, 1m or 1h' });
const labelValue = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, { message: 'use letters, digits, _ . : - (a Loki/Prometheus label value without spaces)' });

/**
 * `observability:` in mcpgw.yaml. Absent (the default) changes nothing in what mcpgw renders or runs; each part
 * is off until `enabled: true`.
 */
export const observabilitySchema = z.strictObject({
  /** Ship container logs to an existing Loki through Promtail or Grafana Alloy (Docker service discovery). */
  loki: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Value of the `job` label on this stack's log streams; default: the stack name. */
      job: labelValue.optional(),
    })
    .optional(),
  /** Let an existing Prometheus scrape LiteLLM's /metrics, and render a Grafana dashboard for it. */
  prometheus: z
    .strictObject({
      enabled: z.boolean().default(false),
      job: labelValue.default('litellm'),
      scrape_interval: promDuration.default('30s'),
      /** host:port Prometheus scrapes; default: host and litellm.port from this file. */
      target: z
        .string()
        .regex(/^[^\s/:]+:\d{1,5}$/, { message: 'must be host:port, e.g. linuxserver.lan:4000' })
        .optional(),
      /**
       * File on the Prometheus host holding the scrape key (LiteLLM requires a key on /metrics), a copy of the
       * rendered observability/litellm-metrics-key; default /etc/prometheus/secrets/mcpgw-<stack>-metrics-key.
       */
      credentials_file: z.string().startsWith('/', { message: 'must be an absolute path on the Prometheus host' }).optional(),
    })
    .optional(),
});

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
