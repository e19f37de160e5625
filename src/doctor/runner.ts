import { UserError } from '../errors.js';
import type { DoctorContext } from './context.js';
import { fail, skip, type Cause, type Check, type CheckOutcome, type CheckResult, type DoctorReport, type Need } from './types.js';

export interface RunOptions {
  /** Check ids or areas (or id prefixes such as `keys` or `mcp.gateway`); empty runs everything. */
  only: string[];
  timeoutMs: number;
  now(): number;
}

/** Only the checks `--only` names; an entry matching nothing is a usage error that lists what exists. */
export function selectChecks(checks: readonly Check[], only: string[]): Check[] {
  if (only.length === 0) return [...checks];
  const matches = (check: Check, entry: string) => check.id === entry || check.area === entry || check.id.startsWith(`${entry}.`);
  const unknown = only.filter((entry) => !checks.some((check) => matches(check, entry)));
  if (unknown.length > 0) {
    throw new UserError(`--only ${unknown.join(', ')} matches no check`, `areas: ${[...new Set(checks.map((check) => check.area))].join(', ')}; checks: ${checks.map((check) => check.id).join(', ')}`);
  }
  return checks.filter((check) => only.some((entry) => matches(check, entry)));
}

const NEED_LABEL: Record<Need, string> = {
  config: 'a valid mcpgw.yaml',
  secrets: 'the secrets file',
  docker: 'the Docker engine',
  database: "LiteLLM's database",
  gateway: 'a running LiteLLM',
  online: 'the upstream model',
};

/** Why a need is unmet, or undefined when it is met. Resources are memoized, so each is tried once per run. */
async function unmet(ctx: DoctorContext, need: Need): Promise<string | undefined> {
  const attempt = async (resource: () => Promise<unknown>) => resource().then(() => undefined, (error: Error) => error.message.split('\n')[0]);
  switch (need) {
    case 'config':
      return attempt(() => ctx.loaded());
    case 'secrets':
      return attempt(() => ctx.secrets());
    case 'docker':
      return attempt(() => ctx.docker());
    case 'database':
      return attempt(() => ctx.db());
    case 'gateway':
      return attempt(() => ctx.gatewayLive());
    case 'online':
      return ctx.deps.offline ? '--offline' : undefined;
  }
}

function withDeadline(work: Promise<CheckOutcome>, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve(fail(`no answer within ${timeoutMs} ms`, [{ cause: 'the check timed out', fix: 'run it alone with `mcpgw doctor --only <id> --verbose`; a hung container or network is the usual cause' }])), timeoutMs);
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
 * Runs every selected check at once. Each gets its needs checked first (unmet → skip with the reason), a
 * deadline, and a crash becomes a failed result: one broken check never hides the others.
 */
export async function runChecks(ctx: DoctorContext, checks: readonly Check[], options: RunOptions): Promise<DoctorReport> {
  const results = await Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      const started = options.now();
      const outcome = await withDeadline(
        (async () => {
          for (const need of check.needs) {
            const reason = await unmet(ctx, need);
            if (reason !== undefined) return skip(`needs ${NEED_LABEL[need]}: ${reason}`);
          }
          return check.run(ctx);
        })().catch((error: Error) => fail(`check crashed: ${error.message}`, [{ cause: 'a bug in mcpgw doctor, or an answer it did not expect', fix: 'report it with the output of `mcpgw doctor --only ' + check.id + ' --verbose`' }])),
        options.timeoutMs,
      );
      return { id: check.id, area: check.area, title: check.title, status: outcome.status, ms: Math.round(options.now() - started), evidence: outcome.evidence, causes: distinctCauses(outcome.causes ?? []) };
    }),
  );
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const result of results) summary[result.status]++;
  return { ok: summary.fail === 0, summary, checks: results };
}
