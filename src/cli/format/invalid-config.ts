import { type ConfigError, ExitCode, ReportedFailure } from '../../errors.js';

/**
 * How a command that read what runs past a mcpgw.yaml that does not validate (status, keys list) ends. Under --json
 * its document carries `configJson` and the failure only sets exit 2; else the file's problems are the error.
 */
export function configJson(invalid: ConfigError | undefined): { config?: { valid: false; file: string; issues: ConfigError['issues'] } } {
  return invalid ? { config: { valid: false, file: invalid.file, issues: invalid.issues } } : {};
}

export function invalidConfigFailure(invalid: ConfigError, json: boolean): Error {
  return json ? new ReportedFailure(invalid.message, 'fix the problems under config.issues', ExitCode.usage) : invalid;
}
