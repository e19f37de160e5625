import path from 'node:path';
import { Ui } from '../ui/output.js';
import type { Deps } from './deps.js';

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

export function createContext(deps: Deps, options: GlobalOptions): CommandContext {
  // Colour only on a terminal, and never when NO_COLOR is set (chalk 5 does not read it by itself).
  const color = options.color && !deps.env.NO_COLOR && Boolean(deps.stdout.isTTY || deps.stderr.isTTY);
  return {
    deps,
    options,
    ui: new Ui(deps.stdout, deps.stderr, { ...options, color }),
    configFile: path.resolve(deps.cwd, options.file),
  };
}
