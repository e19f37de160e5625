import { outcomeLines, summaryLine } from '../outcome.js';
import { AREAS, type CheckResult, type DoctorReport } from './types.js';

/**
 * The report grouped by area; passing checks show their first line of evidence, the others all of it and each fix.
 * Checks skipped for a cause another check tells (a typo in mcpgw.yaml blocks nearly all of them) are listed once
 * per cause at the end, unless verbose: one cause, one place, instead of the same line under every check.
 */
export function formatDoctorReport(report: DoctorReport, verbose = false): string {
  const lines: string[] = [];
  const consequences = new Map<string, string[]>();
  for (const result of report.checks) {
    const reason = verbose ? undefined : toldElsewhere(result);
    if (reason !== undefined) consequences.set(reason, [...(consequences.get(reason) ?? []), result.id]);
  }
  const told = new Set([...consequences.values()].flat());
  for (const area of AREAS) {
    const results = report.checks.filter((result) => result.area === area && !told.has(result.id));
    if (results.length === 0) continue;
    lines.push(area);
    for (const result of results) lines.push(...formatResult(result, verbose));
    lines.push('');
  }
  if (consequences.size > 0) {
    lines.push('not run, each until the cause it names is fixed (-v shows each)');
    for (const [reason, ids] of consequences) lines.push(`  skip  ${ids.length} check(s): ${reason}`, `          ${ids.join(', ')}`);
    lines.push('');
  }
  lines.push(summaryLine(report.ok, report.summary));
  return lines.join('\n');
}

/** The reason of a check skipped for a cause that another check reports in full ("… (see config.valid)"). */
function toldElsewhere(result: CheckResult): string | undefined {
  const reason = result.evidence[0];
  return result.status === 'skip' && result.evidence.length === 1 && reason !== undefined && / \(see [a-z0-9.-]+\)$/.test(reason) ? reason : undefined;
}

function formatResult(result: CheckResult, verbose: boolean): string[] {
  const hidden = result.status === 'pass' && !verbose ? result.evidence.length - 1 : 0;
  // Said, so a check of several servers or keys does not read as if it looked at only the first one.
  const evidence = hidden > 0 ? [...result.evidence.slice(0, 1), `+${hidden} more (-v)`] : result.evidence;
  return outcomeLines(`${result.id}  ${result.title}`, result, evidence);
}
