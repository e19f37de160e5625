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
