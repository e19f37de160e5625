import { connectDatabase } from '../../db/connect.js';
import { DockerEngine } from '../../docker/engine.js';
import { CHECKS } from '../../doctor/checks/index.js';
import { DoctorContext } from '../../doctor/context.js';
import { formatDoctorReport } from '../../doctor/report.js';
import { runChecks, selectChecks } from '../../doctor/runner.js';
import { ReportedFailure, UserError } from '../../errors.js';
import { readIfExists } from '../../fs.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';

export interface DoctorOptions {
  only?: string[];
  offline?: boolean;
  timeout?: string;
}

/** Deadline of one request inside a check; the check's own deadline (--timeout) bounds the whole check. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function doctorCommand(ctx: CommandContext, options: DoctorOptions): Promise<void> {
  const timeoutMs = flagDuration('--timeout', options.timeout ?? '60s', '60') * 1000;
  const checks = selectChecks(CHECKS, options.only ?? []);
  // Without mcpgw.yaml there is no stack to diagnose: a usage error, not 31 skipped checks.
  if ((await readIfExists(ctx.configFile, 'mcpgw.yaml file')) === undefined) throw new UserError(`${ctx.configFile} not found`, 'run mcpgw doctor next to your mcpgw.yaml, or pass -f PATH');
  const doctor = new DoctorContext({
    configFile: ctx.configFile,
    cwd: ctx.deps.cwd,
    env: ctx.deps.env,
    now: () => ctx.deps.clock.now(),
    randomBytes: ctx.deps.randomBytes,
    protect: (values) => ctx.ui.addSecrets(values),
    connectDocker: () => DockerEngine.connect(ctx.deps.env),
    connectDatabase,
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
    offline: options.offline === true,
    uid: process.getuid?.(),
  });
  let report;
  try {
    report = await runChecks(doctor, checks, { only: options.only ?? [], timeoutMs, now: () => ctx.deps.clock.now().getTime() });
  } finally {
    await doctor.close();
  }
  if (ctx.options.json) ctx.ui.json(report);
  else ctx.ui.result(formatDoctorReport(report, ctx.options.verbose));
  if (!report.ok) {
    throw new ReportedFailure(`doctor found ${report.summary.fail} failing check(s): ${report.checks.filter((check) => check.status === 'fail').map((check) => check.id).join(', ')}`, 'each FAIL above names its cause and fix');
  }
}
