import type { Clock } from '../time/clock.js';

/**
 * The cut-over's effects, each one step the state machine below orders and, on failure, undoes. The ops layer
 * gives the real ones (Docker, the database, the probe); tests give small fakes.
 */
export interface CutoverSteps {
  /** Runs the target's migrations on the real database while the old LiteLLM still serves; resolves how many. */
  migrate(): Promise<number>;
  /**
   * While the old LiteLLM still serves: on one engine renames it `<name>-previous` (never removed here) and creates the
   * new one's container, not started, under the name it freed. Resolves what it did.
   */
  prepareNew(): Promise<string>;
  /**
   * Starts the new LiteLLM beside the old one, which serves on meanwhile (one engine: both behind the front door; a
   * swarm: replica by replica), and waits until it is ready with its database; resolves a summary and its own start
   * (started → ready).
   */
  startNew(): Promise<{ ready: string; ownStartMs: number }>;
  /** Stops the old LiteLLM, its successor serving. Resolves what it did. */
  retireOld(): Promise<string>;
  /**
   * Only when no front door serves yet (a stack whose old LiteLLM published the port itself: one mcpgw adopted, or
   * made before it had a front door): starts the front door on the port the old one freed, and waits until the new
   * LiteLLM answers through it. The gateway does not answer from retireOld until this is done: the downtime.
   */
  openFrontDoor?(): Promise<string>;
  /** `keys sync`; resolves a summary. */
  syncKeys(): Promise<string>;
  /** The end-to-end probe; a failure is `{ ok: false }`. */
  probe(): Promise<{ ok: boolean; summary: string }>;
  /** Rollback, in this order (each resolves what it did): */
  removeNew(): Promise<string>;
  /** After a migrate was attempted: the database back to the verified backup when the ledger moved; resolves what it did. */
  restoreDatabase(): Promise<string>;
  /** Removes the front door openFrontDoor started, so the old LiteLLM has its port back. */
  closeFrontDoor?(): Promise<string>;
  /** The old container's name back, and, when it was stopped, started and ready. */
  reviveOld(): Promise<string>;
  /** One line per step on stderr. */
  note(step: string, outcome: 'ok' | 'fail' | 'skip', detail: string): void;
}

/**
 * The part of the steps that differs between the engines (where the new LiteLLM starts, how the old one stops and
 * comes back), and how the database's restore keeps LiteLLM from writing: the ops layer gives one per engine.
 */
export type CutoverEngineSteps = Pick<
  CutoverSteps,
  'migrate' | 'prepareNew' | 'startNew' | 'retireOld' | 'openFrontDoor' | 'removeNew' | 'closeFrontDoor' | 'reviveOld'
> & {
  /** Runs the restore with no LiteLLM writing to the database, the old one serving again afterwards; resolves how. */
  restoreWithWritersStopped(restore: () => Promise<void>): Promise<string>;
};

export type CutoverStage = 'migrate' | 'prepare' | 'start' | 'retire' | 'front door' | 'keys' | 'probe';

export type CutoverOutcome =
  | {
      ok: true;
      migrations: number;
      /** From the old LiteLLM's stop to the front door answering; none when a front door served throughout. */
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
      /** Whether the gateway went dark at all (downtime happened): from the old one's stop to its return. */
      downtimeMs?: number;
    };

/**
 * migrate and prepare the new container (old still serving) → start the new one beside it (ready) → stop the old one
 * → (no front door yet: start it) → keys sync → probe. The first failure rolls back whatever was done: new container
 * removed, the database restored from the verified backup when migrations ran, a front door this cut-over started
 * removed, the old container's name back and, when stopped, started. Downtime: only where no front door served, from
 * the old one's stop until the front door answers (or the old one is back).
 */
export async function cutOver(steps: CutoverSteps, clock: Clock): Promise<CutoverOutcome> {
  let stage: CutoverStage = 'migrate';
  let prepared = false;
  let doorAttempted = false;
  let retired = false;
  let stoppedAt: number | undefined;
  try {
    const migrations = await steps.migrate();
    steps.note('migrate', 'ok', `${migrations} migration(s) applied to the database while the old LiteLLM served`);
    stage = 'prepare';
    // Set first: a rename that succeeded before the create failed must still be undone.
    prepared = true;
    steps.note('prepare', 'ok', await steps.prepareNew());
    stage = 'start';
    const { ready: started, ownStartMs } = await steps.startNew();
    steps.note('start new', 'ok', `${started} (ready in ${(ownStartMs / 1000).toFixed(1)} s, the old LiteLLM serving meanwhile)`);
    stage = 'retire';
    if (steps.openFrontDoor) stoppedAt = clock.now();
    retired = true;
    steps.note('stop old', 'ok', await steps.retireOld());
    let downtimeMs: number | undefined;
    if (steps.openFrontDoor) {
      stage = 'front door';
      doorAttempted = true;
      const opened = await steps.openFrontDoor();
      downtimeMs = clock.now() - (stoppedAt ?? clock.now());
      steps.note(
        'front door',
        'ok',
        `${opened} (downtime ${(downtimeMs / 1000).toFixed(1)} s; the new LiteLLM's own start was ${(ownStartMs / 1000).toFixed(1)} s)`,
      );
    }
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
    // With the old LiteLLM stopped, the gateway goes dark once the new one is removed, until the old one is back.
    if (retired && stoppedAt === undefined) stoppedAt = clock.now();
    const downtime = () => (stoppedAt === undefined ? {} : { downtimeMs: clock.now() - stoppedAt });
    try {
      if (prepared) await undo('new LiteLLM container removed', () => steps.removeNew());
      // A failed migrate may have applied some of its migrations before the failing one.
      await undo('database restored from the verified backup', () => steps.restoreDatabase());
      const close = steps.closeFrontDoor;
      if (doorAttempted && close) await undo('front door removed', () => close());
      if (prepared) await undo('old LiteLLM renamed back, started and ready', () => steps.reviveOld());
    } catch (rollbackError) {
      const message = (rollbackError as Error).message;
      steps.note('rollback', 'fail', message.split('\n')[0] ?? message);
      return { ok: false, stage, cause, rolledBack, rollbackError: message, ...downtime() };
    }
    return { ok: false, stage, cause, rolledBack, ...downtime() };
  }
}
