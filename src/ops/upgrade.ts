import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { verifyArchive } from '../backup/archive.js';
import { BACKUP_KEY_SECRET } from '../backup/auth.js';
import { restorationSql } from '../backup/restore.js';
import { parseConfig } from '../config/load.js';
import { readSecrets } from '../config/secrets.js';
import type { ContainerSummary } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed, UserError } from '../errors.js';
import { keptKeySecret } from '../keys/declaration.js';
import { declaredKeys, legacyServerIds } from '../keys/desired.js';
import { compareSchema, migrationsReader, readLedger, type Ledger } from '../litellm/migrations.js';
import { litellmVersion } from '../gateway/litellm-version.js';
import { setLitellmImage } from '../mcp/yaml-edit.js';
import { renderStack } from '../render/render.js';
import { containerSpecFor } from '../render/container-spec.js';
import { loadTemplates } from '../render/templates.js';
import { labelsFor, SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import { REDIS_PASSWORD_SECRET } from '../config/generated-secrets.js';
import { BUILTIN_REDIS_IMAGE } from '../images/builtin.js';
import { buildStackModel, FRONT_DOOR_SERVICE, LITELLM_SERVICE, REDIS_SERVICE, litellmBaseUrl, litellmService, serviceNetworkName } from '../stack/model.js';
import { localBuilds } from '../stack/images.js';
import { isPreviousContainer, PREVIOUS_SUFFIX } from '../stack/plan.js';
import { labelledContainer } from '../stack/running.js';
import { cutOver, type CutoverEngineSteps, type CutoverOutcome, type CutoverSteps } from '../upgrade/cutover.js';
import { stopBehindDoor } from '../upgrade/drain.js';
import { MigrationFailed, runMigrations } from '../upgrade/migrate.js';
import { writeRendered } from '../render/write.js';
import { grantsAfterCutover, preflight, type Finding } from '../upgrade/preflight.js';
import { rehearse, type RehearsalReport } from '../upgrade/rehearsal.js';
import { resolveTarget, type UpgradeTarget } from '../upgrade/target.js';
import type { Progress } from '../ui/progress.js';
import type { OpContext } from './context.js';
import { backupStack, databaseAccess } from './backup.js';
import { probeStack } from './probe.js';
import { StackRunner } from './stack-runner.js';
import { loadStack, type LoadedStack, withSwarmModel } from './stack.js';
import { isSwarm } from './swarm-target.js';
import { servingOnSwarm, swarmEngineSteps, type SwarmServing } from './upgrade-swarm.js';
import { reachDatabase, withKeyStore } from './key-store.js';

export interface UpgradeRequest {
  /** A LiteLLM version or an image reference; none: the builtin release. */
  to?: string;
  /** Confirmed on the command line: no question before the cut-over. */
  yes?: boolean;
}

export type UpgradeOutcome =
  | { state: 'up-to-date'; target: UpgradeTarget; container: string }
  | { state: 'refused'; target: UpgradeTarget; findings: Finding[] }
  | {
      state: 'upgraded' | 'rolled-back';
      /** Where it ran: one engine's containers, or a swarm's service. */
      engine: 'compose' | 'swarm';
      target: UpgradeTarget;
      from: string | undefined;
      backup: string;
      rehearsal: RehearsalReport;
      cutover: CutoverOutcome;
      /** mcpgw.yaml's copy from before the edit (upgraded only). */
      configBackup?: string;
    };

/**
 * preflight (nothing touched) → verified backup → rehearsal on a throwaway copy → confirmation → cut-over with
 * automatic rollback → mcpgw.yaml pointed at what now runs. Each a progress step; the outcome is the command's.
 */
export async function upgradeStack(ctx: OpContext, request: UpgradeRequest): Promise<UpgradeOutcome> {
  const { deps } = ctx;
  const target = resolveTarget(request.to);
  const stack = await loadStack(ctx);
  const { config } = stack.loaded;
  const progress = await ctx.progress();
  const engine = await deps.docker();
  const labels = labelsFor(stack.model.name, 'upgrade');

  const targetText = setLitellmImage(
    await readFile(stack.loaded.file, 'utf8'),
    target.builtin ? { build: 'builtin' } : { image: target.image },
    stack.loaded.file,
  );
  const targetBase = stackFor(stack, targetText);
  const targetRunner = new StackRunner(targetBase.model, targetBase.secrets, targetBase.files, stack.loaded.dir, {
    engine,
    clock: deps.clock,
    signal: deps.signal,
    progress,
  });

  const check = progress.start('preflight');
  const old = await servingLiteLLM(ctx, engine, stack);
  if (!old) {
    check.fail('no LiteLLM to upgrade');
    throw new StepFailed(`stack "${stack.model.name}" has no LiteLLM to upgrade`, 'run `mcpgw up` first (it starts the LiteLLM mcpgw.yaml names)');
  }
  check.update(`reading ${target.image}`);
  if (!(await engine.imageId(target.image))) await targetRunner.ensureImages(localBuilds(targetBase.loaded.config, engine, progress, deps.env, deps.clock));
  // On a swarm, the target's stack file: how the target image starts is read from it, now that it is here.
  const targetStack = await withSwarmModel(ctx, targetBase);
  const shipped = await migrationsReader(engine, labels, () => deps.randomBytes(4).toString('hex'))(target.image);
  // On a swarm the database is reached through a tunnel into its task, open until the upgrade ends.
  const database = await reachDatabase(ctx, stack, async () => engine);
  const { url } = database;
  ctx.ui.addSecrets([url]);
  try {
    const ledgerBefore = await withDatabase(ctx, url, readLedger);
    const verdict = compareSchema(ledgerBefore, shipped);
    const serving = servingView(old);
    if (verdict.state === 'current' && (await engine.imageId(serving.image)) === (await engine.imageId(target.image)) && serving.running) {
      check.succeed(`up to date: ${serving.name} runs ${target.image}, all ${verdict.applied} migrations applied`);
      return { state: 'up-to-date', target, container: serving.name };
    }
    const from =
      (serving.running
        ? (await litellmVersion({ baseUrl: litellmBaseUrl(stack.model), configuredImage: serving.image, timeoutMs: 5_000 }))?.version
        : undefined) ?? config.adopted?.litellm_version;
    const now = deps.clock.now();
    const keyRows = await withKeyStore(
      ctx,
      stack,
      (store) => store.list(),
      async () => engine,
    );
    const declared = declaredKeys(config, stack.model, stack.secrets);
    const findings = preflight({
      target,
      ...(from ? { from } : {}),
      verdict,
      masterKey: { name: config.litellm.master_key, value: stack.secrets.get(config.litellm.master_key) },
      keys: keyRows.map((row) => ({
        label: row.alias ?? row.keyName,
        grants: grantsAfterCutover(row, declared),
        active: !row.blocked && !(row.expires && row.expires.getTime() <= now),
      })),
      adoptedGaps: await placeGaps(engine, stack, old),
    });
    if (findings.length > 0) {
      check.fail(`${findings.length} finding(s); nothing was changed`);
      return { state: 'refused', target, findings };
    }
    if (!request.yes && !deps.confirm)
      throw new UserError('upgrade stops and replaces LiteLLM and there is no terminal to confirm on', 'pass --yes to confirm non-interactively');
    check.succeed(
      `${serving.name} (${from ?? serving.image}) → ${target.image}: ${verdict.state === 'behind' ? `${verdict.pending.length} migration(s) to apply` : verdict.state}`,
    );

    // A verified backup: written, then read back and its checksum and signature checked before anything changes.
    const { file: backup, manifest } = await backupStack(ctx, {});
    const verify = progress.start('verify backup');
    // Read again: the backup may just have added the key to the secrets file.
    const backupKey = (await readSecrets(stack.loaded.secretsFile)).get(BACKUP_KEY_SECRET);
    const verified = await verifyArchive(backup, backupKey);
    if (!verified.authenticity.ok) {
      verify.fail(verified.authenticity.detail);
      throw new StepFailed(`the backup ${backup} does not verify: it ${verified.authenticity.detail}`, 'nothing was changed; run the upgrade again');
    }
    verify.succeed(`${backup}: checksum and signature ok`);

    // The files mcpgw.yaml renders (LiteLLM's config.yaml, env files), which the rehearsal and the new LiteLLM bind: an
    // adopted stack has none yet (its running LiteLLM reads its own compose folder's; adopt kept copies under adopted/);
    // on a stack mcpgw made they are already there and stay untouched. None of them names LiteLLM's version.
    const written = (await writeRendered(stack.loaded.dir, stack.files)).filter((file) => file.state !== 'unchanged');
    if (written.length > 0) progress.start('render').succeed(`${written.map((file) => `${file.path} ${file.state}`).join(', ')}`);
    const rehearsal = progress.start('rehearsal');
    const litellmSpec = containerSpecFor(litellmService(targetStack.model), targetStack.secrets, stack.loaded.dir);
    const masterKey = stack.secrets.get(config.litellm.master_key) ?? '';
    let rehearsed: RehearsalReport;
    try {
      rehearsed = await rehearse(
        engine,
        {
          stack: stack.model.name,
          postgresImage: config.postgres.image,
          database: manifest.postgres.database,
          user: config.postgres.mode === 'bundled' ? config.postgres.user : 'litellm',
          sql: () => restorationSql(backup, manifest),
          target: { image: target.image, shipped },
          litellm: litellmSpec,
          masterKey,
          ...(isSwarm(stack) ? { redis: { image: BUILTIN_REDIS_IMAGE, host: REDIS_SERVICE, password: stack.secrets.get(REDIS_PASSWORD_SECRET) ?? '' } } : {}),
          keys: declared.map((key) => {
            const row = keyRows.find((candidate) => candidate.token === key.token);
            // A key whose value mcpgw keeps (declared by value: secret:, by default MCPGW_KEY_<ALIAS>) is also tried with it.
            const secret = keptKeySecret(config, stack.secrets, key.alias);
            const plaintext = secret ? stack.secrets.get(secret) : undefined;
            return { alias: key.alias, sha256: key.token, servers: row?.mcpServers ?? [], groups: row?.mcpGroups ?? [], ...(plaintext ? { plaintext } : {}) };
          }),
        },
        deps.clock,
        deps.signal,
      );
    } catch (error) {
      rehearsal.fail((error as Error).message.split('\n')[0] ?? '');
      throw new StepFailed(
        `the rehearsal failed, nothing was changed: ${(error as Error).message}`,
        'fix the cause above (the backup is kept) and run the upgrade again',
      );
    }
    const badKeys = rehearsed.keys.filter((key) => !key.ok);
    if (badKeys.length > 0) {
      rehearsal.fail(badKeys.map((key) => `${key.alias}: ${key.detail}`).join('; '));
      throw new StepFailed(
        `on the rehearsal, LiteLLM ${target.version ?? target.image} does not keep ${badKeys.length} key(s) as they are: ${badKeys.map((key) => `${key.alias} (${key.detail})`).join('; ')}`,
        'nothing was changed; grant the keys in mcpgw.yaml and `mcpgw keys sync`, then upgrade again',
      );
    }
    rehearsal.succeed(
      `${rehearsed.migrations || 'migrations applied'}; LiteLLM ready in ${(rehearsed.startMs / 1000).toFixed(1)} s; ` +
        `${rehearsed.keys.length} key(s) admitted with their grants (${(rehearsed.totalMs / 1000).toFixed(1)} s in all)`,
    );
    if (
      !request.yes &&
      !(await deps.confirm?.(
        old.kind === 'swarm'
          ? `Roll the ${old.swarm.wanted} replica(s) of ${serving.name} to LiteLLM ${target.version ?? target.image} (Swarm rolls back a replica that fails)?`
          : `Start LiteLLM ${target.version ?? target.image} beside ${serving.name}, then stop ${serving.name} (kept for rollback)?`,
      ))
    )
      throw new UserError('upgrade cancelled after the rehearsal; nothing was changed', `the backup ${backup} is kept`);

    const frontDoor = old.kind === 'container' ? await labelledContainer(engine, stack.model.name, FRONT_DOOR_SERVICE) : undefined;
    const outcome = await cutOver(
      cutoverSteps(ctx, { engine, stack, targetStack, targetRunner, old, frontDoor, target, shipped, url, ledgerBefore, backup, backupKey, progress }),
      deps.clock,
    );
    const result = { engine: old.kind === 'swarm' ? ('swarm' as const) : ('compose' as const), target, from, backup, rehearsal: rehearsed, cutover: outcome };
    if (!outcome.ok) return { state: 'rolled-back', ...result };
    const configBackup = `${stack.loaded.file}.bak-${new Date(deps.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(stack.loaded.file, configBackup);
    await writeFile(stack.loaded.file, targetText);
    return { state: 'upgraded', ...result, configBackup };
  } finally {
    await database.close();
  }
}

/**
 * What the LiteLLM being replaced says about mcpgw.yaml: it must serve (it is the way back), and an adopted one's
 * published port is the one its clients use, so mcpgw's LiteLLM must take the same (`litellm.port`).
 */
async function placeGaps(engine: Engine, stack: LoadedStack, serving: Serving): Promise<Finding[]> {
  if (serving.kind === 'swarm') {
    const { service, running, wanted } = serving.swarm;
    return running === wanted && wanted > 0
      ? []
      : [
          {
            what: `${running} of the ${wanted} replica(s) of ${service} run`,
            fix: 'bring them back first (`mcpgw status` shows each task and why it ended), so the upgrade has a serving version to roll back to',
          },
        ];
  }
  const old = serving.container;
  if (old.state !== 'running')
    return [
      {
        what: `the LiteLLM container ${old.name} is ${old.state}`,
        fix: 'start it (`mcpgw up`, or `docker start` for an adopted one) so the upgrade has a serving version to fall back to',
      },
    ];
  if (!stack.loaded.config.adopted || old.labels[STACK_LABEL] === stack.model.name) return [];
  const { port } = stack.loaded.config.litellm;
  const published = (await engine.publishedPorts(old.id)).map((binding) => binding.hostPort);
  if (published.length === 0 || published.includes(port)) return [];
  return [
    {
      what: `mcpgw.yaml's litellm.port is ${port}, but the adopted container ${old.name} publishes ${published.join(', ')}: its clients would lose the gateway`,
      fix: `set litellm.port: ${published[0]} in mcpgw.yaml`,
    },
  ];
}

