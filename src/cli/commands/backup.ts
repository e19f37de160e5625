import { BACKUP_KEY_SECRET } from '../../backup/auth.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { backupStack, describeBackup, restoreStack } from '../../ops/backup.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { formatProbeReport, probeFailureSummary } from '../../probe/report.js';

export async function backupCommand(ctx: CommandContext, options: CommandOptions<'backup'>): Promise<void> {
  const keep = options.keep === undefined ? undefined : Number(options.keep);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1))
    throw new UserError(`--keep ${options.keep} is not a whole number ≥ 1`, 'e.g. --keep 7 keeps the seven newest backups');
  const { file, manifest, removed, keyAddedTo } = await backupStack(ctx, {
    ...(options.out ? { out: options.out } : {}),
    ...(keep !== undefined ? { keep } : {}),
  });
  if (keyAddedTo) ctx.ui.warn(`added ${BACKUP_KEY_SECRET} to ${keyAddedTo} (backups are signed with it; keep it with the secrets file)`);
  if (ctx.options.json) {
    ctx.ui.json({ file, manifest, removed, ...(keyAddedTo ? { keyAddedTo } : {}) });
    return;
  }
  ctx.ui.result(file);
  ctx.ui.info(`sha256 ${manifest.dump.sha256}; ${describeBackup(manifest)}`);
  for (const name of removed) ctx.ui.info(`removed old backup ${name} (--keep ${keep})`);
}

export async function restoreCommand(ctx: CommandContext, file: string, options: CommandOptions<'restore'>): Promise<void> {
  const { ui } = ctx;
  const { archive, report, probe } = await restoreStack(ctx, file, { yes: options.yes, force: options.force, trust: options.trust, probe: options.probe });
  const probeOk = report.probe?.ok ?? true;
  if (ctx.options.json) {
    ui.json({ ok: probeOk, file: archive, ...report, ...(probe ? { probe } : {}) });
  } else {
    ui.result(`restored ${archive} (${describeBackup(report.manifest)})`);
    if (!report.authenticity.ok) ui.warn(`restored an unsigned backup (--trust): it ${report.authenticity.detail}`);
    if (report.forced) ui.warn(`restored despite an incompatible schema (--force): ${report.compatibility.compatible ? '' : report.compatibility.reason}`);
    if (probe && !probeOk) ui.result(`\n${formatProbeReport(probe)}`);
  }
  // Like up: the report (ok: false) is already on stdout, so the failure only sets the exit code.
  if (probe && !probeOk)
    throw new ReportedFailure(probeFailureSummary(probe), 'the data is restored, but the probe above names what does not work; `mcpgw probe` re-runs it');
}
