import { engineOrSetUp, ensureHostCommand } from '../docker/engine-setup.js';
import { DOCKER_USER } from '../docker/firewall.js';
import { BUILTIN_BASE_IMAGE } from '../images/builtin.js';
import { declaredKeys, legacyServerIds } from '../keys/desired.js';
import type { KeyChange } from '../keys/store.js';
import { assertStdioCommands } from '../mcp/stdio-check.js';
import type { ProbeReport } from '../probe/types.js';
import { writeRendered } from '../render/write.js';
import { describeExtra, extraPublished, guardStack } from '../stack/firewall.js';
import { localBuilds } from '../stack/images.js';
import type { StackPlan } from '../stack/plan.js';
import type { Engine } from '../docker/engine.js';
import type { OpContext } from './context.js';
import { withKeyStore } from './key-store.js';
import { probeStack } from './probe.js';
import { StackRunner, type UpReport } from './stack-runner.js';
import { UserError } from '../errors.js';
import { imageVersion } from '../litellm/version.js';
import { changesVersion, runningLitellmVersion } from '../upgrade/target.js';
import { STACK_LABEL } from '../stack/labels.js';
import { litellmService } from '../stack/model.js';
import { loadStack, type LoadedStack } from './stack.js';
import type { SwarmDeployReport } from '../swarm/deploy.js';
import { upOnSwarm } from './up-swarm.js';

export interface UpRequest {
  dryRun?: boolean;
  /** false skips the end-to-end probe after start-up. */
  probe?: boolean;
  /** Install (Debian's docker.io) and start the Docker engine when none answers, without asking. */
  installDocker?: boolean;
}

export type UpOutcome =
  | { dryRun: true; stack: LoadedStack; plan: StackPlan }
  | { dryRun: false; stack: LoadedStack; report: UpReport; keyChanges: KeyChange[]; probe?: ProbeReport }
  | { dryRun: false; stack: LoadedStack; swarm: SwarmDeployReport; keyChanges: KeyChange[]; probe?: ProbeReport };

/**
 * Render, images, containers in order (each gated on real health), declared keys, the stdio commands LiteLLM
 * spawns, then the end-to-end probe: each a progress step on stderr; the outcome is for the command to show.
 */
export async function upStack(ctx: OpContext, request: UpRequest): Promise<UpOutcome> {
  const { deps } = ctx;
  const stack = await loadStack(ctx, { dryRun: request.dryRun === true });
  // Declared keys are checked before anything starts: a missing or malformed key is a config error.
  const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
  if (request.dryRun && stack.loaded.config.engine === 'swarm') {
    throw new UserError(
      '--dry-run plans containers on one engine; a swarm converges to the stack file `mcpgw render` writes',
      'run `mcpgw render` and read swarm/stack.yml',
    );
  }
  const progress = await ctx.progress();
  const hostSetup = { shell: deps.hostShell, progress, ...(deps.confirm ? { confirm: deps.confirm } : {}), consented: request.installDocker === true };
  const engine = await engineOrSetUp(deps.env, { ...hostSetup, clock: deps.clock, connect: deps.docker });
  const builds = localBuilds(stack.loaded.config, engine, progress, deps.env, deps.clock);
  if (builds.recipes.length > 0 && !(await engine.imageId(BUILTIN_BASE_IMAGE))) {
    await ensureHostCommand('debootstrap', 'debootstrap', `to build ${BUILTIN_BASE_IMAGE}, the base of the images mcpgw builds`, hostSetup);
  }
  const guard = () => guardLan(ctx, stack, engine);
  const runner = new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, {
    engine,
    clock: deps.clock,
    signal: deps.signal,
    progress,
    guard,
  });
  if (stack.loaded.config.engine === 'swarm') {
    await writeFiles(ctx, stack);
    await runner.ensureImages(builds);
    const swarm = await upOnSwarm(ctx, stack, engine, progress);
    return { dryRun: false, stack, swarm, ...(await keysAndProbe(ctx, stack, keys, request, engine)) };
  }
  if (request.dryRun) return { dryRun: true, stack, plan: (await runner.plan()).plan };
  // Before anything is written or started.
  await assertLiteLLMStays(stack, engine);
  await writeFiles(ctx, stack);
  await runner.ensureImages(builds);
  const { plan, desired } = await runner.plan();
  const report = await runner.apply(plan, desired);
  return { dryRun: false, stack, report, ...(await keysAndProbe(ctx, stack, keys, request, engine)) };
}

async function writeFiles(ctx: OpContext, stack: LoadedStack): Promise<void> {
  const renderStep = (await ctx.progress()).start('render');
  const written = await writeRendered(stack.loaded.dir, stack.files);
  const changed = written.filter((file) => file.state !== 'unchanged');
  renderStep.succeed(changed.length === 0 ? 'files up to date' : `wrote ${changed.map((file) => file.path).join(', ')}`);
}

