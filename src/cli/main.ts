import { CommanderError } from 'commander';
import { ConfigError, ExitCode, Interrupted, ReportedFailure, StepFailed, UserError } from '../errors.js';
import { explainFsError } from '../fs.js';
import { Ui } from '../ui/output.js';
import { colorEnabled } from './context.js';
import type { Deps } from './deps.js';
import { buildProgram } from './program.js';

/**
 * Runs one mcpgw invocation in-process and returns its exit code. Only bin/mcpgw.js turns that into
 * process.exit, so tests call this directly with fake streams and a temporary working directory.
 */
export async function run(argv: readonly string[], deps: Deps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    const options = program.opts<{ json?: boolean; color?: boolean; verbose?: boolean }>();
    const ui = new Ui(deps.stdout, deps.stderr, {
      json: Boolean(options.json),
      quiet: false,
      verbose: Boolean(options.verbose),
      color: colorEnabled(deps, options.color),
    });
    return report(error, ui, deps.signal.aborted);
  }
}

function report(raw: unknown, ui: Ui, aborted: boolean): number {
  // A file-system error the user can fix (EACCES, EISDIR, …) is a usage error naming the path, not a bug.
  const error = explainFsError(raw) ?? raw;
  if (error instanceof CommanderError) {
    // Commander has already printed help or the usage error.
    return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
  }
  if (aborted || error instanceof Interrupted) {
    ui.error('interrupted');
    return ExitCode.interrupted;
  }
  if (ui.options.json) {
    if (error instanceof ReportedFailure) ui.error(error.message);
    else ui.json({ ok: false, error: describe(error) });
    return exitCodeOf(error);
  }
  if (error instanceof ConfigError) {
    ui.error(error.message);
    for (const issue of error.issues) {
      const where = issue.line ? `${error.file}:${issue.line}:${issue.column ?? 1}` : error.file;
      ui.detail(`  ${ui.style.dim(where)}  ${issue.path}: ${issue.message}`);
      if (issue.fix) ui.detail(`      ${ui.style.cyan('fix:')} ${issue.fix}`);
    }
  } else if (error instanceof UserError || error instanceof StepFailed) {
    ui.error(error.message);
    if (error.hint) ui.detail(`  ${ui.style.cyan('fix:')} ${error.hint}`);
  } else {
    const err = error instanceof Error ? error : new Error(String(error));
    ui.error(`internal error: ${err.message}`);
    ui.detail(ui.options.verbose ? (err.stack ?? '') : '  (this is a bug in mcpgw; run with --verbose for the stack trace)');
  }
  return exitCodeOf(error);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UserError || error instanceof StepFailed) return error.exitCode;
  return ExitCode.failure;
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof ConfigError) return { kind: 'config', message: error.message, file: error.file, issues: error.issues };
  if (error instanceof UserError) return { kind: 'usage', message: error.message, hint: error.hint };
  if (error instanceof StepFailed) return { kind: 'failed', message: error.message, hint: error.hint };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}
