/** The outcome vocabulary the probe, doctor and the gateway's diagnosis share. */
export type StepStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** A diagnosed reason for a failure and what to do about it. */
export interface Cause {
  cause: string;
  fix: string;
  /** What backs the cause up beyond the check's own evidence, e.g. LiteLLM's log line about the server. */
  seen?: string;
}

/** The outcome of one check before it is timed and labelled. */
export interface CheckOutcome {
  status: StepStatus;
  evidence: string[];
  causes?: Cause[];
}

export const pass = (...evidence: string[]): CheckOutcome => ({ status: 'pass', evidence });
export const skip = (...evidence: string[]): CheckOutcome => ({ status: 'skip', evidence });
export const fail = (evidence: string | string[], causes: Cause[] = []): CheckOutcome => ({ status: 'fail', evidence: [evidence].flat(), causes });
export const warn = (evidence: string | string[], causes: Cause[] = []): CheckOutcome => ({ status: 'warn', evidence: [evidence].flat(), causes });

/** What every timed, labelled result has: a probe step (plus its level) and a doctor check (plus its area). */
export interface TimedOutcome {
  /** Stable id, e.g. mcp.server.alpha, keys.mcp-grant. */
  id: string;
  title: string;
  status: StepStatus;
  ms: number;
  /** What was seen: status codes, tool counts, the nonce round trip, finish_reason. */
  evidence: string[];
  causes: Cause[];
}

/** Runs one check; a throw becomes its failed outcome, so one broken check never hides the others. */
export async function isolated(check: () => Promise<CheckOutcome>, crashCauses: Cause[] = []): Promise<CheckOutcome> {
  try {
    return await check();
  } catch (error) {
    return fail(`check crashed: ${error instanceof Error ? error.message : String(error)}`, crashCauses);
  }
}

export function countStatuses(results: readonly { status: StepStatus }[]): Record<StepStatus, number> {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
}

/** The report lines of one result: its status, title and time, then evidence and each cause with its fix. */
export function outcomeLines(label: string, result: Pick<TimedOutcome, 'status' | 'ms' | 'causes'>, evidence: readonly string[]): string[] {
  const lines = [`  ${STATUS_LABEL[result.status]}  ${label}  (${result.ms} ms)`, ...evidence.flatMap((line) => indented('', line))];
  for (const cause of result.causes)
    lines.push(...indented('cause: ', cause.cause), ...(cause.seen ? indented('seen:  ', cause.seen) : []), ...indented('fix:   ', cause.fix));
  return lines;
}

/** A field of a result under its heading; text of several lines (a tool's answer, a log tail) stays inside the column. */
function indented(tag: string, text: string): string[] {
  const margin = ' '.repeat(10);
  return text.split('\n').map((line, index) => `${margin}${index === 0 ? tag : ' '.repeat(tag.length)}${line}`);
}

/** A report's last line: `ok: 12 passed, 1 warnings, 0 failed, 2 skipped`. */
export function summaryLine(ok: boolean, counts: Record<StepStatus, number>): string {
  return `${ok ? 'ok' : 'FAILED'}: ${counts.pass} passed, ${counts.warn} warnings, ${counts.fail} failed, ${counts.skip} skipped`;
}

const STATUS_LABEL: Record<StepStatus, string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };
