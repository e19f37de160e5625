import path from 'node:path';
import { UserError } from '../errors.js';
import { Ui } from '../ui/output.js';
import type { Deps } from '../ops/deps.js';

export interface GlobalOptions {
  file: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

export interface CommandContext {
  deps: Deps;
  ui: Ui;
  options: GlobalOptions;
  /** mcpgw.yaml resolved against the working directory. */
  configFile: string;
}

/** Colour only on a terminal, and never with --no-color, NO_COLOR (chalk 5 does not read it) or TERM=dumb. */
export function colorEnabled(deps: Deps, flag: boolean | undefined): boolean {
  return flag !== false && !deps.env.NO_COLOR && deps.env.TERM !== 'dumb' && Boolean(deps.stdout.isTTY || deps.stderr.isTTY);
}

export function createContext(deps: Deps, flags: GlobalOptions): CommandContext {
  if (flags.file.trim() === '') throw new UserError('-f/--file is empty', 'give the path of mcpgw.yaml, e.g. -f ./mcpgw.yaml');
  // Boolean flags have no default (commander would print "(default: false)" in the help): absent is false.
  const options = { ...flags, json: Boolean(flags.json), quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose) };
  return {
    deps,
    options,
    ui: new Ui(deps.stdout, deps.stderr, { ...options, color: colorEnabled(deps, options.color) }),
    configFile: path.resolve(deps.cwd, options.file),
  };
}
