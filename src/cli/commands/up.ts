import { systemClock } from '../../time/clock.js';
import { engineOrSetUp, ensureHostCommand, localHostShell } from '../../docker/engine-setup.js';
import { BUILTIN_BASE_IMAGE } from '../../images/builtin.js';
import { ReportedFailure } from '../../errors.js';
import { localBuilds } from '../../stack/images.js';
import { declaredKeys, legacyServerIds } from '../../keys/desired.js';
import { assertStdioCommands } from '../../mcp/stdio-check.js';
import type { KeyChange } from '../../keys/store.js';
import type { ProbeReport } from '../../probe/types.js';
import { writeRendered } from '../../render/write.js';
import { planIsNoop, type StackPlan } from '../../stack/plan.js';
import { StackRunner } from '../../ops/stack-runner.js';
import { createProgress } from '../../ui/progress.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';
import { loadStack } from '../load-stack.js';
import { withKeyStore } from './keys.js';
import { failureSummary, formatReport, probeStack } from './probe.js';

export interface UpOptions {
  dryRun?: boolean;
  /** commander's --no-probe sets false. */
  probe?: boolean;
  /** Install (Debian's docker.io) and start the Docker engine when none answers, without asking. */
  installDocker?: boolean;
}

export async function upCommand(ctx: CommandContext, options: UpOptions): Promise<void> {
  const { ui, deps } = ctx;
  const stack = await loadStack(ctx);
  // Declared keys are checked before anything starts: a missing or malformed key is a config error.
  const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
  const progress = await createProgress(ui, deps.stderr);
  const hostSetup = { shell: localHostShell, progress, ...(deps.confirm ? { confirm: deps.confirm } : {}), consented: options.installDocker === true };
  const engine = await engineOrSetUp(deps.env, { ...hostSetup, clock: systemClock });
  const builds = localBuilds(stack.loaded.config, engine, progress, deps.env);
  if (builds.recipes.length > 0 && !(await engine.imageId(BUILTIN_BASE_IMAGE))) {
    await ensureHostCommand('debootstrap', 'debootstrap', `to build ${BUILTIN_BASE_IMAGE}, the base of the images mcpgw builds`, hostSetup);
  }
  const runner = new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, { engine, clock: systemClock, signal: deps.signal, progress });

  if (options.dryRun) {
    const { plan } = await runner.plan();
    if (ctx.options.json) ui.json({ dryRun: true, plan: describePlan(plan) });
    else ui.result(formatPlan(plan));
    return;
  }

  const renderStep = progress.start('render');
  const written = await writeRendered(stack.loaded.dir, stack.files);
  const changed = written.filter((file) => file.state !== 'unchanged');
  renderStep.succeed(changed.length === 0 ? 'files up to date' : `wrote ${changed.map((file) => file.path).join(', ')}`);

  await runner.ensureImages(builds);
  const { plan, desired } = await runner.plan();
  const report = await runner.apply(plan, desired);
  const keyStep = progress.start('keys');
  const legacy = legacyServerIds(stack.model);
  let keyChanges: KeyChange[] = [];
  if (keys.length === 0 && legacy.size === 0) keyStep.skip('no keys declared in mcpgw.yaml');
  else {
    // Also with no key declared: sync first moves grants still naming LiteLLM's derived server ids to the pinned
    // ones, so keys made with `keys create` (or in LiteLLM's UI) keep their servers.
    const synced = await withKeyStore(ctx, stack, async (store) => ({ changes: await store.sync(keys, { dryRun: false, legacyServerIds: legacy }), migrated: store.migratedGrants }), async () => engine);
    keyChanges = synced.changes;
    const changed = keyChanges.filter((change) => change.action !== 'keep');
    const detail = changed.length > 0 ? changed.map((change) => `${change.action}d ${change.alias}`).join(', ') : keys.length === 0 ? 'no keys declared in mcpgw.yaml' : `${keys.length} key(s) in place`;
    keyStep.succeed(synced.migrated > 0 ? `${detail}; moved ${synced.migrated} grant row(s) to the pinned server ids` : detail);
  }
  const stdioStep = progress.start('stdio commands');
  const checked = await assertStdioCommands(engine, stack.model).catch((error: unknown) => {
    stdioStep.fail('missing in the LiteLLM container');
    throw error;
  });
  if (checked === 0) stdioStep.skip('no stdio server runs inside LiteLLM');
  else stdioStep.succeed(`${checked} command(s) present in the LiteLLM container`);
  const probeStep = progress.start('probe');
  let probe: ProbeReport | undefined;
  if (options.probe === false) probeStep.skip('--no-probe');
  else {
    probe = await probeStack(ctx, stack, {}, engine);
    const failed = probe.steps.filter((step) => step.status === 'fail');
    const warned = probe.steps.filter((step) => step.status === 'warn').length;
    const warnings = warned > 0 ? `, ${warned} warning${warned === 1 ? '' : 's'} (\`mcpgw probe\` shows ${warned === 1 ? 'it' : 'them'})` : '';
    if (failed.length === 0) probeStep.succeed(`${probe.steps.filter((step) => step.status === 'pass').length} checks passed end to end${warnings}`);
    else probeStep.fail(failed.map((step) => step.id).join(', '));
  }

  if (ctx.options.json) {
    const keysChanged = keyChanges.some((change) => change.action !== 'keep');
    ui.json({ ok: probe?.ok ?? true, changed: !planIsNoop(plan) || keysChanged, services: report.services, keys: keyChanges, notes: report.notes, gateway: stack.model.gatewayUrl, ...(probe ? { probe } : {}) });
  } else {
    ui.result(
      formatTable(
        ['SERVICE', 'ACTION', 'READY', 'ENDPOINT'],
        report.services.map((service) => [service.service, service.action, service.ready, service.endpoint ?? '']),
      ),
    );
    for (const note of report.notes) ui.result(`note: ${note}`);
    ui.result('');
    ui.result(`gateway: ${stack.model.gatewayUrl}  (header x-litellm-api-key: Bearer <virtual key>)`);
    // A passing probe is summed up in the progress line; a failing one is shown whole, causes and fixes included.
    if (probe && !probe.ok) ui.result(`\n${formatReport(probe)}`);
    else ui.result(nextStep(stack.loaded.config.keys[0]?.alias));
  }
  if (probe && !probe.ok) throw new ReportedFailure(failureSummary(probe), 'the stack is up, but the probe above names what does not work; `mcpgw probe` re-runs it');
}

