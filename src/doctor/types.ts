import type { Cause, CheckOutcome, StepStatus, TimedOutcome } from '../outcome.js';
import type { McpgwConfig } from '../config/schema.js';
import type { DoctorContext } from './context.js';

export { fail, pass, skip, warn } from '../outcome.js';
export type { Cause, CheckOutcome };

export const AREAS = ['config', 'secrets', 'network', 'database', 'keys', 'mcp', 'litellm', 'replicas', 'swarm', 'clients', 'security'] as const;
export type Area = (typeof AREAS)[number];

/**
 * What a check must have before it can say anything: when one is unavailable the runner skips the check with
 * the reason instead of letting it fail on a missing prerequisite that another check already reports.
 * `online` is the upstream model: `--offline` skips the checks that would call it. `swarm` is the swarm mcpgw.yaml
 * names (engine: swarm), met by nothing to connect on one engine. `rendered` is LiteLLM's config.yaml as `render`
 * wrote it next to mcpgw.yaml, which the checks of the deployed file read.
 */
export type Need = 'config' | 'secrets' | 'rendered' | 'docker' | 'swarm' | 'database' | 'gateway' | 'online';

export type EngineKind = McpgwConfig['engine'];

/** One diagnosis, as data: the runner times it, isolates its crashes and applies --only / --offline. */
export interface Check {
  id: string;
  title: string;
  area: Area;
  needs: Need[];
  /**
   * The prerequisite this check speaks for (network.exists for Docker, database.reachable for the database…):
   * when it is unmet, this check runs and explains it, and every check that needs it points here instead of
   * repeating the same sentence.
   */
  reports?: Need;
  /**
   * The one engine this check can judge, and why not the other: on the other engine the runner skips it with that
   * reason (one engine's containers, networks and firewall mean nothing on a swarm; a swarm's tasks nothing on one).
   */
  only?: { engine: EngineKind; why: string };
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}

export interface CheckResult extends TimedOutcome {
  area: Area;
}

export interface DoctorReport {
  ok: boolean;
  summary: Record<StepStatus, number>;
  checks: CheckResult[];
}
