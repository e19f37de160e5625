import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../time/clock.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import { debootstrapBase, type BaseHost } from './base.js';
import { BUILTIN_NODE_MAJOR, RECIPE_HASH_LABEL, RECIPE_LABEL } from './builtin.js';
import { buildOrder, recipeHash, recipeLabel, type ContextEntry, type DockerRecipe, type HostFile, type Recipe } from './recipes.js';

/** The package's recipe folder (images/ next to dist/ and templates/). */
export const RECIPES_DIR = fileURLToPath(new URL('../../images/', import.meta.url));

/** A file of this machine the build context holds: where it comes from, its name there, what to do when it is missing. */
interface ContextSource {
  from: string;
  as: string;
  fix: string;
}

/** Lines of a failed build's log shown with the error (the whole log stays in its file). */
const LOG_TAIL_LINES = 30;

export interface BuilderHost extends BaseHost {
  /** The node binary copied into the node image: the one running mcpgw. */
  nodePath: string;
  nodeVersion: string;
  /** The host's CA bundle, used at build time by pip and npm (egress may go through a TLS-inspecting proxy). */
  caBundle: string;
}

export interface BuilderDeps {
  engine: Engine;
  progress: Progress;
  clock: Clock;
  host: BuilderHost;
  /** Where each image's build log is written (`<image>.log`, replaced on every build). */
  logDir: string;
  recipesDir?: string;
}

export interface BuildOutcome {
  image: string;
  state: 'built' | 'up to date';
  hash: string;
  seconds?: number;
  log?: string;
}

/** Where build logs go unless told otherwise: the user's cache folder. */
export function defaultLogDir(env: Readonly<Record<string, string | undefined>>): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || tmpdir(), '.cache');
  return path.join(cache, 'mcpgw', 'builds');
}

/**
 * Builds images from recipes through the Docker engine, each only when its recipe hash (context, build args,
 * parent and used image ids) differs from the io.mcpgw.recipe-hash label of the local image. Progress on stderr,
 * one step per image; the build output goes to a log file whose tail a failure shows.
 */
export class ImageBuilder {
  private readonly recipesDir: string;

  constructor(private readonly deps: BuilderDeps) {
    this.recipesDir = deps.recipesDir ?? RECIPES_DIR;
  }

  /** Every recipe `wanted` needs, in dependency order; stops at the first failure (exit 1). */
  async ensure(wanted: Recipe[]): Promise<BuildOutcome[]> {
    const outcomes: BuildOutcome[] = [];
    for (const recipe of buildOrder(wanted)) outcomes.push(await this.ensureOne(recipe));
    return outcomes;
  }

  private async ensureOne(recipe: Recipe): Promise<BuildOutcome> {
    const { engine, progress, clock } = this.deps;
    const step = progress.start(recipe.image);
    const started = clock.now();
    if (recipe.kind === 'debootstrap') {
      // No hash for the base: a debootstrap is not repeatable (the mirror moves on), so a present base is kept,
      // as test/stack/prepare.sh kept it; `docker rmi` it to take a fresh one (its children then rebuild).
      if (await engine.imageId(recipe.image)) {
        step.succeed('up to date');
        return { image: recipe.image, state: 'up to date', hash: '' };
      }
      const log = this.logFile(recipe.image);
      step.update(`debootstrap ${recipe.suite} (log: ${log})`);
      await mkdir(this.deps.logDir, { recursive: true });
      await debootstrapBase(engine, recipe, this.deps.host, log).catch((error: unknown) => {
        step.fail(`debootstrap ${recipe.suite} failed`);
        throw error;
      });
      const seconds = (clock.now() - started) / 1000;
      step.succeed(`built in ${seconds.toFixed(1)} s`);
      return { image: recipe.image, state: 'built', hash: '', seconds, log };
    }
    const sources = this.contextSources(recipe);
    const entries = await contextEntries(sources);
    const imageIds: Record<string, string> = { BASE: await this.requireId(recipe.parent.image) };
    for (const [arg, used] of Object.entries(recipe.uses)) imageIds[arg] = await this.requireId(used.image);
    const hash = recipeHash(entries, recipe.args, imageIds);
    const labels = await engine.imageLabels(recipe.image);
    if (labels?.[RECIPE_HASH_LABEL] === hash) {
      step.succeed('up to date');
      return { image: recipe.image, state: 'up to date', hash };
    }
    const log = this.logFile(recipe.image);
    step.update(`building (${recipe.what}; log: ${log})`);
    const oldId = await engine.imageId(recipe.image);
    await this.build(recipe, sources, hash, log).catch((error: unknown) => {
      step.fail(`build failed (${recipe.what})`);
      throw error;
    });
    const newId = await engine.imageId(recipe.image);
    // The image this build replaced would stay behind as <none>; one still used by a container stays anyway.
    if (oldId && oldId !== newId) await engine.removeImageIfUnused(oldId);
    const seconds = (clock.now() - started) / 1000;
    step.succeed(`built in ${seconds.toFixed(1)} s`);
    return { image: recipe.image, state: 'built', hash, seconds, log };
  }

