import type { Clock } from '../time/clock.js';

/**
 * The cut-over's effects, each one step the state machine below orders and, on failure, undoes. The ops layer
 * gives the real ones (Docker, the database, the probe); tests give small fakes.
 */
export interface CutoverSteps {
  /** Runs the target's migrations on the real database while the old LiteLLM still serves; resolves how many. */
  migrate(): Promise<number>;
  /**
   * On a swarm the replicas roll behind the front door, each old one serving until its successor is ready: there is
   * no downtime, and startNew's own start is the roll's length.
   */
  rolling?: boolean;
  /**
   * While the old LiteLLM still serves: on one engine renames it `<name>-previous` (never removed here) and creates the
   * new one's container, not started, under the name it freed. Resolves what it did.
   */
  prepareNew(): Promise<string>;
  /** Stops the old LiteLLM: on one engine the downtime starts here. Resolves what it did. */
  retireOld(): Promise<string>;
  /**
   * Starts the new LiteLLM and waits until it is ready with its database; resolves a summary and its own start
   * (container started → ready), the part of the downtime no cut-over on one port can shorten.
   */
  startNew(): Promise<{ ready: string; ownStartMs: number }>;
  /** `keys sync`; resolves a summary. */
  syncKeys(): Promise<string>;
  /** The end-to-end probe; a failure is `{ ok: false }`. */
  probe(): Promise<{ ok: boolean; summary: string }>;
  /** Rollback, in this order (each resolves what it did): */
  removeNew(): Promise<string>;
  /** After a migrate was attempted: the database back to the verified backup when the ledger moved; resolves what it did. */
  restoreDatabase(): Promise<string>;
  /** The old container's name back, and, when it was stopped, started and ready. */
  reviveOld(): Promise<string>;
  /** One line per step on stderr. */
  note(step: string, outcome: 'ok' | 'fail' | 'skip', detail: string): void;
}

/**
 * The part of the steps that differs between the engines (where the new LiteLLM starts, how the old one stops and
 * comes back), and how the database's restore keeps LiteLLM from writing: the ops layer gives one per engine.
 */
export type CutoverEngineSteps = Pick<CutoverSteps, 'rolling' | 'migrate' | 'prepareNew' | 'retireOld' | 'startNew' | 'removeNew' | 'reviveOld'> & {
  /** Runs the restore with no LiteLLM writing to the database, the old one serving again afterwards; resolves how. */
  restoreWithWritersStopped(restore: () => Promise<void>): Promise<string>;
};

export type CutoverStage = 'migrate' | 'prepare' | 'retire' | 'start' | 'keys' | 'probe';

export type CutoverOutcome =
  | {
      ok: true;
      migrations: number;
      /** From the old LiteLLM's stop to the new one's readiness; none on a rolling cut-over. */
      downtimeMs?: number;
      ownStartMs: number;
      started: string;
      keys: string;
      probe: string;
    }
  | {
      ok: false;
      stage: CutoverStage;
      cause: string;
      /** What the rollback did, step by step; `rollbackError` when it could not finish. */
      rolledBack: string[];
      rollbackError?: string;
      /** Whether the old LiteLLM was stopped at all (downtime happened). */
      downtimeMs?: number;
    };

/**
 * migrate and prepare the new container (old still serving) → stop old → start new (ready) → keys sync → probe. The
 * first failure rolls back whatever was done: new container removed, the database restored from the verified
 * backup when migrations ran, the old container's name back and, when stopped, started. Downtime runs from the old
 * one's stop to the new one's readiness (or the old one's return); a rolling cut-over (a swarm) has none.
 */
export async function cutOver(steps: CutoverSteps, clock: Clock): Promise<CutoverOutcome> {
  let stage: CutoverStage = 'migrate';
  let prepared = false;
  let stoppedAt: number | undefined;
  try {
    const migrations = await steps.migrate();
    steps.note('migrate', 'ok', `${migrations} migration(s) applied to the database while the old LiteLLM served`);
    stage = 'prepare';
    // Set first: a rename that succeeded before the create failed must still be undone.
    prepared = true;
    steps.note('prepare', 'ok', await steps.prepareNew());
    stage = 'retire';
    if (!steps.rolling) stoppedAt = clock.now();
    steps.note('stop old', 'ok', await steps.retireOld());
    stage = 'start';
    const { ready: started, ownStartMs } = await steps.startNew();
    const downtimeMs = stoppedAt === undefined ? undefined : clock.now() - stoppedAt;
    steps.note(
      'start new',
      'ok',
      downtimeMs === undefined
        ? `${started} (rolled in ${(ownStartMs / 1000).toFixed(1)} s, each old replica serving until its successor was ready)`
        : `${started} (downtime ${(downtimeMs / 1000).toFixed(1)} s, of which its own start ${(ownStartMs / 1000).toFixed(1)} s)`,
    );
    stage = 'keys';
    const keys = await steps.syncKeys();
    steps.note('keys', 'ok', keys);
    stage = 'probe';
    const probe = await steps.probe();
    if (!probe.ok) throw new Error(`probe failed: ${probe.summary}`);
    steps.note('probe', 'ok', probe.summary);
    return { ok: true, migrations, ...(downtimeMs === undefined ? {} : { downtimeMs }), ownStartMs, started, keys, probe: probe.summary };
  } catch (error) {
    const cause = (error as Error).message;
    steps.note(stage, 'fail', cause.split('\n')[0] ?? cause);
    const rolledBack: string[] = [];
    const undo = async (what: string, run: () => Promise<unknown>) => {
      const done = await run();
      const line = typeof done === 'string' ? done : what;
      rolledBack.push(line);
      steps.note('rollback', 'ok', line);
    };
    try {
      if (prepared) await undo('new LiteLLM container removed', () => steps.removeNew());
      // A failed migrate may have applied some of its migrations before the failing one.
      await undo('database restored from the verified backup', () => steps.restoreDatabase());
      if (prepared) await undo('old LiteLLM renamed back, started and ready', () => steps.reviveOld());
    } catch (rollbackError) {
      const message = (rollbackError as Error).message;
      steps.note('rollback', 'fail', message.split('\n')[0] ?? message);
      return { ok: false, stage, cause, rolledBack, rollbackError: message, ...(stoppedAt === undefined ? {} : { downtimeMs: clock.now() - stoppedAt }) };
    }
    return { ok: false, stage, cause, rolledBack, ...(stoppedAt === undefined ? {} : { downtimeMs: clock.now() - stoppedAt }) };
  }
}
