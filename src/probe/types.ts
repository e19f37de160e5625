import type { TimedOutcome } from '../outcome.js';
import type { ReplicaView } from '../swarm/replica-view.js';

export { fail, pass, skip, warn, type Cause, type CheckOutcome, type StepStatus } from '../outcome.js';

export type ProbeLevel = 'gateway' | 'replicas' | 'mcp' | 'auth' | 'llm';

export interface ProbeStep extends TimedOutcome {
  level: ProbeLevel;
}

export interface ProbeReport {
  ok: boolean;
  gateway: string;
  litellmVersion?: string;
  steps: ProbeStep[];
  /** Each LiteLLM replica as read from inside its container, when the replicas level ran. */
  replicas?: ReplicaView[];
  /**
   * Wall-clock ms of each level that ran, from its first step's start to its last step's end. Steps of a level
   * can run at the same time (the MCP level's servers and SSE), so their ms add up to more.
   */
  levels: Partial<Record<ProbeLevel, number>>;
}
