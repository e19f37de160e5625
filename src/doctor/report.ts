import { outcomeLines, summaryLine } from '../outcome.js';
import { AREAS, type CheckResult, type DoctorReport } from './types.js';

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
  lines.push(summaryLine(report.ok, report.summary));
  return lines.join('\n');
}

function formatResult(result: CheckResult, verbose: boolean): string[] {
  const hidden = result.status === 'pass' && !verbose ? result.evidence.length - 1 : 0;
  // Said, so a check of several servers or keys does not read as if it looked at only the first one.
  const evidence = hidden > 0 ? [...result.evidence.slice(0, 1), `+${hidden} more (-v)`] : result.evidence;
  return outcomeLines(`${result.id}  ${result.title}`, result, evidence);
}
