import type { ProbeReport, ProbeStep } from '../../probe/types.js';

const STATUS_LABEL = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

export function failureSummary(report: ProbeReport): string {
  const failed = report.steps.filter((step) => step.status === 'fail');
  return `probe failed: ${failed.map((step) => step.id).join(', ')}`;
}

const LEVEL_TITLES = { gateway: 'gateway', mcp: 'MCP through the gateway', auth: 'authorization', llm: 'LLM executes MCP tools' } as const;

export function formatReport(report: ProbeReport): string {
  const lines: string[] = [`probe of ${report.gateway}${report.litellmVersion ? ` (LiteLLM ${report.litellmVersion})` : ''}`];
  let level = '';
  for (const step of report.steps) {
    if (step.level !== level) {
      level = step.level;
      lines.push('', LEVEL_TITLES[step.level]);
    }
    lines.push(`  ${STATUS_LABEL[step.status]}  ${step.title}  (${step.ms} ms)`);
    for (const line of step.evidence) lines.push(`          ${line}`);
    for (const cause of step.causes) lines.push(`          cause: ${cause.cause}`, ...(cause.seen ? [`          seen:  ${cause.seen}`] : []), `          fix:   ${cause.fix}`);
  }
  const count = (status: ProbeStep['status']) => report.steps.filter((step) => step.status === status).length;
  lines.push('', `${report.ok ? 'ok' : 'FAILED'}: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`);
  return lines.join('\n');
}
