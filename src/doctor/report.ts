import { AREAS, type CheckResult, type DoctorReport } from './types.js';

const STATUS_LABEL = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

/** The report grouped by area; passing checks show their first line of evidence, the others all of it and each fix. */
export function formatDoctorReport(report: DoctorReport, verbose = false): string {
  const lines: string[] = [];
  for (const area of AREAS) {
    const results = report.checks.filter((result) => result.area === area);
    if (results.length === 0) continue;
    lines.push(area);
    for (const result of results) lines.push(...formatResult(result, verbose));
    lines.push('');
  }
  const { pass, warn, fail, skip } = report.summary;
  lines.push(`${report.ok ? 'ok' : 'FAILED'}: ${pass} passed, ${warn} warnings, ${fail} failed, ${skip} skipped`);
  return lines.join('\n');
}

function formatResult(result: CheckResult, verbose: boolean): string[] {
  const lines = [`  ${STATUS_LABEL[result.status]}  ${result.id}  ${result.title}  (${result.ms} ms)`];
  const evidence = result.status === 'pass' && !verbose ? result.evidence.slice(0, 1) : result.evidence;
  for (const line of evidence) lines.push(`          ${line}`);
  for (const cause of result.causes) lines.push(`          cause: ${cause.cause}`, ...(cause.seen ? [`          seen:  ${cause.seen}`] : []), `          fix:   ${cause.fix}`);
  return lines;
}
