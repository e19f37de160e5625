import { countStatuses, outcomeLines, summaryLine } from '../outcome.js';
import type { ProbeReport } from './types.js';

const LEVEL_TITLES = {
  gateway: 'gateway',
  replicas: 'each LiteLLM replica, from inside its container',
  mcp: 'MCP through the gateway',
  auth: 'authorization',
  llm: 'LLM executes MCP tools',
} as const;

/** The report level by level, every step with its evidence, causes and fixes. */
export function formatProbeReport(report: ProbeReport): string {
  const lines: string[] = [`probe of ${report.gateway}${report.litellmVersion ? ` (LiteLLM ${report.litellmVersion})` : ''}`];
  let level = '';
  for (const step of report.steps) {
    if (step.level !== level) {
      level = step.level;
      lines.push('', LEVEL_TITLES[step.level]);
    }
    lines.push(...outcomeLines(step.title, step, step.evidence));
  }
  lines.push('', summaryLine(report.ok, countStatuses(report.steps)));
  return lines.join('\n');
}

export function probeFailureSummary(report: ProbeReport): string {
  const failed = report.steps.filter((step) => step.status === 'fail');
  return `probe failed: ${failed.map((step) => step.id).join(', ')}`;
}
