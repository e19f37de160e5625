import { invalidConfigHints, loadConfig, type LoadedConfig } from '../config/load.js';
import { checkSecrets } from '../config/secret-rules.js';
import { generatedSecretsFor, METRICS_KEY_SECRET, REDIS_PASSWORD_SECRET } from '../config/generated-secrets.js';
import { addGeneratedSecrets, readSecrets, type Secrets } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import { renderStack, type RenderedFile, type SwarmRendering } from '../render/render.js';
import { loadTemplates } from '../render/templates.js';
import { buildStackModel, type StackModel } from '../stack/model.js';
import { buildSwarmModel, imagesToInspect, type ImageLaunch, type ImageLaunches } from '../stack/swarm.js';
import type { OpContext } from './context.js';

export interface LoadedStack {
  loaded: LoadedConfig;
  secrets: Secrets;
  model: StackModel;
  /** engine: swarm only: the services as Swarm runs them and the image launches read (swarm/stack.yml's inputs). */
  swarm?: SwarmRendering;
  files: RenderedFile[];
}

/**
 * The boundary every stack command crosses first: mcpgw.yaml validated, secrets read (and registered for
 * redaction before anything can print them), mcpgw's generated ones added when missing, and checked, the model built and its files rendered in memory.
 */
export async function loadStack(ctx: OpContext, options: { dryRun?: boolean } = {}): Promise<LoadedStack> {
  const loaded = await loadConfig(ctx.configFile);
  const read = await readSecrets(loaded.secretsFile);
  ctx.ui.addSecrets(read.values());
  // The passwords of mcpgw's own Postgres roles (and a swarm's Redis): a secrets file from before they existed gets
  // them here, so the next `up` can move the volume over (a dry run only pretends).
  const generated = generatedSecretsFor(loaded.config);
  const { secrets, added } = await addGeneratedSecrets(read, loaded.secretsFile, generated, ctx.deps.randomBytes, !options.dryRun);
  ctx.ui.addSecrets(secrets.values());
  if (added.length > 0) {
    const whose = added.every((name) => name !== REDIS_PASSWORD_SECRET && name !== METRICS_KEY_SECRET)
      ? "mcpgw's own database roles"
      : "secrets mcpgw generates: its database roles' and Redis's passwords, Prometheus's scrape key";
    ctx.ui.info(`${options.dryRun ? 'would add' : 'added'} ${added.join(', ')} (${whose}) to ${loaded.secretsFile}`);
  }
  const model = buildStackModel(loaded.config);
  const problems = checkSecrets(loaded.config, model.requiredSecrets, secrets);
  if (problems.length > 0) throw new ConfigError(loaded.secretsFile, problems);
  return withSwarmModel(ctx, { loaded, secrets, model, files: renderStack(model, secrets, loadTemplates(), loaded.secretsFile) });
}

/** What a mcpgw.yaml that does not validate still tells (its stack's name and secrets file), with its problems. */
export interface InvalidStack {
  invalid: ConfigError;
  name: string;
  secretsFile: string;
}

/**
 * The stack, or for the commands that read or remove what runs by its labels (status, logs, down), what an
 * invalid file still tells: a typo must not hide, or keep anyone from stopping, the running stack.
 */
export async function loadStackOrHints(ctx: OpContext): Promise<LoadedStack | InvalidStack> {
  try {
    return await loadStack(ctx);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { invalid: error, ...(await invalidConfigHints(ctx.configFile)) };
  }
}

/**
 * engine: swarm: the stack with its services as Swarm runs them and its files rendered with them, once the images
 * mcpgw did not build are on this machine (how they start is read from them). One engine: the stack as it is.
 */
export async function withSwarmModel(ctx: OpContext, stack: LoadedStack): Promise<LoadedStack> {
  const { loaded, secrets, model } = stack;
  if (loaded.config.engine !== 'swarm') return stack;
  const swarm = await swarmRendering(ctx, loaded, model);
  return { loaded, secrets, model, swarm, files: renderStack(model, secrets, loadTemplates(), loaded.secretsFile, swarm) };
}

/** A swarm stack's services as Swarm runs them, with how the images mcpgw did not build start (read on this machine). */
export async function swarmRendering(ctx: OpContext, loaded: LoadedConfig, model: StackModel): Promise<SwarmRendering> {
  const launches = await readLaunches(ctx, imagesToInspect(model));
  return { model: buildSwarmModel(model, loaded.config, launches), launches };
}

/**
 * How the images mcpgw did not build start, from this machine's engine (where they are built or pulled before
 * they go to the nodes). A missing one is left out: the swarm model names it when it needs it.
 */
async function readLaunches(ctx: OpContext, images: string[]): Promise<ImageLaunches> {
  if (images.length === 0) return {};
  const engine = await ctx.deps.docker();
  const launches: Record<string, ImageLaunch> = {};
  for (const image of images) {
    const launch = await engine.imageLaunch(image);
    if (launch) launches[image] = launch;
  }
  return launches;
}