/** Once LiteLLM serves, on one engine or a swarm: the declared keys, the stdio commands it spawns, then the probe. */
async function keysAndProbe(
  ctx: OpContext,
  stack: LoadedStack,
  keys: ReturnType<typeof declaredKeys>,
  request: UpRequest,
  engine: Engine,
): Promise<{ keyChanges: KeyChange[]; probe?: ProbeReport }> {
  const progress = await ctx.progress();
  const keyStep = progress.start('keys');
  const legacy = legacyServerIds(stack.model);
  let keyChanges: KeyChange[] = [];
  if (keys.length === 0 && legacy.size === 0) keyStep.skip('no keys declared in mcpgw.yaml');
  else {
    // Also with no key declared: sync first moves grants still naming LiteLLM's derived server ids to the pinned
    // ones, so keys made with `keys create` (or in LiteLLM's UI) keep their servers.
    const synced = await withKeyStore(
      ctx,
      stack,
      async (store) => ({
        changes: await store.sync(keys, { dryRun: false, legacyServerIds: legacy }),
        migrated: store.migratedGrants,
        closedRoutes: store.closedRoutes,
      }),
      async () => engine,
    );
    keyChanges = synced.changes;
    const changedKeys = keyChanges.filter((change) => change.action !== 'keep');
    const detail =
      changedKeys.length > 0
        ? changedKeys.map((change) => `${change.action}d ${change.alias}`).join(', ')
        : keys.length === 0
          ? 'no keys declared in mcpgw.yaml'
          : `${keys.length} key(s) in place`;
    const notes = [
      ...(synced.migrated > 0 ? [`moved ${synced.migrated} grant row(s) to the pinned server ids`] : []),
      ...(synced.closedRoutes > 0 ? [`closed the pass-through routes to ${synced.closedRoutes} older key(s)`] : []),
    ];
    keyStep.succeed([detail, ...notes].join('; '));
  }
  const stdioStep = progress.start('stdio commands');
  const checked = await assertStdioCommands(engine, stack.model).catch((error: unknown) => {
    stdioStep.fail('missing in the LiteLLM container');
    throw error;
  });
  if (checked === 0) stdioStep.skip('no stdio server runs inside LiteLLM');
  else stdioStep.succeed(`${checked} command(s) present in the LiteLLM container`);
  const probeStep = progress.start('probe');
  if (request.probe === false) {
    probeStep.skip('--no-probe');
    return { keyChanges };
  }
  const probe = await probeStack(ctx, stack, {}, engine);
  const failed = probe.steps.filter((step) => step.status === 'fail');
  const warned = probe.steps.filter((step) => step.status === 'warn').length;
  const warnings = warned > 0 ? `, ${warned} warning${warned === 1 ? '' : 's'} (\`mcpgw probe\` shows ${warned === 1 ? 'it' : 'them'})` : '';
  if (failed.length === 0) probeStep.succeed(`${probe.steps.filter((step) => step.status === 'pass').length} checks passed end to end${warnings}`);
  else probeStep.fail(failed.map((step) => step.id).join(', '));
  return { keyChanges, probe };
}

/**
 * A recreate removes the old container before the new one starts: fine for a config change, not for another
 * LiteLLM version, whose migrations need a backup, a rehearsal and a way back — what `mcpgw upgrade` does. The
 * same holds for an adopted deployment whose own LiteLLM container still serves.
 */
async function assertLiteLLMStays(stack: LoadedStack, engine: Engine): Promise<void> {
  const fix = '`mcpgw upgrade` (it backs up, rehearses the migrations, keeps the old container stopped and rolls back on failure)';
  const adopted = stack.loaded.config.adopted?.litellm_container;
  const all = await engine.listContainers([]);
  if (adopted && all.some((container) => container.name === adopted && container.state === 'running'))
    throw new UserError(`the adopted LiteLLM container ${adopted} still serves: \`up\` would start mcpgw's LiteLLM next to it on the same database`, fix);
  const service = litellmService(stack.model);
  const running = all.find((container) => container.name === service.containerName && container.labels[STACK_LABEL] === stack.model.name);
  if (!running) return;
  const version = await runningLitellmVersion(engine, running);
  if (!changesVersion(version, service.image)) return;
  throw new UserError(
    `mcpgw.yaml names LiteLLM ${imageVersion(service.image) ?? service.image}, the container ${running.name} runs ${version} (${running.image}): ` +
      "`up` does not change LiteLLM's version in place (it would remove the old container first, with nothing to fall back to)",
    fix,
  );
}

/**
 * Once the networks exist and before any container starts: DOCKER-USER rules that let forwarded traffic into the
 * stack's bridges only through published ports (src/docker/firewall.ts says why Docker's own rules do not), on
 * every up: they also cover a host whose FORWARD policy lets everything through. Without root or iptables nothing
 * is installed, and that is warned about when a port besides LiteLLM's is published, the case Docker itself opens.
 */
async function guardLan(ctx: OpContext, stack: LoadedStack, engine: Engine): Promise<void> {
  const step = (await ctx.progress()).start('lan guard');
  const outcome = await guardStack(await ctx.deps.hostShell(), engine, stack.model).catch((error: unknown) => {
    step.fail((error as Error).message);
    throw error;
  });
  if (outcome.readable) {
    step.succeed(
      `${DOCKER_USER} lets forwarded traffic into ${outcome.bridges.join(', ')} only through published ports (${outcome.rules} rules, ${outcome.action})`,
    );
    return;
  }
  step.skip(`no ${DOCKER_USER} rules: ${outcome.reason}`);
  const extras = extraPublished(stack.model);
  if (extras.length > 0)
    ctx.ui.warn(
      `${describeExtra(extras)} published: Docker forwards a published port to any LAN host that routes the stack's bridges via this machine, ` +
        `whatever address it was published on; ${outcome.fix} to install ${DOCKER_USER} rules, or remove publish / postgres.host_port`,
    );
}