/** The stack as it is once mcpgw.yaml names the target: the same file and secrets, another LiteLLM (withSwarmModel adds a swarm's services). */
function stackFor(stack: LoadedStack, text: string): LoadedStack {
  const loaded = { ...stack.loaded, config: parseConfig(text, stack.loaded.file) };
  const model = buildStackModel(loaded.config);
  return { loaded, secrets: stack.secrets, model, files: renderStack(model, stack.secrets, loadTemplates(), loaded.secretsFile) };
}

/** The LiteLLM that serves now: on one engine its container, on a swarm its service. */
type Serving = { kind: 'container'; container: ContainerSummary } | { kind: 'swarm'; swarm: SwarmServing };

async function servingLiteLLM(ctx: OpContext, engine: Engine, stack: LoadedStack): Promise<Serving | undefined> {
  if (isSwarm(stack)) {
    const swarm = await servingOnSwarm(ctx, stack);
    return swarm ? { kind: 'swarm', swarm } : undefined;
  }
  const container = await oldLiteLLM(engine, stack);
  return container ? { kind: 'container', container } : undefined;
}

/** What the preflight and the messages say of it, on either engine. */
function servingView(serving: Serving): { name: string; image: string; running: boolean } {
  if (serving.kind === 'swarm') {
    const { service, image, running, wanted } = serving.swarm;
    return { name: service, image, running: running === wanted && wanted > 0 };
  }
  const { name, image, state } = serving.container;
  return { name, image, running: state === 'running' };
}

