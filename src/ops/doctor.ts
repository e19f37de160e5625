import { CHECKS } from '../doctor/checks/index.js';
import { DoctorContext } from '../doctor/context.js';
import { runChecks, selectChecks } from '../doctor/runner.js';
import type { DoctorReport } from '../doctor/types.js';
import { UserError } from '../errors.js';
import { readIfExists } from '../fs.js';
import { connectCluster } from '../swarm/cluster.js';
import type { OpContext } from './context.js';
import { swarmRendering } from './stack.js';

export interface DoctorRequest {
  /** Check ids or areas; all when empty. */
  only: string[];
  /** Skip the checks that call the upstream model. */
  offline: boolean;
  /** Judge the replicas also on one engine with one LiteLLM. */
  replicas?: boolean;
  /** Each check's own deadline. */
  timeoutMs: number;
}

/** Deadline of one request inside a check; the check's own deadline bounds the whole check. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function diagnoseStack(ctx: OpContext, request: DoctorRequest): Promise<DoctorReport> {
  const checks = selectChecks(CHECKS, request.only);
  // Without mcpgw.yaml there is no stack to diagnose: a usage error, not 31 skipped checks.
  if ((await readIfExists(ctx.configFile, 'mcpgw.yaml file')) === undefined)
    throw new UserError(`${ctx.configFile} not found`, 'run mcpgw doctor next to your mcpgw.yaml, or pass -f PATH');
  const doctor = new DoctorContext({
    configFile: ctx.configFile,
    cwd: ctx.deps.cwd,
    env: ctx.deps.env,
    clock: ctx.deps.clock,
    randomBytes: ctx.deps.randomBytes,
    protect: (values) => ctx.ui.addSecrets(values),
    docker: ctx.deps.docker,
    database: ctx.deps.database,
    hostShell: ctx.deps.hostShell,
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, request.timeoutMs),
    offline: request.offline,
    replicas: request.replicas === true,
    uid: process.getuid?.(),
    // Each asked once per run (the context memoizes them): every swarm check, the replicas and the database tunnel share them.
    swarmRendering: (loaded, model) => swarmRendering(ctx, loaded, model),
    connectSwarm: (swarm) => connectCluster(swarm, ctx.deps.env, ctx.deps.dockerAt),
  });
  try {
    return await runChecks(doctor, checks, { only: request.only, timeoutMs: request.timeoutMs });
  } finally {
    await doctor.close();
  }
}
