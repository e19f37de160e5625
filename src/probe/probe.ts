import type { Deps } from '../deps.js';
import { loadMcpSdk, SessionEnds } from '../gateway/session.js';
import { isolated } from '../outcome.js';
import type { KeyLease } from '../keys/lease.js';
import { checkSseAffinity, checkStreamableAffinity } from './affinity.js';
import { checkDeclaredKey, checkNoGrantKey, type DeclaredKeyTarget } from './auth-level.js';
import type { ServerTarget } from './diagnose.js';
import { checkLiveliness, checkReadiness, judgeVersion, readVersion } from '../gateway/litellm-checks.js';
import { checkLlm, replayEndpoint, sendAndJudge } from './llm-level.js';
import { checkServer, checkSse, openAggregate, type AggregateSession, type McpLevelContext, type ProvenTool } from './mcp-level.js';
import type { ReplicaFinding } from '../swarm/replica-findings.js';
import type { ReplicaView } from '../swarm/replica-view.js';
import { fail, pass, skip, warn, type Cause, type CheckOutcome, type ProbeLevel, type ProbeReport, type ProbeStep } from './types.js';

export interface ProbePlan {
  /** http://host:port of LiteLLM as reachable from this machine. */
  baseUrl: string;
  key: string;
  /** True when mcpgw made the key for this run with every server granted: a 403 is then a failure. */
  keyGrantsAll: boolean;
  servers: ServerTarget[];
  declaredKeys: DeclaredKeyTarget[];
  /** Makes a key with no MCP grant for the authorization level; absent when the database is out of reach. */
  noGrantKey?: () => Promise<KeyLease>;
  /** Model for the LLM level; undefined skips it. */
  model?: string;
  timeoutMs: number;
  /** A client's request body to replay and explain instead of the probe's own LLM requests. */
  replay?: Record<string, unknown>;
  /**
   * The replicas behind a front door (engine: swarm): how many there should be. The replicas level then also proves
   * through the front door that every session stays on its replica; absent: no front door.
   */
  frontDoorReplicas?: number;
  /** Reads and judges every LiteLLM replica directly; absent: the replicas level does not run. */
  replicas?: () => Promise<{ views: ReplicaView[]; findings: ReplicaFinding[] }>;
}

/** The probe's part of the commands' `Deps` (the clock that times each check), and what only the probe needs. */
export interface ProbeDeps extends Pick<Deps, 'clock'> {
  nonce: () => string;
  diagnose: (server: ServerTarget) => Promise<Cause[]>;
  /** Called as each step finishes, for progress on stderr. */
  onStep?: (step: ProbeStep) => void;
}

/** A check's outcome and when it ran (the clock before and after). */
interface Measured {
  outcome: CheckOutcome;
  started: number;
  ended: number;
}

/**
 * Runs the levels in order — gateway, MCP, authorization, LLM — each step timed, a crashing step reported as
 * failed (never a crashed run). A dead gateway skips the rest: every later step would only repeat that failure.
 */
