import { access } from 'node:fs/promises';
import path from 'node:path';
import { verifyArchive, type BackupManifest } from '../../backup/archive.js';
import { BACKUP_DIR, backupFileName, createBackup, rotateBackups } from '../../backup/backup.js';
import { litellmVersionOfImage, readSchemaLevel } from '../../backup/compat.js';
import { containerPgTools, localPgTools, type PgTools } from '../../backup/pg-tools.js';
import { restoreBackup } from '../../backup/restore.js';
import type { ProbeReport } from '../../probe/types.js';
import { systemClock } from '../../time/clock.js';
import { DockerEngine } from '../../docker/engine.js';
import { connectDatabase, databaseUrl } from '../../db/connect.js';
import { fetchWithTimeout } from '../../gateway/http.js';
import { ReportedFailure, StepFailed, UserError } from '../../errors.js';
import { declaredKeys, legacyServerIds } from '../../keys/desired.js';
import { SERVICE_LABEL, STACK_LABEL } from '../../stack/labels.js';
import { LITELLM_SERVICE, litellmBaseUrl, postgresService } from '../../stack/model.js';
import { StackRunner } from '../../ops/stack-runner.js';
import { createProgress } from '../../ui/progress.js';
import type { CommandContext } from '../context.js';
import { loadStack, type LoadedStack } from '../load-stack.js';
import { withKeyStore } from './keys.js';
import { failureSummary, formatReport, probeStack } from './probe.js';

/** Docker is connected once per command, and only when something needs it. */
function lazyEngine(ctx: CommandContext): () => Promise<DockerEngine> {
  let engine: Promise<DockerEngine> | undefined;
  return () => (engine ??= DockerEngine.connect(ctx.deps.env));
}

interface DatabaseAccess {
  url: string;
  tools: PgTools;
}

/** pg_dump/psql inside the bundled Postgres container, or this machine's against the external database. */
async function databaseAccess(ctx: CommandContext, stack: LoadedStack, engine: () => Promise<DockerEngine>): Promise<DatabaseAccess> {
  const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
  ctx.ui.addSecrets([url]);
  const { postgres } = stack.loaded.config;
  if (postgres.mode === 'external') return { url, tools: localPgTools(url, ctx.deps.env) };
  const container = postgresService(stack.model)?.containerName ?? '';
  const state = await (await engine()).containerState(container);
  if (!state?.running) throw new StepFailed(`the Postgres container ${container} is not running`, 'run `mcpgw up` first');
  return { url, tools: containerPgTools(await engine(), container, postgres.user, postgres.database) };
}

async function schemaLevelAt(url: string) {
  const db = await connectDatabase(url);
  try {
    return await readSchemaLevel(db);
  } finally {
    await db.end();
  }
}

/** The version the running LiteLLM reports, else the one its image tag names. */
async function litellmVersion(stack: LoadedStack): Promise<string | null> {
  try {
    const body = (await (await fetchWithTimeout(`${litellmBaseUrl(stack.model)}/health/readiness`)).json()) as { litellm_version?: string };
    if (body.litellm_version) return body.litellm_version;
  } catch {
    // Not running or not answering: the image tag is the next best evidence.
  }
  return litellmVersionOfImage(stack.loaded.config.litellm.image);
}

function describe(manifest: BackupManifest): string {
  return `${manifest.dump.bytes} bytes of SQL, schema ${manifest.schema.migration ?? `${manifest.schema.tables.length} LiteLLM tables (no migration ledger)`}, LiteLLM ${manifest.litellm.version ?? 'unknown'}`;
}

export interface BackupOptions {
  out?: string;
  keep?: string;
}

export async function backupCommand(ctx: CommandContext, options: BackupOptions): Promise<void> {
  const keep = options.keep === undefined ? undefined : Number(options.keep);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1)) throw new UserError(`--keep ${options.keep} is not a whole number ≥ 1`, 'e.g. --keep 7 keeps the seven newest backups');
  const stack = await loadStack(ctx);
  const file = options.out ? path.resolve(ctx.deps.cwd, options.out) : path.join(stack.loaded.dir, BACKUP_DIR, backupFileName(stack.model.name, ctx.deps.clock.now()));
  if (await access(file).then(() => true, () => false)) throw new UserError(`${file} already exists`, 'choose another --out file; mcpgw never overwrites a backup');
  const target = await databaseAccess(ctx, stack, lazyEngine(ctx));
  const progress = await createProgress(ctx.ui, ctx.deps.stderr);
  const step = progress.start('backup');
  const { postgres } = stack.loaded.config;
  let manifest: BackupManifest;
  try {
    manifest = await createBackup(
      file,
      {
        stack: stack.model.name,
        createdAt: ctx.deps.clock.now().toISOString(),
        postgres: { mode: postgres.mode, database: postgres.mode === 'bundled' ? postgres.database : new URL(target.url).pathname.slice(1) },
        litellm: { image: stack.loaded.config.litellm.image, version: await litellmVersion(stack) },
        schema: await schemaLevelAt(target.url),
      },
      target.tools,
    );
  } catch (error) {
    step.fail((error as Error).message.split('\n')[0] ?? '');
    throw error;
  }
  step.succeed(`${file} (${describe(manifest)})`);
  const removed = keep === undefined ? [] : await rotateBackups(path.dirname(file), stack.model.name, keep);
  if (ctx.options.json) {
    ctx.ui.json({ file, manifest, removed });
    return;
  }
  ctx.ui.result(file);
  ctx.ui.info(`sha256 ${manifest.dump.sha256}; ${describe(manifest)}`);
  for (const name of removed) ctx.ui.info(`removed old backup ${name} (--keep ${keep})`);
}

