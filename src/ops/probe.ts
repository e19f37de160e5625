import { serversGrantedTo } from '../config/grants.js';
import { declaredKeyValues } from '../config/key-secrets.js';
import type { McpgwConfig } from '../config/schema.js';
import type { Engine } from '../docker/engine.js';
import { UserError } from '../errors.js';
import { litellmAnswers, VANTAGE_DEADLINE_MS } from '../gateway/vantage.js';
import { serverIds } from '../keys/desired.js';
import { leaseKey, type KeyLease } from '../keys/lease.js';
import type { KeyStore } from '../keys/store.js';
import type { DeclaredKeyTarget } from '../probe/auth-level.js';
import { diagnoseServer, type ServerTarget } from '../probe/diagnose.js';
import { runProbe, type ProbePlan } from '../probe/probe.js';
import { serverTargets } from '../probe/targets.js';
import type { ProbeReport, ProbeStep } from '../probe/types.js';
import { judgesReplicas } from '../swarm/replica-findings.js';
import { litellmBaseUrl, litellmPlace, litellmService, probeModelName } from '../stack/model.js';
import type { OpContext } from './context.js';
import { withKeyStore } from './key-store.js';
import { judgeStackReplicas } from './replicas.js';
import type { LoadedStack } from './stack.js';

export interface ProbeRequest {
  /** A client's key to probe with, instead of a key of the probe's own. */
  key?: string;
  /** Only this MCP server. */
  server?: string;
  /** --llm / --no-llm: undefined means "when a model is configured". */
  llm?: boolean;
  /** The model asked to run a tool, instead of probe_model / the first declared model. */
  model?: string;
  timeoutMs?: number;
  /** A request body a client sent, replayed at the LLM level. */
  replay?: Record<string, unknown>;
  /** --replicas: judge each LiteLLM replica from inside its container; undefined: when there are several or a swarm. */
  replicas?: boolean;
}

/**
 * A session's first listing waits for LiteLLM's list-change relay, which visits the granted servers one after
 * another (subscriptions.py in 1.108.7), each listing with a new upstream session (a stdio server LiteLLM runs: a
 * new process): /mcp/ can take long.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 120_000;

/** Builds the probe plan from mcpgw.yaml and runs it; `up` and `restore` call this too, with the engine they hold. */
export async function probeStack(ctx: OpContext, stack: LoadedStack, request: ProbeRequest, engine?: Engine): Promise<ProbeReport> {
  const { config } = stack.loaded;
  const timeoutMs = request.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const model = chooseModel(config, request);
  const servers = serverTargets(config, stack.model, request.server);
  if (request.key) ctx.ui.addSecrets([request.key]);
  const docker = engine ?? (await ctx.deps.docker().catch(() => undefined));
  const fromLiteLLM = litellmAnswers(
    docker,
    litellmPlace(stack.model),
    () => ctx.deps.randomBytes(4).toString('hex'),
    servers.flatMap((server) => (server.endpoint ? [server.endpoint] : [])),
    Math.min(timeoutMs, VANTAGE_DEADLINE_MS),
  );
  const basePlan = {
    baseUrl: litellmBaseUrl(stack.model),
    servers,
    declaredKeys: request.server ? [] : declaredKeyTargets(stack),
    timeoutMs,
    ...(model ? { model } : {}),
    ...(request.replay ? { replay: request.replay } : {}),
    ...(config.engine === 'swarm' ? { frontDoorReplicas: config.litellm.replicas } : {}),
    ...((request.replicas ?? judgesReplicas(config))
      ? { replicas: () => judgeStackReplicas(ctx, stack, Math.min(timeoutMs, VANTAGE_DEADLINE_MS), async () => docker ?? ctx.deps.docker()) }
      : {}),
  };
  const deps = {
    clock: ctx.deps.clock,
    nonce: () => `nonce-${ctx.deps.randomBytes(8).toString('hex')}`,
    diagnose: (server: ServerTarget) => diagnoseServer(server, docker, (target) => fromLiteLLM(target.name), litellmService(stack.model).containerName),
    onStep: (step: ProbeStep) => ctx.ui.verbose(`probe ${step.id}: ${step.status} (${step.ms} ms)`),
  };
  const probe = (key: string, keyGrantsAll: boolean, noGrantKey?: ProbePlan['noGrantKey']) =>
    runProbe({ ...basePlan, key, keyGrantsAll, ...(noGrantKey ? { noGrantKey } : {}) }, deps);

  // The probe's own key, granted every server, and one with no grant for the authorization level: both are
  // LiteLLM rows written for this run and revoked at its end.
  let opened = false;
  try {
    return await withKeyStore(
      ctx,
      stack,
      async (store) => {
        opened = true;
        const noGrantKey = () => temporaryKey(ctx, store, stack, []);
        if (request.key) return probe(request.key, false, noGrantKey);
        const probeKey = await temporaryKey(
          ctx,
          store,
          stack,
          servers.map((server) => server.name),
        );
        try {
          return await probe(probeKey.key, true, noGrantKey);
        } finally {
          await probeKey.release();
        }
      },
      async () => docker ?? ctx.deps.docker(),
    );
  } catch (error) {
    // Without the database the probe still runs with a key it already has; the no-grant check is skipped.
    const fallback = request.key ? { alias: '--key', key: request.key } : basePlan.declaredKeys[0];
    if (opened || !fallback) throw error;
    ctx.ui.warn(
      `cannot reach LiteLLM's database (${(error as Error).message}); probing with ${request.key ? 'the key given with --key' : `key ${fallback.alias}`}, without the no-grant check`,
    );
    return probe(fallback.key, false);
  }
}

function temporaryKey(ctx: OpContext, store: KeyStore, stack: LoadedStack, servers: string[]): Promise<KeyLease> {
  return leaseKey(store, serverIds(stack.model), servers, {
    randomBytes: ctx.deps.randomBytes,
    protect: (key) => ctx.ui.addSecrets([key]),
    prefix: 'mcpgw-probe',
  });
}

function chooseModel(config: McpgwConfig, request: Pick<ProbeRequest, 'llm' | 'model'>): string | undefined {
  if (request.llm === false) {
    if (request.model) throw new UserError('--model and --no-llm contradict each other', 'drop one of them');
    return undefined;
  }
  const model = request.model ?? probeModelName(config);
  if (request.llm === true && !model) {
    throw new UserError(
      '--llm needs a model, and mcpgw.yaml declares none',
      'set probe_model: canary (no provider key needed), add one under litellm.models, or pass --model NAME',
    );
  }
  return model;
}

function declaredKeyTargets(stack: LoadedStack): DeclaredKeyTarget[] {
  const { config } = stack.loaded;
  return declaredKeyValues(config, stack.secrets).map((declared) => ({ ...declared, servers: serversGrantedTo(config, declared.alias).sort() }));
}
