import { ReportedFailure } from '../../errors.js';
import { KEY_HEADER, keyHeaderValue } from '../../gateway/key-header.js';
import type { LoadedStack } from '../../ops/stack.js';
import type { UpOutcome } from '../../ops/up.js';
import type { ProbeReport } from '../../probe/types.js';
import { planIsNoop, type StackPlan } from '../../stack/plan.js';
import { formatTable } from '../../ui/table.js';
import type { CommandContext } from '../context.js';
import { formatProbeReport, probeFailureSummary } from '../../probe/report.js';

/** Shows what `up` did (or, dry, would do); a failed probe sets exit 1 once its report is out. */
export function reportUp(ctx: CommandContext, outcome: UpOutcome): void {
  const { ui } = ctx;
  if (outcome.dryRun) {
    if (ctx.options.json) ui.json({ dryRun: true, plan: describePlan(outcome.plan) });
    else ui.result(formatPlan(outcome.plan));
    return;
  }
  const { stack, keyChanges, probe } = outcome;
  const keysChanged = keyChanges.some((change) => change.action !== 'keep');
  if ('swarm' in outcome) {
    const { swarm } = outcome;
    if (ctx.options.json) {
      ui.json({
        ok: probe?.ok ?? true,
        engine: 'swarm',
        dataNode: swarm.dataNode,
        services: swarm.services,
        keys: keyChanges,
        gateway: stack.model.gatewayUrl,
        ...(probe ? { probe } : {}),
      });
    } else {
      ui.result(
        formatTable(
          ['SERVICE', 'STAGE', 'TASKS', 'NODES'],
          swarm.services.map((entry) => [
            entry.service,
            entry.stage,
            String(entry.tasks.length),
            [...new Set(entry.tasks.map((task) => task.node))].join(', '),
          ]),
        ),
      );
      showGateway(ctx, stack, probe);
    }
  } else if (ctx.options.json) {
    const { report } = outcome;
    ui.json({
      ok: probe?.ok ?? true,
      changed: !planIsNoop(report.plan) || keysChanged,
      services: report.services,
      keys: keyChanges,
      notes: report.notes,
      gateway: stack.model.gatewayUrl,
      ...(probe ? { probe } : {}),
    });
  } else {
    const { report } = outcome;
    ui.result(
      formatTable(
        ['SERVICE', 'ACTION', 'READY', 'ENDPOINT'],
        report.services.map((service) => [service.service, service.action, service.ready, service.endpoint ?? '']),
      ),
    );
    for (const note of report.notes) ui.result(`note: ${note}`);
    showGateway(ctx, stack, probe);
  }
  if (probe && !probe.ok)
    throw new ReportedFailure(probeFailureSummary(probe), 'the stack is up, but the probe above names what does not work; `mcpgw probe` re-runs it');
}

/** Where clients connect, then the failing probe's report whole (causes and fixes included) or the next step. */
function showGateway(ctx: CommandContext, stack: LoadedStack, probe: ProbeReport | undefined): void {
  ctx.ui.result('');
  ctx.ui.result(`gateway: ${stack.model.gatewayUrl}  (header ${KEY_HEADER}: ${keyHeaderValue('<virtual key>')})`);
  if (probe && !probe.ok) ctx.ui.result(`\n${formatProbeReport(probe)}`);
  else ctx.ui.result(nextStep(ctx.invocation, stack.loaded.config.keys[0]?.alias));
}

/** What a user does once the gateway works: connect a client with a declared key, or make one first. */
function nextStep(mcpgw: string, alias: string | undefined): string {
  const clients = '(or gemini, codex, vscode, cursor, claude-desktop, openwebui)';
  return alias
    ? `next: ${mcpgw} client-config claude --key-alias ${alias}   ${clients}`
    : `next: ${mcpgw} keys create --alias NAME --mcp SERVER, then ${mcpgw} client-config claude --key sk-…   ${clients}`;
}

function describePlan(plan: StackPlan) {
  return {
    networks: plan.networks,
    volumes: plan.volumes,
    services: plan.services.map((entry) => ({ service: entry.service.name, action: entry.action, reason: entry.reason })),
    remove: plan.orphans.map((orphan) => orphan.name),
    retired_networks: plan.retired,
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
    ...plan.retired.map((name) => ['network', name, 'remove', 'the former shared MCP network, once nothing is attached']),
  ];
  return `${formatTable(['KIND', 'NAME', 'ACTION', 'WHY'], rows)}\n${planIsNoop(plan) ? 'nothing to change' : 'run `mcpgw up` to apply'}`;
}
