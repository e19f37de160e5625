import type { RenderedFile } from './render.js';
import { fillPlaceholders, type Templates } from './templates.js';
import type { ObservabilityModel } from '../stack/observability.js';

export const OBSERVABILITY_DIR = 'observability';
export const PROMTAIL_FILE = `${OBSERVABILITY_DIR}/promtail-docker.yml`;
export const PROMETHEUS_FILE = `${OBSERVABILITY_DIR}/prometheus-scrape.yml`;
export const DASHBOARD_FILE = `${OBSERVABILITY_DIR}/grafana-dashboard.json`;

/**
 * Snippets for the user's existing Promtail and Prometheus, and a Grafana dashboard to import. They go into
 * those tools' own configuration, so mcpgw renders them next to the stack and runs none of them.
 */
export function renderObservability(model: ObservabilityModel, templates: Templates): RenderedFile[] {
  const files: RenderedFile[] = [];
  if (model.loki) {
    files.push({ path: PROMTAIL_FILE, content: fillPlaceholders(templates.promtailDocker, { stack: model.stack, job: model.loki.job }), secret: false });
  }
  if (model.prometheus) {
    const { job, interval, target, credentialsFile } = model.prometheus;
    files.push({
      path: PROMETHEUS_FILE,
      content: fillPlaceholders(templates.prometheusScrape, { stack: model.stack, job, interval, target, credentials_file: credentialsFile }),
      secret: false,
    });
    files.push({ path: DASHBOARD_FILE, content: fillDashboard(templates.grafanaDashboard, { stack: model.stack, job }), secret: false });
  }
  return files;
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
