import type { AdoptReport } from '../../adopt/analyse.js';
import { ReportedFailure } from '../../errors.js';
import { adoptDeployment, type AdoptOutcome } from '../../ops/adopt.js';
import { formatTable } from '../../ui/table.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

/** Exit 1 when something blocks the adoption (each blocker named with its fix); the report is on stdout first. */
export async function adoptCommand(ctx: CommandContext, target: string, options: CommandOptions<'adopt'>): Promise<void> {
  const { ui } = ctx;
  const outcome = await adoptDeployment(ctx, { target, write: Boolean(options.write) });
  const { report } = outcome;
  if (ctx.options.json) ui.json({ ...report, ...(outcome.written ? { written: outcome.written } : {}), elapsed_ms: outcome.elapsedMs });
  else printReport(ctx, outcome);
  const blockers = report.findings.filter((finding) => finding.level === 'blocker');
  if (blockers.length > 0)
    throw new ReportedFailure(
      `${blockers.length} thing${blockers.length === 1 ? '' : 's'} block${blockers.length === 1 ? 's' : ''} adopting ${report.compose.file}${options.write ? '; nothing was written' : ''}`,
      blockers.map((blocker) => blocker.fix).join('; '),
    );
}

function printReport(ctx: CommandContext, { report, written, elapsedMs }: AdoptOutcome): void {
  const { ui } = ctx;
  const section = (title: string) => ui.result(`\n${title}`);
  ui.result(
    `compose project ${report.compose.project} (${report.compose.file})${report.compose.externalNetworks.length ? `, external networks: ${report.compose.externalNetworks.join(', ')}` : ''}`,
  );
  ui.result(
    formatTable(
      ['SERVICE', 'IMAGE', 'CONTAINER', 'STATE', 'NETWORKS'],
      report.compose.services.map((service) => [
        service.name,
        service.image ?? '-',
        service.container ?? '-',
        service.state,
        service.networks.join(',') || '-',
      ]),
    ),
  );
  const { litellm } = report;
  section('LiteLLM');
  ui.result(
    `${litellm.container ?? litellm.service}: ${litellm.version ? `${litellm.version} (from ${litellm.versionSource})` : 'version unknown'}, ${litellm.running ? 'running' : 'not running'}; ` +
      `mcpgw's target: ${litellm.target}`,
  );
  if (litellm.autoExecutesChat !== undefined)
    ui.result(`executes MCP tools on /v1/chat/completions: ${litellm.autoExecutesChat ? 'yes' : 'no (from 1.80.10)'}`);
  for (const advisory of litellm.advisories) ui.result(`advisory ${advisory.id}: ${advisory.summary}${advisory.fixed ? ` (fixed in ${advisory.fixed})` : ''}`);
  printFields(ctx, report);
  section('env files (names only)');
  for (const file of report.envFiles) ui.result(`${file.file}: ${file.error ?? (file.names.join(', ') || 'empty')}`);
  if (report.database) {
    section('database');
    ui.result(`${report.database.where}: ${report.database.migrationLevel}`);
    if (report.database.otherDatabases.length) ui.result(`the same server holds other databases: ${report.database.otherDatabases.join(', ')} (never touched)`);
  }
  section(`keys (${report.keys.length})`);
  ui.result(
    formatTable(
      ['KEY', 'KEY_NAME', 'EXPIRES', 'BLOCKED', 'GRANTS', 'MEANT', 'MODELS', 'MADE', 'VALUE IN'],
      report.keys.map((key) => [
        key.label,
        key.keyName ?? '-',
        key.expires ? `${key.expires.slice(0, 10)}${key.expired ? ' (expired)' : ''}` : 'never',
        key.blocked ? 'yes' : 'no',
        key.grants.join(',') || (key.noGrant ? 'none (all before 1.80)' : '-'),
        key.intended.join(',') || '-',
        key.models.join(',') || 'all',
        key.inDatabase ? (key.handMade ? 'by hand' : 'by LiteLLM') : 'not in the database',
        key.valueIn ?? '-',
      ]),
    ),
  );
  if (report.mcpServerRows.length) {
    section('MCP servers in LiteLLM_MCPServerTable');
    ui.result(
      formatTable(
        ['SERVER_ID', 'NAME', 'TRANSPORT', 'URL'],
        report.mcpServerRows.map((row) => [row.serverId, row.name ?? '-', row.transport ?? '-', row.url ?? '-']),
      ),
    );
  }
  section("MCP servers (config.yaml), from LiteLLM's network");
  for (const server of report.mcpServers)
    ui.result(
      `${server.name} (${server.transport ?? 'no transport'}${server.url ? ` ${server.url}` : ''}): ${server.reach}${server.seen ? ` — ${server.seen}` : ''}`,
    );
  section('secrets');
  ui.result(`master key: ${report.secrets.masterKey}; salt key: ${report.secrets.saltKey}`);
  section('findings');
  for (const finding of report.findings) ui.result(`[${finding.level}] ${finding.what}\n    fix: ${finding.fix}`);
  if (written) {
    section('written');
    ui.result(`${written.config}\n${written.secrets} (mode 0600)`);
    for (const backup of written.backups) ui.result(`kept ${backup.file} as ${backup.backup} (sha256 ${backup.sha256})`);
    for (const note of written.notes) ui.result(`note: ${note}`);
  }
  ui.info(`adopt took ${(elapsedMs / 1000).toFixed(1)} s`);
}

function printFields(ctx: CommandContext, report: AdoptReport): void {
  const { ui } = ctx;
  ui.result(`\nconfig.yaml${report.config.file ? ` (${report.config.file})` : ''}`);
  const notable = report.config.fields.filter((field) => field.running !== 'honoured' || field.target !== 'honoured');
  const honoured = report.config.fields.length - notable.length;
  ui.result(`${honoured} field${honoured === 1 ? '' : 's'} honoured by both the running LiteLLM and the target`);
  if (notable.length)
    ui.result(
      formatTable(
        ['FIELD', 'RUNNING', 'TARGET', 'WHY', 'INSTEAD'],
        notable.map((field) => [field.path, field.running, field.target, field.why, field.instead ?? '-']),
      ),
    );
}
