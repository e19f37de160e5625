import type { Ui } from '../ui/output.js';
import type { Progress } from '../ui/progress.js';
import type { Deps } from '../deps.js';

/** The stderr side of a run: notes, warnings and the redaction of secrets. Results are what a use case returns. */
export type Notes = Pick<Ui, 'info' | 'warn' | 'verbose' | 'addSecrets'>;

/** What a use case needs from the command that runs it. */
export interface OpContext {
  deps: Deps;
  /** mcpgw.yaml resolved against the working directory. */
  configFile: string;
  ui: Notes;
  /** The run's step lines on stderr (one spinner per step on a terminal); made once, on first use. */
  progress(): Promise<Progress>;
}

/** Docker is connected once per run, and only when something needs it. */
export function lazyDocker(ctx: OpContext): () => ReturnType<Deps['docker']> {
  let engine: ReturnType<Deps['docker']> | undefined;
  return () => (engine ??= ctx.deps.docker());
}
