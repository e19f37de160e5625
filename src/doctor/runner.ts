import { UserError } from '../errors.js';
import { countStatuses, isolated } from '../outcome.js';
import type { DoctorContext } from './context.js';
import { renderedLitellmConfig } from './deployed.js';
import { fail, skip, type Cause, type Check, type CheckOutcome, type CheckResult, type DoctorReport, type Need } from './types.js';

export interface RunOptions {
  /** Check ids or areas (or id prefixes such as `keys` or `mcp.gateway`); empty runs everything. */
  only: string[];
  timeoutMs: number;
}

/** Only the checks `--only` names; an entry matching nothing is a usage error that lists what exists. */
export function selectChecks(checks: readonly Check[], only: string[]): Check[] {
  if (only.length === 0) return [...checks];
  const matches = (check: Check, entry: string) => check.id === entry || check.area === entry || check.id.startsWith(`${entry}.`);
  const unknown = only.filter((entry) => !checks.some((check) => matches(check, entry)));
  if (unknown.length > 0) {
    throw new UserError(
      `--only ${unknown.join(', ')} matches no check`,
      `areas: ${[...new Set(checks.map((check) => check.area))].join(', ')}; checks: ${checks.map((check) => check.id).join(', ')}`,
    );
  }
  return checks.filter((check) => only.some((entry) => matches(check, entry)));
}

const NEED_LABEL: Record<Need, string> = {
  config: 'a valid mcpgw.yaml',
  secrets: 'the secrets file',
  rendered: 'the rendered config.yaml',
  docker: 'the Docker engine',
  swarm: 'the swarm mcpgw.yaml names',
  database: "LiteLLM's database",
  gateway: 'a running LiteLLM',
  online: 'the upstream model',
};

/** An unmet need: the error its resource failed with (shared by every need it caused), and that error's text. */
interface Unmet {
  need: Need;
  error: unknown;
  reason: string;
}

/** Prerequisites in the order one causes the next: a bundled database is reached through Docker, and fails with Docker's own error. */
const ROOT_ORDER: readonly Need[] = ['config', 'secrets', 'rendered', 'docker', 'swarm', 'database', 'gateway'];

/** A root cause in a few words, for the checks that only depend on it. */
const ROOT_SHORT: Record<Need, string> = {
  config: 'mcpgw.yaml has problems',
  secrets: 'the secrets file cannot be used',
  rendered: 'nothing is rendered yet',
  docker: 'the Docker engine does not answer',
  swarm: 'the swarm cannot be reached as mcpgw.yaml names it',
  database: "LiteLLM's database is unreachable",
  gateway: 'LiteLLM does not answer',
  online: '--offline',
};