export interface RestoreOptions {
  yes?: boolean;
  force?: boolean;
  /** commander's --no-probe sets false. */
  probe?: boolean;
}

export async function restoreCommand(ctx: CommandContext, file: string, options: RestoreOptions): Promise<void> {
  const { deps, ui } = ctx;
  const archive = path.resolve(deps.cwd, file);
  // The file first: a missing or foreign file is named before any question, Docker or database.
  const manifest = await verifyArchive(archive);
  const ask = deps.confirm;
  if (!options.yes && !ask) {
    throw new UserError('restore replaces the whole LiteLLM database and there is no terminal to confirm on', 'pass --yes to confirm non-interactively');
  }
  const stack = await loadStack(ctx);
  const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
  const engine = lazyEngine(ctx);
  const target = await databaseAccess(ctx, stack, engine);
  const progress = await createProgress(ui, deps.stderr);
  const runner = async () => new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, { engine: await engine(), clock: systemClock, signal: deps.signal, progress });
  const litellmContainer = async () => {
    const [container] = await (await engine()).listContainers([`${STACK_LABEL}=${stack.model.name}`, `${SERVICE_LABEL}=${LITELLM_SERVICE}`]);
    if (!container) throw new StepFailed(`stack "${stack.model.name}" has no LiteLLM container`, 'run `mcpgw up` first');
    return container;
  };

  let probeReport: ProbeReport | undefined;
  const report = await restoreBackup(archive, { force: Boolean(options.force), verified: manifest }, {
    tools: target.tools,
    progress,
    readCurrent: async () => ({ schema: await schemaLevelAt(target.url), litellmVersion: await litellmVersion(stack) }),
    confirm: async (manifest) =>
      Boolean(options.yes) ||
      Boolean(await ask?.(`Replace the LiteLLM database of stack "${stack.model.name}" with the backup of "${manifest.stack}" from ${manifest.createdAt}?`)),
    stopLiteLLM: async () => {
      const container = await litellmContainer();
      const running = container.state === 'running';
      await (await engine()).stopContainer(container.id);
      return running;
    },
    startLiteLLM: async () => (await runner()).startService(LITELLM_SERVICE, (await litellmContainer()).id),
    syncKeys: async () => (keys.length === 0 ? [] : withKeyStore(ctx, stack, (store) => store.sync(keys, { dryRun: false, legacyServerIds: legacyServerIds(stack.model) }), engine)),
    ...(options.probe === false
      ? {}
      : {
          probe: async () => {
            probeReport = await probeStack(ctx, stack, {}, await engine());
            const failed = probeReport.steps.filter((step) => step.status === 'fail');
            return failed.length === 0
              ? { ok: true, summary: `${probeReport.steps.filter((step) => step.status === 'pass').length} checks passed end to end` }
              : { ok: false, summary: failed.map((step) => step.id).join(', ') };
          },
        }),
  });

  const probeOk = report.probe?.ok ?? true;
  if (ctx.options.json) {
    ui.json({ ok: probeOk, file: archive, ...report, ...(probeReport ? { probe: probeReport } : {}) });
  } else {
    ui.result(`restored ${archive} (${describe(report.manifest)})`);
    if (report.forced) ui.warn(`restored despite an incompatible schema (--force): ${report.compatibility.compatible ? '' : report.compatibility.reason}`);
    if (probeReport && !probeOk) ui.result(`\n${formatReport(probeReport)}`);
  }
  // Like up: the report (ok: false) is already on stdout, so the failure only sets the exit code.
  if (probeReport && !probeOk) throw new ReportedFailure(failureSummary(probeReport), 'the data is restored, but the probe above names what does not work; `mcpgw probe` re-runs it');
}
