import { formatDoctorReport } from '../../doctor/report.js';
import { ReportedFailure } from '../../errors.js';
import { diagnoseStack } from '../../ops/doctor.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';

export async function doctorCommand(ctx: CommandContext, options: CommandOptions<'doctor'>): Promise<void> {
  const timeoutMs = flagDuration('--timeout', options.timeout ?? '60s', '60') * 1000;
  const report = await diagnoseStack(ctx, { only: options.only ?? [], offline: options.offline === true, replicas: options.replicas === true, timeoutMs });
  if (ctx.options.json) ctx.ui.json(report);
  else ctx.ui.result(formatDoctorReport(report, ctx.options.verbose));
  if (!report.ok) {
    throw new ReportedFailure(
      `doctor found ${report.summary.fail} failing check(s): ${report.checks
        .filter((check) => check.status === 'fail')
        .map((check) => check.id)
        .join(', ')}`,
      'each FAIL above names its cause and fix',
    );
  }
}