  private async requireId(image: string): Promise<string> {
    const id = await this.deps.engine.imageId(image);
    // buildOrder puts every parent first, so only a parent removed meanwhile gets here.
    if (!id) throw new StepFailed(`image ${image} disappeared while the images were being built`, 'run the build again');
    return id;
  }

  private logFile(image: string): string {
    return path.join(this.deps.logDir, `${image.replace(/[^A-Za-z0-9_.-]+/g, '_')}.log`);
  }

  /** The recipe folder plus the host files, as context path → file on this machine. */
  private contextSources(recipe: DockerRecipe): ContextSource[] {
    const { host } = this.deps;
    const hostFile: Record<HostFile, ContextSource> = {
      'ca-bundle': {
        from: host.caBundle,
        as: 'ca-certificates.crt',
        fix: 'install ca-certificates (apt-get install ca-certificates), or point SSL_CERT_FILE at a CA bundle',
      },
      node: { from: host.nodePath, as: 'node', fix: `run mcpgw with Node ${BUILTIN_NODE_MAJOR}` },
      // npm ships next to node: <prefix>/bin/node and <prefix>/lib/node_modules/npm.
      npm: {
        from: path.join(path.dirname(path.dirname(host.nodePath)), 'lib', 'node_modules', 'npm'),
        as: 'npm',
        fix: "run mcpgw with a node that has its npm beside it (nodejs.org or NodeSource builds, not Debian's split nodejs/npm packages)",
      },
    };
    return [
      { from: path.join(this.recipesDir, recipe.dir), as: '.', fix: 'reinstall mcpgw (the recipe folder is part of the package)' },
      ...recipe.hostFiles.map((file) => hostFile[file]),
    ];
  }

  private async build(recipe: DockerRecipe, sources: ContextSource[], hash: string, logPath: string): Promise<void> {
    const { engine, host } = this.deps;
    if (recipe.hostFiles.includes('node') && host.nodeVersion.replace(/^v/, '').split('.')[0] !== BUILTIN_NODE_MAJOR) {
      throw new StepFailed(`${recipe.image} is built from the node running mcpgw, which is ${host.nodeVersion}`, `run mcpgw with Node ${BUILTIN_NODE_MAJOR}`);
    }
    const context = await mkdtemp(path.join(tmpdir(), 'mcpgw-build-'));
    await mkdir(path.dirname(logPath), { recursive: true });
    const log = createWriteStream(logPath);
    const tail: string[] = [];
    try {
      for (const source of sources) {
        await cp(source.from, path.join(context, source.as), { recursive: true, verbatimSymlinks: true }).catch((error: NodeJS.ErrnoException) => {
          throw new StepFailed(`${recipe.image} needs ${source.from}, which cannot be read: ${error.code ?? error.message}`, source.fix);
        });
      }
      const buildArgs: Record<string, string> = { ...recipe.args, BASE: recipe.parent.image };
      for (const [arg, used] of Object.entries(recipe.uses)) buildArgs[arg] = used.image;
      const onLine = (line: string) => {
        log.write(`${line}\n`);
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
      };
      const failure = await engine
        .buildImage(
          context,
          await readdir(context),
          {
            tag: recipe.image,
            buildArgs,
            labels: { [RECIPE_HASH_LABEL]: hash, [RECIPE_LABEL]: recipeLabel(recipe) },
          },
          onLine,
        )
        .catch((error: Error) => error.message);
      if (failure !== undefined) {
        throw new StepFailed(
          `building ${recipe.image} failed (${recipe.what}): ${failure.trim()}\n--- last lines of ${logPath} ---\n${tail.join('\n')}`,
          `the whole build log is ${logPath}; fix the package or version named above, then run mcpgw images build again`,
        );
      }
    } finally {
      await closed(log);
      await rm(context, { recursive: true, force: true });
    }
  }
}

function closed(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

/** Every file and link under the sources, with its context path and digest (what recipeHash hashes). */
async function contextEntries(sources: ContextSource[]): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = [];
  const walk = async (from: string, as: string): Promise<void> => {
    const stat = await lstat(from).catch(() => undefined);
    // A missing host file is named when the build copies it; here it only changes the hash.
    if (!stat) return void entries.push({ path: as, sha256: 'missing' });
    if (stat.isSymbolicLink()) return void entries.push({ path: as, link: await readlink(from) });
    if (stat.isDirectory()) {
      for (const name of (await readdir(from)).sort()) await walk(path.join(from, name), path.posix.join(as, name));
      return;
    }
    entries.push({
      path: as,
      executable: (stat.mode & 0o111) !== 0,
      sha256: createHash('sha256')
        .update(await readFile(from))
        .digest('hex'),
    });
  };
  for (const source of sources) await walk(source.from, source.as);
  return entries;
}

/** This machine as the builder sees it: the running node, PATH, /etc and the CA bundle (SSL_CERT_FILE or Debian's). */
export function builderHost(env: Readonly<Record<string, string | undefined>>): BuilderHost {
  return {
    isRoot: process.getuid?.() === 0,
    path: env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    etcDir: '/etc',
    nodePath: process.execPath,
    nodeVersion: process.version,
    caBundle: env.SSL_CERT_FILE || '/etc/ssl/certs/ca-certificates.crt',
  };
}