/** Why a need is unmet, or undefined when it is met. Resources are memoized, so each is tried once per run. */
async function unmet(ctx: DoctorContext, need: Need): Promise<Unmet | undefined> {
  const attempt = async (resource: () => Promise<unknown>) =>
    resource().then(
      () => undefined,
      (error: unknown) => ({ need, error, reason: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' }),
    );
  switch (need) {
    case 'config':
      return attempt(() => ctx.loaded());
    case 'secrets':
      return attempt(() => ctx.secrets());
    case 'rendered':
      return attempt(() => renderedLitellmConfig(ctx));
    case 'docker':
      return attempt(() => ctx.docker());
    case 'swarm':
      return attempt(() => ctx.swarmIfAny());
    case 'database':
      return attempt(() => ctx.db());
    case 'gateway':
      return attempt(() => ctx.gatewayLive());
    case 'online':
      return ctx.deps.offline ? { need, error: '--offline', reason: '--offline' } : undefined;
  }
}

/**
 * Where each check stands before it runs: blocked by a root cause (the most fundamental unmet need whose error
 * it shares: Docker, not "the database", when the database is reached through Docker), or free to run. A check
 * that `reports` a need runs when that need is its own root cause: it is the one that explains it.
 */
async function blockers(ctx: DoctorContext, checks: readonly Check[], timeoutMs: number): Promise<Map<string, { need: Need; root: Unmet }>> {
  const needs = [...new Set(checks.flatMap((check) => [...check.needs, ...(check.reports ? [check.reports] : [])]))];
  const found = new Map<Need, Unmet | undefined>();
  await Promise.all(
    needs.map(async (need) => {
      const late: Unmet = { need, error: new Error('late'), reason: `no answer within ${timeoutMs} ms` };
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<Unmet>((resolve) => (timer = setTimeout(() => resolve(late), timeoutMs)));
      found.set(need, await Promise.race([unmet(ctx, need), deadline]).finally(() => clearTimeout(timer)));
    }),
  );
  const rootOf = (entry: Unmet): Unmet => ROOT_ORDER.map((need) => found.get(need)).find((other) => other && other.error === entry.error) ?? entry;
  const blocked = new Map<string, { need: Need; root: Unmet }>();
  for (const check of checks) {
    for (const need of check.needs) {
      const entry = found.get(need);
      if (!entry) continue;
      const root = need === 'online' ? entry : rootOf(entry);
      if (check.reports !== undefined && root.need === check.reports) break; // its own finding
      blocked.set(check.id, { need, root });
      break;
    }
    const reported = check.reports !== undefined ? found.get(check.reports) : undefined;
    if (!blocked.has(check.id) && reported && check.reports !== undefined) {
      const root = rootOf(reported);
      if (root.need !== check.reports) blocked.set(check.id, { need: check.reports, root });
    }
  }
  return blocked;
}

/**
 * The check that tells a root cause in full: the one that reports that need (when it is itself blocked, the one
 * that tells its own root cause: LiteLLM cannot answer without Docker), else the first check it blocks.
 */
function reporterOf(root: Unmet, checks: readonly Check[], blocked: Map<string, { need: Need; root: Unmet }>, depth = 0): string | undefined {
  const reporting = checks.find((candidate) => candidate.reports === root.need);
  const itsBlock = reporting ? blocked.get(reporting.id) : undefined;
  if (reporting && !itsBlock) return reporting.id;
  if (itsBlock && depth < ROOT_ORDER.length) return reporterOf(itsBlock.root, checks, blocked, depth + 1);
  return checks.find((candidate) => blocked.get(candidate.id)?.root.error === root.error)?.id;
}

/**
 * The skip reason of a blocked check. A root cause is told in full once: by the check that reports it (which
 * runs and fails with it), else by the first check it blocks; every other check points there.
 */
function skipReason(check: Check, block: { need: Need; root: Unmet }, checks: readonly Check[], blocked: Map<string, { need: Need; root: Unmet }>): string {
  const { need, root } = block;
  if (need === 'online') return `needs ${NEED_LABEL[need]}: ${root.reason}`;
  const reporter = reporterOf(root, checks, blocked);
  if (reporter === undefined || reporter === check.id) return `needs ${NEED_LABEL[need]}: ${root.reason}`;
  const because = need === root.need ? ROOT_SHORT[root.need] : `${ROOT_SHORT[root.need]}, so ${NEED_LABEL[need]} cannot be reached`;
  return `needs ${NEED_LABEL[need]}: ${because} (see ${reporter})`;
}

function withDeadline(work: Promise<CheckOutcome>, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          fail(`no answer within ${timeoutMs} ms`, [
            { cause: 'the check timed out', fix: 'run it alone with `mcpgw doctor --only <id> --verbose`; a hung container or network is the usual cause' },
          ]),
        ),
      timeoutMs,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The same cause found on several servers or steps is one cause to fix: listed once, in first-seen order. */
function distinctCauses(causes: readonly Cause[]): Cause[] {
  const seen = new Set<string>();
  return causes.filter((entry) => {
    const key = `${entry.cause}\n${entry.fix}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Runs every selected check at once. The needs are checked first, once (unmet → skip, the root cause told once
 * and pointed at by the others), each check gets a deadline, and a crash becomes a failed result: one broken
 * check never hides the others.
 */
export async function runChecks(ctx: DoctorContext, checks: readonly Check[], options: RunOptions): Promise<DoctorReport> {
  const started = ctx.deps.clock.now();
  // A file that does not validate still names its engine (the checks of what runs then run on it); one that cannot
  // be read names none: its checks are then blocked by the config need anyway.
  const engine = await ctx.place().then(
    (place) => place.engine,
    () => undefined,
  );
  const elsewhere = (check: Check) => check.only !== undefined && engine !== undefined && check.only.engine !== engine;
  const blocked = await blockers(
    ctx,
    checks.filter((check) => !elsewhere(check)),
    options.timeoutMs,
  );
  const results = await Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      const block = blocked.get(check.id);
      const crashed = [
        { cause: 'a bug in mcpgw doctor, or an answer it did not expect', fix: `report it with the output of \`mcpgw doctor --only ${check.id} --verbose\`` },
      ];
      const outcome = await withDeadline(
        isolated(async () => {
          if (check.only && elsewhere(check)) return skip(`engine: ${engine}: ${check.only.why}`);
          return block ? skip(skipReason(check, block, checks, blocked)) : check.run(ctx);
        }, crashed),
        options.timeoutMs,
      );
      return {
        id: check.id,
        area: check.area,
        title: check.title,
        status: outcome.status,
        ms: Math.round(ctx.deps.clock.now() - started),
        evidence: outcome.evidence,
        causes: distinctCauses(outcome.causes ?? []),
      };
    }),
  );
  const summary = countStatuses(results);
  return { ok: summary.fail === 0, summary, checks: results };
}
