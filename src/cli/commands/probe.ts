import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serversGrantedTo } from '../../config/grants.js';
import { keySecretName } from '../../config/rules.js';
import type { McpgwConfig } from '../../config/schema.js';
import { DockerEngine } from '../../docker/engine.js';
import { litellmAnswers, VANTAGE_DEADLINE_MS } from '../../gateway/vantage.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { serverIds } from '../../keys/desired.js';
import { leaseKey } from '../../keys/lease.js';
import type { KeyStore } from '../../keys/store.js';
import type { KeyLease } from '../../keys/lease.js';
import type { DeclaredKeyTarget } from '../../probe/auth-level.js';
import { diagnoseServer, type ServerTarget } from '../../probe/diagnose.js';
import { runProbe, type ProbePlan } from '../../probe/probe.js';
import { serverTargets } from '../../probe/targets.js';
import { litellmBaseUrl, litellmPlace, litellmService, probeModelName } from '../../stack/model.js';
import type { ProbeReport, ProbeStep } from '../../probe/types.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';
import { loadStack, type LoadedStack } from '../load-stack.js';
import { withKeyStore } from './keys.js';

export interface ProbeOptions {
  key?: string;
  server?: string;
  /** commander's --llm / --no-llm: undefined means "when a model is configured". */
  llm?: boolean;
  /** The model asked to run a tool, instead of probe_model / the first declared model. */
  model?: string;
  timeout?: string;
  replay?: string;
}

/**
 * A session's first listing waits for LiteLLM's list-change relay, which visits the granted servers one after
 * another (subscriptions.py in 1.108.7), each listing with a new upstream session (a stdio server LiteLLM runs: a
 * new process): /mcp/ can take long.
 */
const DEFAULT_TIMEOUT = '120s';
const STATUS_LABEL = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

export async function probeCommand(ctx: CommandContext, options: ProbeOptions): Promise<void> {
  const stack = await loadStack(ctx);
  const report = await probeStack(ctx, stack, options);
  if (ctx.options.json) ctx.ui.json(report);
  else ctx.ui.result(formatReport(report));
  if (!report.ok) throw new ReportedFailure(failureSummary(report), 'each FAIL above names its cause and fix');
}

export function failureSummary(report: ProbeReport): string {
  const failed = report.steps.filter((step) => step.status === 'fail');
  return `probe failed: ${failed.map((step) => step.id).join(', ')}`;
}

/** Builds the probe plan from mcpgw.yaml and runs it; `up` calls this too, with the engine it already holds. */
export async function probeStack(ctx: CommandContext, stack: LoadedStack, options: ProbeOptions, engine?: DockerEngine): Promise<ProbeReport> {
  const { config } = stack.loaded;
  const timeoutMs = flagDuration('--timeout', options.timeout ?? DEFAULT_TIMEOUT, '120') * 1000;
  const model = chooseModel(config, options);
  const servers = serverTargets(config, stack.model, options.server);
  const replay = options.replay ? await readReplay(path.resolve(ctx.deps.cwd, options.replay)) : undefined;
  if (options.key) ctx.ui.addSecrets([options.key]);
  const docker = engine ?? (await DockerEngine.connect(ctx.deps.env).catch(() => undefined));
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
    declaredKeys: options.server ? [] : declaredKeyTargets(stack),
    timeoutMs,
    ...(model ? { model } : {}),
    ...(replay ? { replay } : {}),
  };
  const deps = {
    now: () => ctx.deps.clock.now().getTime(),
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
    return await withKeyStore(ctx, stack, async (store) => {
      opened = true;
      const noGrantKey = () => temporaryKey(ctx, store, stack, []);
      if (options.key) return probe(options.key, false, noGrantKey);
      const probeKey = await temporaryKey(ctx, store, stack, servers.map((server) => server.name));
      try {
        return await probe(probeKey.key, true, noGrantKey);
      } finally {
        await probeKey.release();
      }
    }, async () => docker ?? DockerEngine.connect(ctx.deps.env));
  } catch (error) {
    // Without the database the probe still runs with a key it already has; the no-grant check is skipped.
    const fallback = options.key ? { alias: '--key', key: options.key } : basePlan.declaredKeys[0];
    if (opened || !fallback) throw error;
    ctx.ui.warn(`cannot reach LiteLLM's database (${(error as Error).message}); probing with ${options.key ? 'the key given with --key' : `key ${fallback.alias}`}, without the no-grant check`);
    return probe(fallback.key, false);
  }
}

function temporaryKey(ctx: CommandContext, store: KeyStore, stack: LoadedStack, servers: string[]): Promise<KeyLease> {
  return leaseKey(store, serverIds(stack.model), servers, { randomBytes: ctx.deps.randomBytes, protect: (key) => ctx.ui.addSecrets([key]), prefix: 'mcpgw-probe' });
}

function chooseModel(config: McpgwConfig, options: Pick<ProbeOptions, 'llm' | 'model'>): string | undefined {
  if (options.llm === false) {
    if (options.model) throw new UserError('--model and --no-llm contradict each other', 'drop one of them');
    return undefined;
  }
  const model = options.model ?? probeModelName(config);
  if (options.llm === true && !model) {
    throw new UserError('--llm needs a model, and mcpgw.yaml declares none', 'set probe_model: canary (no provider key needed), add one under litellm.models, or pass --model NAME');
  }
  return model;
}

function declaredKeyTargets(stack: LoadedStack): DeclaredKeyTarget[] {
  const { config } = stack.loaded;
  return config.keys.flatMap((key) => {
    const value = stack.secrets.get(key.secret ?? keySecretName(key.alias));
    if (!value) return [];
    return [{ alias: key.alias, key: value, servers: serversGrantedTo(config, key.alias).sort() }];
  });
}

async function readReplay(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give the path of a JSON request body saved from your client');
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, 'save the request body exactly as the client sent it');
  }
  throw new UserError(`${file} is not a JSON object`, 'save the request body (an object with "messages" or "input")');
}

const LEVEL_TITLES = { gateway: 'gateway', mcp: 'MCP through the gateway', auth: 'authorization', llm: 'LLM executes MCP tools' } as const;

export function formatReport(report: ProbeReport): string {
  const lines: string[] = [`probe of ${report.gateway}${report.litellmVersion ? ` (LiteLLM ${report.litellmVersion})` : ''}`];
  let level = '';
  for (const step of report.steps) {
    if (step.level !== level) {
      level = step.level;
      lines.push('', LEVEL_TITLES[step.level]);
    }
    lines.push(`  ${STATUS_LABEL[step.status]}  ${step.title}  (${step.ms} ms)`);
    for (const line of step.evidence) lines.push(`          ${line}`);
    for (const cause of step.causes) lines.push(`          cause: ${cause.cause}`, ...(cause.seen ? [`          seen:  ${cause.seen}`] : []), `          fix:   ${cause.fix}`);
  }
  const count = (status: ProbeStep['status']) => report.steps.filter((step) => step.status === status).length;
  lines.push('', `${report.ok ? 'ok' : 'FAILED'}: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`);
  return lines.join('\n');
}
