import path from 'node:path';
import { verifyArchive, type BackupManifest } from '../backup/archive.js';
import { BACKUP_KEY_SECRET } from '../backup/auth.js';
import { BACKUP_DIR, backupFileName, createBackup, rotateBackups } from '../backup/backup.js';
import { readSchemaLevel } from '../backup/compat.js';
import { containerPgTools, helperPgTools, type PgTools, type RoleLogin } from '../backup/pg-tools.js';
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
import { LITELLM_SERVICE, litellmBaseUrl, litellmService, POSTGRES_SERVICE, postgresService } from '../stack/model.js';
import { swarmServiceName } from '../swarm/converge.js';
import { runningTaskOf, swarmDatabaseUrl } from '../swarm/database.js';
import { startService, stopService } from '../swarm/quiesce.js';
import type { Progress } from '../ui/progress.js';
import { lazyDocker, type OpContext } from './context.js';
import { withKeyStore } from './key-store.js';
import { probeStack } from './probe.js';
import { StackRunner } from './stack-runner.js';
import { loadStack, type LoadedStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';
import { frontDoorRoutes } from './up-swarm.js';

export interface DatabaseAccess {
  url: string;
  tools: PgTools;
  /** Ends what reaching `url` opened (a swarm's tunnel). */
  close(): Promise<void>;
}

/**
 * pg_dump/psql inside the bundled Postgres container as LiteLLM's role, or, for an external database, in a
 * throwaway container of the stack's Postgres image on LiteLLM's networks: never this machine's psql.
 */
export async function databaseAccess(ctx: OpContext, stack: LoadedStack, engine: () => Promise<Engine>): Promise<DatabaseAccess> {
  if (isSwarm(stack)) return swarmDatabaseAccess(ctx, stack);
  const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
  ctx.ui.addSecrets([url]);
  const close = async () => undefined;
  const { postgres } = stack.loaded.config;
  if (postgres.mode === 'external') {
    const docker = await engine();
    // Where LiteLLM reaches the database from; a network of a stack not (yet) up does not exist and is left out.
    const networks: string[] = [];
    for (const network of litellmService(stack.model).networks) if (await docker.networkByName(network)) networks.push(network);
    const helper = { image: postgres.image, networks, name: `${stack.model.name}-pgtools`, labels: labelsFor(stack.model.name, 'pgtools') };
    // The tools stand where LiteLLM does, so they take its URL as it is; `url` is the one this machine reaches.
    return { url, close, tools: helperPgTools(docker, externalDatabaseUrl(stack.loaded, stack.secrets), helper) };
  }
  const container = postgresService(stack.model)?.containerName ?? '';
  const state = await (await engine()).containerState(container);
  if (!state?.running) throw new StepFailed(`the Postgres container ${container} is not running`, 'run `mcpgw up` first');
  return { url, close, tools: containerPgTools(await engine(), container, litellmLogin(stack)) };
}

/** LiteLLM's own role on the bundled Postgres: what the tools log in as. */
function litellmLogin(stack: LoadedStack): RoleLogin {
  const { postgres } = stack.loaded.config;
  return { user: postgres.user, password: stack.secrets.get(postgres.password) ?? '', database: postgres.database };
}

/**
 * On a swarm, the tools of the Postgres task's own container, run through its node's engine exactly as on one engine
 * (same role, same arguments, the password in the exec's environment only): the archive is the same either way. This
 * machine reads the schema level through the loopback tunnel mcpgw's keys already use.
 */
async function swarmDatabaseAccess(ctx: OpContext, stack: LoadedStack): Promise<DatabaseAccess> {
  if (stack.loaded.config.postgres.mode === 'external')
    throw new UserError(
      'backup and restore on a swarm know the bundled Postgres only (postgres.mode: external)',
      "run pg_dump and psql where the external database's own backups are made",
    );
  const { cluster } = await swarmTarget(ctx, stack);
  const { task, node } = await runningTaskOf(cluster, stack.model.name, POSTGRES_SERVICE);
  const { url, close } = await swarmDatabaseUrl(cluster, stack.loaded, stack.secrets);
  ctx.ui.addSecrets([url]);
  const place = `the Postgres task ${swarmServiceName(stack.model.name, POSTGRES_SERVICE)}.${task.task.slot ?? 1} on ${node.node.hostname}`;
  return { url, close, tools: containerPgTools(node.engine, task.containerId, litellmLogin(stack), place) };
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
  const now = new Date(ctx.deps.clock.now());
  const file = request.out ? path.resolve(ctx.deps.cwd, request.out) : path.join(stack.loaded.dir, BACKUP_DIR, backupFileName(stack.model.name, now));
  if (await pathExists(file)) throw new UserError(`${file} already exists`, 'choose another --out file; mcpgw never overwrites a backup');
  const { key, addedTo } = await backupKey(ctx, stack);
  const target = await databaseAccess(ctx, stack, lazyDocker(ctx));
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
  } finally {
    await target.close();
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
  try {
    const progress = await ctx.progress();
    const litellm = isSwarm(stack) ? await swarmLiteLLM(ctx, stack, progress) : containerLiteLLM(ctx, stack, engine, progress);

    // The migrations of the image the restore starts again, read from inside it (on this machine's engine, where a
    // swarm's images come from); an image that cannot be read leaves the judgement to the database's own level.
    const imageLevel = async ({ name, image }: { name: string; image: string }) => {
      const labels = labelsFor(stack.model.name, 'restore');
      const shipped = await migrationsReader(await engine(), labels, () => deps.randomBytes(4).toString('hex'))(image).catch((error: unknown) => {
        if (error instanceof MigrationsUnreadable) return undefined;
        throw error;
      });
      const newestMigration = shipped?.names.at(-1);
      // A container whose tag moved on to another image reports the bare image id: named by its container then.
      const named = image.startsWith('sha256:') ? `the image of ${name} (${image.slice(7, 19)})` : image;
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
          ...(await imageLevel(await litellm.image())),
        }),
        confirm: async (manifest) =>
          Boolean(request.yes) ||
          Boolean(
            await ask?.(`Replace the LiteLLM database of stack "${stack.model.name}" with the backup of "${manifest.stack}" from ${manifest.createdAt}?`),
          ),
        stopLiteLLM: litellm.stop,
        startLiteLLM: litellm.start,
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
  } finally {
    await target.close();
  }
}