/** On one engine: the adopted container (`adopted.litellm_container`), else the stack's own. */
async function oldLiteLLM(engine: Engine, stack: LoadedStack): Promise<ContainerSummary | undefined> {
  const adopted = stack.loaded.config.adopted?.litellm_container;
  if (adopted) {
    const found = (await engine.listContainers([])).find((container) => container.name === adopted);
    if (found) return found;
  }
  const own = await engine.listContainers([`${STACK_LABEL}=${stack.model.name}`, `${SERVICE_LABEL}=${LITELLM_SERVICE}`]);
  return own.find((container) => !isPreviousContainer(container.name));
}

async function withDatabase<T>(ctx: OpContext, url: string, work: (db: Awaited<ReturnType<OpContext['deps']['database']>>) => Promise<T>): Promise<T> {
  const db = await ctx.deps.database(url);
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

function finishedNames(ledger: Ledger): string {
  return ledger.rows
    .filter((row) => row.finished && !row.rolledBack)
    .map((row) => row.name)
    .join('\n');
}

interface CutoverPlace {
  engine: Engine;
  stack: LoadedStack;
  targetStack: LoadedStack;
  targetRunner: StackRunner;
  old: Serving;
  /** One engine's front door container as the cut-over found it; none on a stack whose old LiteLLM holds the port. */
  frontDoor: ContainerSummary | undefined;
  target: UpgradeTarget;
  shipped: Awaited<ReturnType<ReturnType<typeof migrationsReader>>>;
  url: string;
  ledgerBefore: Ledger;
  backup: string;
  backupKey: string | undefined;
  progress: Progress;
}

/** The real steps of the cut-over and its rollback (src/upgrade/cutover.ts orders them). */
function cutoverSteps(ctx: OpContext, place: CutoverPlace): CutoverSteps {
  const { engine, stack, targetStack, progress } = place;
  const applied = async () => {
    const after = await withDatabase(ctx, place.url, readLedger);
    return after.rows.filter((row) => row.finished && !row.rolledBack).length - place.ledgerBefore.rows.filter((row) => row.finished && !row.rolledBack).length;
  };
  const engineSteps: CutoverEngineSteps =
    place.old.kind === 'swarm'
      ? swarmEngineSteps(ctx, { engine, stack, targetStack, serving: place.old.swarm, progress, migrationsApplied: applied })
      : containerSteps(ctx, place, place.old.container, applied);
  const { restoreWithWritersStopped, ...steps } = engineSteps;
  return {
    ...steps,
    syncKeys: async () => {
      const keys = declaredKeys(targetStack.loaded.config, targetStack.model, targetStack.secrets);
      const changes = await withKeyStore(
        ctx,
        targetStack,
        (store) => store.sync(keys, { dryRun: false, legacyServerIds: legacyServerIds(targetStack.model) }),
        async () => engine,
      );
      const changed = changes.filter((change) => change.action !== 'keep');
      return changed.length === 0 ? `${changes.length} declared key(s) in place` : changed.map((change) => `${change.action}d ${change.alias}`).join(', ');
    },
    probe: async () => {
      const report = await probeStack(ctx, targetStack, {}, engine);
      const failed = report.steps.filter((step) => step.status === 'fail');
      return failed.length === 0
        ? { ok: true, summary: `${report.steps.filter((step) => step.status === 'pass').length} checks passed end to end` }
        : { ok: false, summary: failed.map((step) => step.id).join(', ') };
    },
    restoreDatabase: async () => {
      const now = await withDatabase(ctx, place.url, readLedger);
      if (finishedNames(now) === finishedNames(place.ledgerBefore) && now.rows.length === place.ledgerBefore.rows.length)
        return 'database not restored: its ledger is as before (the failed migration was rolled back in its transaction)';
      const verified = await verifyArchive(place.backup, place.backupKey);
      if (!verified.authenticity.ok) throw new StepFailed(`the backup ${place.backup} no longer verifies: it ${verified.authenticity.detail}`);
      const access = await databaseAccess(ctx, stack, async () => engine);
      try {
        const how = await restoreWithWritersStopped(() => access.tools.restore(restorationSql(place.backup, verified.manifest)));
        return `database restored from the verified backup ${place.backup}${how}`;
      } finally {
        // On a swarm, the tunnel it opened for the schema level.
        await access.close();
      }
    },
    note: (step, outcome, detail) => {
      const line = progress.start(step);
      if (outcome === 'ok') line.succeed(detail);
      else if (outcome === 'fail') line.fail(detail);
      else line.skip(detail);
    },
  };
}

/**
 * On one engine: the target's migrations in a throwaway container on LiteLLM's networks while the old one serves;
 * the new container created and started beside the old one (renamed `<name>-previous`, kept), both behind the front
 * door, then the old one stopped. Where the old LiteLLM holds the port itself (an adopted stack, or one made before
 * mcpgw had a front door), the front door starts on that port once the old one has stopped: the only downtime.
 */
function containerSteps(ctx: OpContext, place: CutoverPlace, old: ContainerSummary, applied: () => Promise<number>): CutoverEngineSteps {
  const { engine, stack, targetStack, targetRunner, target, progress } = place;
  let newId: string | undefined;
  let doorId: string | undefined;
  // A front door already on the port keeps serving throughout: the old LiteLLM until the new one is ready, then it.
  const serving = place.frontDoor?.state === 'running';
  const service = litellmService(targetStack.model);
  const databaseEnv = containerSpecFor(service, targetStack.secrets, stack.loaded.dir).env.find((entry) => entry.startsWith('DATABASE_URL='));
  const oldRunner = new StackRunner(stack.model, stack.secrets, stack.files, stack.loaded.dir, {
    engine,
    clock: ctx.deps.clock,
    signal: ctx.deps.signal,
    progress,
  });
  const reachable = async () => {
    const networks: string[] = [];
    for (const network of service.networks) if (await engine.networkByName(network)) networks.push(network);
    return networks;
  };
  return {
    migrate: async () => {
      try {
        await runMigrations(engine, {
          image: target.image,
          shipped: place.shipped,
          databaseUrl: databaseEnv?.slice('DATABASE_URL='.length) ?? place.url,
          networks: await reachable(),
          labels: labelsFor(stack.model.name, 'upgrade'),
          name: `${stack.model.name}-upgrade-migrate`,
        });
      } catch (error) {
        if (!(error instanceof MigrationFailed)) throw error;
        // Migrations run in name order, each recorded once it succeeded: the first one still missing is the one that failed.
        const verdict = compareSchema(await withDatabase(ctx, place.url, readLedger), place.shipped);
        const failed = verdict.state === 'behind' || verdict.state === 'failed' ? verdict.pending[0] : undefined;
        throw new StepFailed(`migration ${failed ?? '(unknown)'} of ${target.image} failed on the database: ${error.error}`);
      }
      return applied();
    },
    prepareNew: async () => {
      const previous = `${old.name}${PREVIOUS_SUFFIX}`;
      // The container an earlier upgrade kept: this upgrade's own previous one replaces it.
      const earlier = (await engine.listContainers([])).find((container) => container.name === previous);
      if (earlier) await engine.removeContainer(earlier.id);
      // Docker renames a running container: the old one serves on under its new name while the new one is created.
      await engine.renameContainer(old.id, previous);
      newId = await targetRunner.createServiceContainer(LITELLM_SERVICE);
      return `old LiteLLM kept as ${previous}, still serving; the new one created beside it`;
    },
    startNew: async () => {
      if (!newId) throw new StepFailed('the new LiteLLM container was not created');
      const startedAt = ctx.deps.clock.now();
      const ready = await targetRunner.startService(LITELLM_SERVICE, newId);
      return { ready, ownStartMs: ctx.deps.clock.now() - startedAt };
    },
    retireOld: async () => {
      if (!serving || !place.frontDoor || !newId) {
        await engine.stopContainer(old.id, 30);
        return 'old LiteLLM stopped, its port free';
      }
      const network = serviceNetworkName(targetStack.model.name, LITELLM_SERVICE);
      return stopBehindDoor(engine, { door: place.frontDoor.id, network, oldId: old.id, newId }, ctx.deps.clock, ctx.deps.signal);
    },
    ...(serving
      ? {}
      : {
          openFrontDoor: async () => {
            // A front door container that is not serving (stopped, or left by an interrupted run) holds the name.
            if (place.frontDoor) await engine.removeContainer(place.frontDoor.id);
            doorId = await targetRunner.createServiceContainer(FRONT_DOOR_SERVICE);
            return `front door started on LiteLLM's port: ${await targetRunner.startService(FRONT_DOOR_SERVICE, doorId)}`;
          },
          closeFrontDoor: async () => {
            if (!doorId) return 'no front door to remove';
            await engine.removeContainer(doorId);
            return 'front door removed, its port free for the old LiteLLM';
          },
        }),
    removeNew: async () => {
      if (!newId) return 'no new LiteLLM container to remove';
      await engine.removeContainer(newId);
      return 'new LiteLLM container removed';
    },
    restoreWithWritersStopped: async (restore) => {
      // Nothing may write while LiteLLM's schema is replaced: the old LiteLLM still serves when the migrate step failed.
      const serving = (await engine.containerState(old.id))?.running === true;
      if (serving) await engine.stopContainer(old.id, 30);
      await restore();
      if (serving) await oldRunner.startService(LITELLM_SERVICE, old.id);
      return serving ? ' (the old LiteLLM stopped for it, then started and ready)' : '';
    },
    reviveOld: async () => {
      const state = await engine.containerState(old.id);
      if (!state) throw new StepFailed(`the old LiteLLM container ${old.name} is gone`, `restore ${place.backup} and run \`mcpgw up\``);
      await engine.renameContainer(old.id, old.name).catch(() => undefined);
      if (state.running) return `old LiteLLM ${old.name} renamed back; it never stopped serving`;
      const ready = await oldRunner.startService(LITELLM_SERVICE, old.id);
      return `old LiteLLM ${old.name} renamed back, started: ${ready}`;
    },
  };
}
