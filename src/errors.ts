/**
 * Error families. A UserError is something the user can fix (bad input, missing file): it carries a hint and
 * maps to exit code 2. A StepFailed means a check or step ran and found a problem: exit code 1. Anything else
 * is a bug and is reported as such by the CLI entry.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UserError extends Error {
  readonly exitCode: ExitCode = ExitCode.usage;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem found in a config file, located by its path in the document (and line when known). */
export interface ConfigIssue {
  path: string;
  message: string;
  /** What to do about it: every problem mcpgw reports names its fix. */
  fix: string;
  line?: number;
  column?: number;
  /** The issue is about the field's name (unknown, misspelt), so its line and column are the key's, not the value's. */
  atKey?: boolean;
}

export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
  }
}

export class StepFailed extends Error {
  readonly exitCode: ExitCode = ExitCode.failure;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'StepFailed';
  }
}

/**
 * A failure whose full report (with ok: false) is already on stdout, as probe and doctor print with --json:
 * the CLI entry only sets the exit code and names the failure on stderr, keeping stdout one JSON document.
 */
export class ReportedFailure extends StepFailed {
  constructor(
    message: string,
    hint?: string,
    /** Usage (2) when what the report found is the user's file, e.g. an invalid mcpgw.yaml `status` read past. */
    override readonly exitCode: ExitCode = ExitCode.failure,
  ) {
    super(message, hint);
  }
}