/** The LiteLLM a restore stops so that nothing writes while the database is replaced, and starts again after. */
export interface RestoredLiteLLM {
  /** The image it runs (whose migrations say what it accepts), and what runs it, for messages. */
  image(): Promise<{ name: string; image: string }>;
  /** Resolves whether it was running. */
  stop(): Promise<boolean>;
  /** Resolves a readiness summary once it serves again. */
  start(): Promise<string>;
}

/** One engine: the LiteLLM container, stopped and started again as it is. */
function containerLiteLLM(ctx: OpContext, stack: LoadedStack, engine: () => Promise<Engine>, progress: Progress): RestoredLiteLLM {
  const { deps } = ctx;
  const container = async () => {
    const [found] = await (await engine()).listContainers([`${STACK_LABEL}=${stack.model.name}`, `${SERVICE_LABEL}=${LITELLM_SERVICE}`]);
    if (!found) throw new StepFailed(`stack "${stack.model.name}" has no LiteLLM container`, 'run `mcpgw up` first');
    return found;
  };
  return {
    image: container,
    stop: async () => {
      const found = await container();
      await (await engine()).stopContainer(found.id);
      return found.state === 'running';
    },
    start: async () => {
      const runner = new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, {
        engine: await engine(),
        clock: deps.clock,
        signal: deps.signal,
        progress,
      });
      return runner.startService(LITELLM_SERVICE, (await container()).id);
    },
  };
}

/** How long a swarm's replicas may take to stop (their stop grace period, 40 s, with room) and to serve again (a readiness each). */
const SWARM_REPLICAS_STOP_MS = 90_000;
const SWARM_REPLICAS_START_MS = 600_000;

/**
 * A swarm: LiteLLM's service scaled to 0 through the manager (every replica stopped, none rescheduled), then back to
 * as many replicas as it had (`litellm.replicas` when it had none), done once they all run and the front door routes
 * to each of them again. Also what an upgrade's rollback restores the database under.
 */
export async function swarmLiteLLM(ctx: OpContext, stack: LoadedStack, progress: Progress): Promise<RestoredLiteLLM> {
  const { deps } = ctx;
  const { cluster } = await swarmTarget(ctx, stack);
  const name = swarmServiceName(stack.model.name, LITELLM_SERVICE);
  const service = async () => {
    const found = await cluster.manager.swarm().service(name);
    if (!found) throw new StepFailed(`stack "${stack.model.name}" has no service ${name}`, 'run `mcpgw up` first');
    return found;
  };
  const waits = { clock: deps.clock, signal: deps.signal };
  let had = 0;
  return {
    image: async () => ({ name, image: (await service()).image.split('@')[0] ?? '' }),
    stop: async () => {
      had = await stopService(cluster, name, { ...waits, timeoutMs: SWARM_REPLICAS_STOP_MS }).catch((error: StepFailed) => {
        throw new StepFailed(`${error.message}; the database was not touched`, error.hint);
      });
      return had > 0;
    },
    start: async () => {
      const replicas = had || stack.loaded.config.litellm.replicas;
      const step = progress.start(`swarm: ${LITELLM_SERVICE} ×${replicas}`);
      const tasks = await startService(cluster, name, replicas, { ...waits, timeoutMs: SWARM_REPLICAS_START_MS, onProgress: (text) => step.update(text) });
      step.succeed(`running on ${[...new Set(tasks.map((task) => task.hostname))].sort().join(', ')}`);
      const routed = await frontDoorRoutes(ctx, stack, replicas, progress);
      return `${tasks.length} replica(s) ready; the front door ${routed}`;
    },
  };
}
