import path from 'node:path';
import { UserError } from '../errors.js';
import type { OpContext } from '../ops/context.js';
import type { Deps } from '../deps.js';
import { Ui } from '../ui/output.js';
import { createProgress, type Progress } from '../ui/progress.js';

export interface GlobalOptions {
  file: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** A use case's context, plus the flags and the whole Ui: a command formats what the use case returns. */
export interface CommandContext extends OpContext {
  ui: Ui;
  options: GlobalOptions;
  /** How the user runs mcpgw, for the commands a result tells them to run next: `npx mcpgw` in a clone. */
  invocation: string;
}

/** npm exec (what npx runs) marks its child with npm_command=exec; mcpgw on the PATH is called by its name. */
export function invocationOf(deps: Pick<Deps, 'env'>): string {
  return deps.env.npm_command === 'exec' ? 'npx mcpgw' : 'mcpgw';
}

/** Colour only on a terminal, and never with --no-color, NO_COLOR (chalk 5 does not read it) or TERM=dumb. */
export function colorEnabled(deps: Deps, flag: boolean | undefined): boolean {
  return flag !== false && !deps.env.NO_COLOR && deps.env.TERM !== 'dumb' && Boolean(deps.stdout.isTTY || deps.stderr.isTTY);
}

export function createContext(deps: Deps, flags: GlobalOptions): CommandContext {
  if (flags.file.trim() === '') throw new UserError('-f/--file is empty', 'give the path of mcpgw.yaml, e.g. -f ./mcpgw.yaml');
  // Boolean flags have no default (commander would print "(default: false)" in the help): absent is false.
  const options = { ...flags, json: Boolean(flags.json), quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose) };
  const ui = new Ui(deps.stdout, deps.stderr, { ...options, color: colorEnabled(deps, options.color) });
  let progress: Promise<Progress> | undefined;
  return {
    deps,
    options,
    ui,
    configFile: path.resolve(deps.cwd, options.file),
    invocation: invocationOf(deps),
    progress: () => (progress ??= createProgress(ui, deps.stderr)),
  };
}
