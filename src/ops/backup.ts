import path from 'node:path';
import { verifyArchive, type BackupManifest } from '../backup/archive.js';
import { BACKUP_KEY_SECRET } from '../backup/auth.js';
import { BACKUP_DIR, backupFileName, createBackup, rotateBackups } from '../backup/backup.js';
import { readSchemaLevel } from '../backup/compat.js';
import { containerPgTools, helperPgTools, type PgTools } from '../backup/pg-tools.js';
import { authenticityRefusal, restoreBackup, type RestoreReport } from '../backup/restore.js';
import { addGeneratedSecrets } from '../config/secrets.js';
import { databaseUrl, externalDatabaseUrl } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed, UserError } from '../errors.js';
import { pathExists } from '../fs.js';
import { litellmVersion } from '../gateway/litellm-version.js';
import { MigrationsUnreadable, migrationsReader } from '../litellm/migrations.js';
import { declaredKeys, legacyServerIds } from '../keys/desired.js';
import type { ProbeReport } from '../probe/types.js';
import { labelsFor, SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import { LITELLM_SERVICE, litellmBaseUrl, litellmService, postgresService } from '../stack/model.js';
import { lazyDocker, type OpContext } from './context.js';
import { withKeyStore } from './key-store.js';
import { probeStack } from './probe.js';
import { StackRunner } from './stack-runner.js';
import { loadStack, type LoadedStack } from './stack.js';
import { refuseOnSwarm } from './swarm-target.js';

export interface DatabaseAccess {
  url: string;
  tools: PgTools;
}

/**
 * pg_dump/psql inside the bundled Postgres container as LiteLLM's role, or, for an external database, in a
 * throwaway container of the stack's Postgres image on LiteLLM's networks: never this machine's psql.
 */
export async function databaseAccess(ctx: OpContext, stack: LoadedStack, engine: () => Promise<Engine>): Promise<DatabaseAccess> {
  const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
  ctx.ui.addSecrets([url]);
  const { postgres } = stack.loaded.config;
  if (postgres.mode === 'external') {
    const docker = await engine();
    // Where LiteLLM reaches the database from; a network of a stack not (yet) up does not exist and is left out.
    const networks: string[] = [];
    for (const network of litellmService(stack.model).networks) if (await docker.networkByName(network)) networks.push(network);
    const helper = { image: postgres.image, networks, name: `${stack.model.name}-pgtools`, labels: labelsFor(stack.model.name, 'pgtools') };
    // The tools stand where LiteLLM does, so they take its URL as it is; `url` is the one this machine reaches.
    return { url, tools: helperPgTools(docker, externalDatabaseUrl(stack.loaded, stack.secrets), helper) };
  }
  const container = postgresService(stack.model)?.containerName ?? '';
  const state = await (await engine()).containerState(container);
  if (!state?.running) throw new StepFailed(`the Postgres container ${container} is not running`, 'run `mcpgw up` first');
  const login = { user: postgres.user, password: stack.secrets.get(postgres.password) ?? '', database: postgres.database };
  return { url, tools: containerPgTools(await engine(), container, login) };
}

async function schemaLevelAt(ctx: OpContext, url: string) {
  const db = await ctx.deps.database(url);
  try {
    return await readSchemaLevel(db);
  } finally {
    await db.end();
  }
}

/** The version the running LiteLLM reports, else the one its image tag names. */
async function litellmVersionOf(stack: LoadedStack): Promise<string | null> {
  const found = await litellmVersion({ baseUrl: litellmBaseUrl(stack.model), configuredImage: stack.loaded.config.litellm.image, timeoutMs: 5_000 });
  return found?.version ?? null;
}

export interface BackupRequest {
  /** The archive to write; by default a timestamped file in the stack's backups/ folder. */
  out?: string;
  /** Keep only this many newest backups of the stack in the archive's folder. */
  keep?: number;
}

export interface BackupOutcome {
  file: string;
  manifest: BackupManifest;
  /** The secrets file the backup key was added to, when it had none. */
  keyAddedTo?: string;
  /** Older backups removed by --keep. */
  removed: string[];
}

export async function backupStack(ctx: OpContext, request: BackupRequest): Promise<BackupOutcome> {
  const stack = await loadStack(ctx);
  refuseOnSwarm(stack.loaded.config, 'backup', "run pg_dump in the Postgres task on the data node (`docker ps` there), as LiteLLM's role");
  const now = new Date(ctx.deps.clock.now());
  const file = request.out ? path.resolve(ctx.deps.cwd, request.out) : path.join(stack.loaded.dir, BACKUP_DIR, backupFileName(stack.model.name, now));
  if (await pathExists(file)) throw new UserError(`${file} already exists`, 'choose another --out file; mcpgw never overwrites a backup');
  const target = await databaseAccess(ctx, stack, lazyDocker(ctx));
  const { key, addedTo } = await backupKey(ctx, stack);
  const step = (await ctx.progress()).start('backup');
  const { postgres } = stack.loaded.config;
  let manifest: BackupManifest;
  try {
    manifest = await createBackup(
      file,
      {
        stack: stack.model.name,
        createdAt: now.toISOString(),
        postgres: { mode: postgres.mode, database: postgres.mode === 'bundled' ? postgres.database : new URL(target.url).pathname.slice(1) },
        litellm: { image: stack.loaded.config.litellm.image, version: await litellmVersionOf(stack) },
        schema: await schemaLevelAt(ctx, target.url),
      },
      key,
      target.tools,
    );
  } catch (error) {
    step.fail((error as Error).message.split('\n')[0] ?? '');
    throw error;
  }
  step.succeed(`${file} (${describeBackup(manifest)})`);
  const removed = request.keep === undefined ? [] : await rotateBackups(path.dirname(file), stack.model.name, request.keep);
  return { file, manifest, removed, ...(addedTo ? { keyAddedTo: addedTo } : {}) };
}

/**
 * The key backups are signed with. A secrets file from before signed backups has none: one is generated and
 * added to it in place (0600, other lines kept), so every backup from now on is signed.
 */
export async function backupKey(ctx: OpContext, stack: LoadedStack): Promise<{ key: string; addedTo?: string }> {
  const file = stack.loaded.secretsFile;
  const { secrets, added } = await addGeneratedSecrets(stack.secrets, file, [BACKUP_KEY_SECRET], ctx.deps.randomBytes, true);
  const key = secrets.get(BACKUP_KEY_SECRET) ?? '';
  ctx.ui.addSecrets([key]);
  return added.length > 0 ? { key, addedTo: file } : { key };
}

export function describeBackup(manifest: BackupManifest): string {
  return (
    `${manifest.dump.bytes} bytes of SQL, schema ` +
    `${manifest.schema.migration ?? `${manifest.schema.tables.length} LiteLLM tables (no migration ledger)`}, ` +
    `LiteLLM ${manifest.litellm.version ?? 'unknown'}`
  );
}

export interface RestoreRequest {
  /** Confirmed on the command line: no question. */
  yes?: boolean;
  /** Restore despite an incompatible schema. */
  force?: boolean;
  /** Restore a backup whose signature is missing or wrong (its SQL is screened all the same). */
  trust?: boolean;
  /** false skips the end-to-end probe after the restore. */
  probe?: boolean;
}

export interface RestoreOutcome {
  archive: string;
  report: RestoreReport;
  probe?: ProbeReport;
}

export async function restoreStack(ctx: OpContext, file: string, request: RestoreRequest): Promise<RestoreOutcome> {
  const { deps } = ctx;
  const archive = path.resolve(deps.cwd, file);
  const stack = await loadStack(ctx);
  refuseOnSwarm(stack.loaded.config, 'restore', 'restore on one engine (engine: compose) and move the stack to the swarm afterwards');
  // The file next: a missing, foreign or unsigned file is named before any question, Docker or database.
  const key = stack.secrets.get(BACKUP_KEY_SECRET);
  const verified = await verifyArchive(archive, key);
  if (!verified.authenticity.ok && !request.trust) throw authenticityRefusal(archive, verified.authenticity);
  const ask = deps.confirm;
  if (!request.yes && !ask) {
    throw new UserError('restore replaces the whole LiteLLM database and there is no terminal to confirm on', 'pass --yes to confirm non-interactively');
  }
  const keys = declaredKeys(stack.loaded.config, stack.model, stack.secrets);
  const engine = lazyDocker(ctx);
  const target = await databaseAccess(ctx, stack, engine);
  const progress = await ctx.progress();
  const runner = async () =>
    new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, { engine: await engine(), clock: deps.clock, signal: deps.signal, progress });
  const litellmContainer = async () => {
    const [container] = await (await engine()).listContainers([`${STACK_LABEL}=${stack.model.name}`, `${SERVICE_LABEL}=${LITELLM_SERVICE}`]);
    if (!container) throw new StepFailed(`stack "${stack.model.name}" has no LiteLLM container`, 'run `mcpgw up` first');
    return container;
  };

  // The migrations of the image the restore starts again, read from inside it; an image that cannot be read leaves
  // the judgement to the database's own level.
  const imageLevel = async (container: { name: string; image: string }) => {
    const labels = labelsFor(stack.model.name, 'restore');
    const { image } = container;
    const shipped = await migrationsReader(await engine(), labels, () => deps.randomBytes(4).toString('hex'))(image).catch((error: unknown) => {
      if (error instanceof MigrationsUnreadable) return undefined;
      throw error;
    });
    const newestMigration = shipped?.names.at(-1);
    // A container whose tag moved on to another image reports the bare image id: named by its container then.
    const named = image.startsWith('sha256:') ? `the image of ${container.name} (${image.slice(7, 19)})` : image;
    return newestMigration ? { image: { image: named, newestMigration } } : {};
  };

  let probe: ProbeReport | undefined;
  const report = await restoreBackup(
    archive,
    { force: Boolean(request.force), trust: Boolean(request.trust), verified, ...(key === undefined ? {} : { key }) },
    {
      tools: target.tools,
      progress,
      readCurrent: async () => ({
        schema: await schemaLevelAt(ctx, target.url),
        litellmVersion: await litellmVersionOf(stack),
        ...(await imageLevel(await litellmContainer())),
      }),
      confirm: async (manifest) =>
        Boolean(request.yes) ||
        Boolean(await ask?.(`Replace the LiteLLM database of stack "${stack.model.name}" with the backup of "${manifest.stack}" from ${manifest.createdAt}?`)),
      stopLiteLLM: async () => {
        const container = await litellmContainer();
        const running = container.state === 'running';
        await (await engine()).stopContainer(container.id);
        return running;
      },
      startLiteLLM: async () => (await runner()).startService(LITELLM_SERVICE, (await litellmContainer()).id),
      syncKeys: async () =>
        keys.length === 0
          ? []
          : withKeyStore(ctx, stack, (store) => store.sync(keys, { dryRun: false, legacyServerIds: legacyServerIds(stack.model) }), engine),
      ...(request.probe === false
        ? {}
        : {
            probe: async () => {
              const probed = await probeStack(ctx, stack, {}, await engine());
              probe = probed;
              const failed = probed.steps.filter((step) => step.status === 'fail');
              return failed.length === 0
                ? { ok: true, summary: `${probed.steps.filter((step) => step.status === 'pass').length} checks passed end to end` }
                : { ok: false, summary: failed.map((step) => step.id).join(', ') };
            },
          }),
    },
  );
  return { archive, report, ...(probe ? { probe } : {}) };
}
