import { CommanderError, type Command } from 'commander';
import { ConfigError, ExitCode, ReportedFailure, StepFailed, UserError } from '../errors.js';
import { explainFsError } from '../fs.js';
import { Ui } from '../ui/output.js';
import { colorEnabled } from './context.js';
import type { Deps } from '../deps.js';
import { buildProgram, VERSION } from './program.js';

/**
 * Runs one mcpgw invocation in-process and returns its exit code. Only bin/mcpgw.js turns that into
 * process.exit, so tests call this directly with fake streams and a temporary working directory.
 */
export async function run(argv: readonly string[], deps: Deps): Promise<number> {
  // Known before commander parses anything: its own errors, the help and the version need it too.
  const json = wantsJson(argv);
  let helpText = '';
  const program = buildProgram(deps, { writeOut: (text) => (json ? (helpText += text) : deps.stdout.write(text)) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (json && helpText) writeJson(deps, { ok: true, help: helpText });
    return ExitCode.ok;
  } catch (error) {
    const options = program.opts<{ json?: boolean; color?: boolean; verbose?: boolean }>();
    const ui = new Ui(deps.stdout, deps.stderr, {
      json,
      quiet: false,
      verbose: Boolean(options.verbose),
      color: colorEnabled(deps, options.color),
    });
    return report(
      error,
      ui,
      deps.signal.aborted,
      helpText,
      program.commands.find((command) => command.commands.length > 0 && argv.includes(command.name())),
    );
  }
}

/** --json before any `--` (after it, words are arguments). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

function writeJson(deps: Deps, value: unknown): void {
  deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Commander's own outcomes: help and version are results (under --json, one document holding them); every
 * other one is a usage error it has already explained on stderr (under --json, also as the error document).
 */
function reportCommander(error: CommanderError, ui: Ui, helpText: string, group: Command | undefined): number {
  const shown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0);
  if (shown) {
    if (ui.options.json) ui.json(error.code === 'commander.version' ? { ok: true, version: VERSION } : { ok: true, help: helpText });
    return ExitCode.ok;
  }
  if (ui.options.json) {
    if (error.code === 'commander.help') {
      // A command group without its subcommand (`mcpgw keys`): commander printed the group's help on stderr.
      const names = group?.commands.map((command) => command.name()).filter((name) => name !== 'help') ?? [];
      ui.json({
        ok: false,
        error: {
          kind: 'usage',
          message: `${group ? `mcpgw ${group.name()}` : 'this command'} needs a subcommand${names.length ? `: ${names.join(', ')}` : ''}`,
          hint: 'mcpgw help <command> shows each',
        },
      });
    } else {
      ui.json({ ok: false, error: { kind: 'usage', message: error.message.replace(/^error: /, ''), hint: 'run mcpgw --help for usage' } });
    }
  }
  return ExitCode.usage;
}

function report(raw: unknown, ui: Ui, aborted: boolean, helpText: string, group: Command | undefined): number {
  // A file-system error the user can fix (EACCES, EISDIR, …) is a usage error naming the path, not a bug.
  const error = explainFsError(raw) ?? raw;
  if (error instanceof CommanderError) return reportCommander(error, ui, helpText, group);
  // Ctrl-C aborts the run's signal; whatever a step threw on its way out, the run was interrupted.
  if (aborted) {
    ui.error('interrupted');
    return ExitCode.interrupted;
  }
  if (ui.options.json) {
    if (error instanceof ReportedFailure) {
      // The report is on stdout; stderr still tells a person what failed and what to do.
      ui.error(error.message);
      if (error.hint) ui.detail(`  ${ui.style.cyan('fix:')} ${error.hint}`);
    } else ui.json({ ok: false, error: describe(error) });
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