export async function runProbe(plan: ProbePlan, deps: ProbeDeps): Promise<ProbeReport> {
  // The MCP level's first session would otherwise wait for the SDK's import; it runs behind the gateway level.
  if (plan.servers.length > 0 && !plan.replay) loadMcpSdk().catch(() => undefined);
  const steps: ProbeStep[] = [];
  const spans = new Map<ProbeLevel, { start: number; end: number }>();
  const measure = async (check: () => Promise<CheckOutcome>): Promise<Measured> => {
    const started = deps.clock.now();
    const outcome = await isolated(check);
    return { outcome, started, ended: deps.clock.now() };
  };
  const record = (level: ProbeLevel, id: string, title: string, { outcome, started, ended }: Measured): ProbeStep => {
    const done: ProbeStep = {
      level,
      id,
      title,
      status: outcome.status,
      ms: Math.round(ended - started),
      evidence: outcome.evidence,
      causes: outcome.causes ?? [],
    };
    const span = spans.get(level);
    spans.set(level, { start: Math.min(span?.start ?? started, started), end: Math.max(span?.end ?? ended, ended) });
    steps.push(done);
    deps.onStep?.(done);
    return done;
  };
  const step = async (level: ProbeLevel, id: string, title: string, check: () => Promise<CheckOutcome>): Promise<ProbeStep> =>
    record(level, id, title, await measure(check));
  let replicas: ReplicaView[] | undefined;
  const report = (litellmVersion?: string): ProbeReport => ({
    ok: steps.every((entry) => entry.status !== 'fail'),
    gateway: plan.baseUrl,
    ...(litellmVersion ? { litellmVersion } : {}),
    steps,
    ...(replicas ? { replicas } : {}),
    levels: Object.fromEntries([...spans].map(([level, { start, end }]) => [level, Math.round(end - start)])),
  });

  // Each replica read where it runs, with one finding per judgment: what decides why a front door fails.
  const replicaLevel = async () => {
    if (!plan.replicas) return;
    const judge = plan.replicas;
    let findings: ReplicaFinding[] = [];
    const read = await measure(async () => {
      const judged = await judge();
      replicas = judged.views;
      findings = judged.findings;
      return pass();
    });
    if (read.outcome.status === 'fail') return void record('replicas', 'replicas.view', 'each LiteLLM replica read from inside its container', read);
    // The read is the work; each judgment of it takes no time of its own.
    for (const [index, finding] of findings.entries())
      record('replicas', finding.id, finding.title, { outcome: finding.outcome, started: index === 0 ? read.started : read.ended, ended: read.ended });
  };

  const live = await step('gateway', 'gateway.liveliness', 'LiteLLM answers', () => checkLiveliness(plan.baseUrl, plan.timeoutMs));
  if (live.status === 'fail') {
    await replicaLevel();
    return report();
  }
  await step('gateway', 'gateway.readiness', 'LiteLLM ready with its database', () => checkReadiness(plan.baseUrl, plan.timeoutMs));
  let version: string | undefined;
  await step('gateway', 'gateway.version', 'LiteLLM version', async () => {
    version = await readVersion(plan.baseUrl, plan.timeoutMs);
    return judgeVersion(version);
  });
  await replicaLevel();
  if (plan.frontDoorReplicas !== undefined && !plan.replay) {
    const target = { baseUrl: plan.baseUrl, key: plan.key, replicas: plan.frontDoorReplicas, timeoutMs: plan.timeoutMs };
    await step('replicas', 'replicas.affinity-http', "a streamable HTTP session's requests stay on the replica that opened it", () =>
      checkStreamableAffinity(target),
    );
    await step('replicas', 'replicas.affinity-sse', "an SSE session's messages reach the replica holding its stream", () => checkSseAffinity(target));
  }

  if (plan.replay) {
    const endpoint = replayEndpoint(plan.replay);
    const request = plan.replay;
    await step('llm', 'llm.replay', 'replayed request', async () =>
      endpoint
        ? sendAndJudge({ baseUrl: plan.baseUrl, key: plan.key, timeoutMs: plan.timeoutMs, ...(version ? { version } : {}) }, endpoint, request)
        : fail('the request has neither "messages" (chat completions) nor "input" (responses)'),
    );
    return report(version);
  }

  if (plan.servers.length === 0) {
    await step('mcp', 'mcp.aggregate', 'MCP through the gateway', async () => skip('mcpgw.yaml declares no MCP server'));
    return report(version);
  }

  // MCP sessions end (their DELETE) behind the next checks; the probe returns once every one has ended.
  const ends = new SessionEnds();
  const mcp: McpLevelContext = { baseUrl: plan.baseUrl, key: plan.key, timeoutMs: plan.timeoutMs, nonce: deps.nonce, diagnose: deps.diagnose, ends };
  try {
    // The SSE session needs nothing from /mcp/ (each session costs LiteLLM its own set-up, seconds for a
    // session that lists several servers): it runs alongside the /mcp/ steps and is reported after them.
    const sse = measure(() => checkSse(mcp, plan.servers));
    let aggregate: AggregateSession | undefined;
    await step('mcp', 'mcp.aggregate', 'MCP over streamable HTTP at /mcp/', async () => (aggregate = await openAggregate(mcp)).outcome);
    // Servers are independent: probed in parallel (their tools called in the /mcp/ session), reported in mcpgw.yaml order.
    const proof = new Map<string, ProvenTool>();
    const perServer = await Promise.all(
      plan.servers.map((server) =>
        measure(async () => {
          const { outcome, proven: tool } = await checkServer(mcp, server, plan.keyGrantsAll, aggregate);
          if (tool) proof.set(server.name, tool);
          return outcome;
        }),
      ),
    );
    await aggregate?.close();
    for (const [index, server] of plan.servers.entries()) {
      record('mcp', `mcp.server.${server.name}`, `${server.name} (${server.transport}) lists and executes a tool`, perServer[index] as Measured);
    }
    record('mcp', 'mcp.sse', 'MCP over SSE at /mcp/sse', await sse);
    const proven = plan.servers.map((server) => proof.get(server.name)).find(Boolean);

    if (plan.noGrantKey) {
      const lease = plan.noGrantKey;
      await step('auth', 'auth.no-grant', 'a key without MCP grants sees no server', async () =>
        checkNoGrantKey(plan.baseUrl, plan.servers, await lease(), plan.timeoutMs),
      );
    } else {
      await step('auth', 'auth.no-grant', 'a key without MCP grants sees no server', async () => skip('no database access to create a temporary key'));
    }
    for (const declared of plan.declaredKeys) {
      await step('auth', `auth.key.${declared.alias}`, `key ${declared.alias} sees exactly its granted servers`, () =>
        checkDeclaredKey(plan.baseUrl, plan.servers, declared, plan.timeoutMs),
      );
    }

    if (plan.model) {
      const model = plan.model;
      const llm = { baseUrl: plan.baseUrl, key: plan.key, model, timeoutMs: plan.timeoutMs, nonce: deps.nonce, ...(version ? { version } : {}) };
      for (const endpoint of ['chat', 'responses'] as const) {
        const path = endpoint === 'chat' ? '/v1/chat/completions' : '/v1/responses';
        await step('llm', `llm.${endpoint}`, `${path} executes the MCP tool and ends at stop`, async () => {
          if (!proven) return unprovenLlm(steps);
          return checkLlm(llm, endpoint, proven);
        });
      }
    }
    return report(version);
  } finally {
    await ends.settled();
  }
}

/** Without a tool proven at the MCP level there is nothing to ask the model to call: why decides fail or warn. */
function unprovenLlm(steps: ProbeStep[]): CheckOutcome {
  if (steps.some((entry) => entry.level === 'mcp' && entry.status === 'fail')) {
    return fail('not tried: no MCP tool executed through the gateway', [{ cause: 'the MCP level failed', fix: 'fix the MCP level first (above)' }]);
  }
  return warn('not tried: no server has a safe tool to call', [
    { cause: 'nothing proves that LiteLLM executes tools for the model', fix: 'declare mcp_servers.<name>.probe (a read-only tool, arguments with "{nonce}")' },
  ]);
}