/** What a user does once the gateway works: connect a client with a declared key, or make one first. */
function nextStep(alias: string | undefined): string {
  const clients = '(or gemini, codex, vscode, cursor, claude-desktop, openwebui)';
  return alias
    ? `next: mcpgw client-config claude --key-alias ${alias}   ${clients}`
    : `next: mcpgw keys create --alias NAME --mcp SERVER, then mcpgw client-config claude --key sk-…   ${clients}`;
}

function describePlan(plan: StackPlan) {
  return {
    networks: plan.networks,
    volumes: plan.volumes,
    services: plan.services.map((entry) => ({ service: entry.service.name, action: entry.action, reason: entry.reason })),
    remove: plan.orphans.map((orphan) => orphan.name),
    conflicts: plan.conflicts.map((container) => container.name),
  };
}

function formatPlan(plan: StackPlan): string {
  const rows = [
    ...plan.networks.map((network) => ['network', network.name, network.action, '']),
    ...plan.volumes.map((volume) => ['volume', volume.name, volume.action, '']),
    ...plan.services.map((entry) => ['container', entry.service.containerName, entry.action, entry.reason]),
    ...plan.orphans.map((orphan) => ['container', orphan.name, 'remove', 'no longer in mcpgw.yaml']),
    ...plan.conflicts.map((container) => ['container', container.name, 'CONFLICT', 'name taken by a container mcpgw does not manage']),
  ];
  return `${formatTable(['KIND', 'NAME', 'ACTION', 'WHY'], rows)}\n${planIsNoop(plan) ? 'nothing to change' : 'run `mcpgw up` to apply'}`;
}
