import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { RECIPE_LABEL } from './builtin.js';
import type { BaseRecipe } from './recipes.js';

/** What building the Debian base needs to know about this machine. */
export interface BaseHost {
  isRoot: boolean;
  /** PATH, to find debootstrap, chroot and tar. */
  path: string;
  /** /etc of this machine: its apt sources give the mirror (and -updates/-security) the base uses. */
  etcDir: string;
}

/** The Debian mirror this machine's apt uses (deb822 `URIs:` first, then sources.list), else deb.debian.org. */
export function debianMirror(deb822: string | undefined, list: string | undefined): string {
  const uri = deb822?.match(/^URIs:\s*(\S+)/m)?.[1] ?? list?.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m)?.[1];
  return uri ?? 'http://deb.debian.org/debian';
}

/** The host's deb822 sources with its own suite names replaced by `suite` (bookworm-updates -> trixie-updates, …). */
export function sourcesForSuite(deb822: string, hostSuite: string, suite: string): string {
  return deb822.replace(/^Suites:.*$/gm, (line) => line.replace(new RegExp(`\\b${hostSuite}\\b`, 'g'), suite));
}

function onPath(host: BaseHost, program: string): Promise<boolean> {
  return Promise.any(
    host.path
      .split(':')
      .filter(Boolean)
      .map((dir) => readdir(dir).then((names) => (names.includes(program) ? true : Promise.reject(new Error())))),
  ).catch(() => false);
}

/**
 * A debootstrapped minbase of `recipe.suite`, imported as `recipe.image` (what test/stack/prepare.sh's
 * ensure_suite_base did): no registry involved, only the Debian mirror this machine already uses.
 */
export async function debootstrapBase(engine: Engine, recipe: BaseRecipe, host: BaseHost, logPath: string): Promise<void> {
  if (!host.isRoot) {
    throw new StepFailed(
      `${recipe.image} is built with debootstrap, which needs root`,
      'run mcpgw images build (or up) as root once; later runs reuse the image',
    );
  }
  for (const program of ['debootstrap', 'chroot', 'tar']) {
    if (!(await onPath(host, program))) {
      throw new StepFailed(
        `${recipe.image} is built with ${program}, which is not installed`,
        program === 'debootstrap' ? 'apt-get install debootstrap' : `install ${program} (coreutils / tar)`,
      );
    }
  }
  const read = (file: string) => readFile(path.join(host.etcDir, file), 'utf8').catch(() => undefined);
  const deb822 = await read('apt/sources.list.d/debian.sources');
  const mirror = debianMirror(deb822, await read('apt/sources.list'));
  const hostSuite = (await read('os-release'))?.match(/^VERSION_CODENAME=(\S+)/m)?.[1];
  const { execa } = await import('execa');
  const rootfs = await mkdtemp('/var/tmp/mcpgw-rootfs-');
  const log = createWriteStream(logPath);
  try {
    const run = await execa('debootstrap', ['--variant=minbase', recipe.suite, rootfs, mirror], { reject: false, all: true, env: { PATH: host.path } });
    log.write(run.all ?? '');
    if (run.exitCode !== 0) {
      const tail = (run.all ?? '').split('\n').slice(-20).join('\n');
      throw new StepFailed(
        `debootstrap ${recipe.suite} from ${mirror} failed (exit ${run.exitCode}):\n${tail}`,
        `the whole log is ${logPath}; check that this machine reaches ${mirror}`,
      );
    }
    await rm(path.join(rootfs, 'etc/apt/sources.list'), { force: true });
    for (const name of await readdir(path.join(rootfs, 'etc/apt/sources.list.d')).catch(() => []))
      await unlink(path.join(rootfs, 'etc/apt/sources.list.d', name));
    if (deb822 && hostSuite) await writeFile(path.join(rootfs, 'etc/apt/sources.list.d/debian.sources'), sourcesForSuite(deb822, hostSuite, recipe.suite));
    else await writeFile(path.join(rootfs, 'etc/apt/sources.list'), `deb ${mirror} ${recipe.suite} main\n`);
    await execa('chroot', [rootfs, 'apt-get', 'clean'], { env: { PATH: host.path } });
    await rm(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    const tar = execa('tar', ['-C', rootfs, '-c', '.'], { env: { PATH: host.path }, buffer: false, stdout: 'pipe' });
    await engine.importImage(tar.stdout, recipe.image, `debootstrap minbase ${recipe.suite}`, [
      'CMD ["bash"]',
      'ENV LANG=C.UTF-8',
      `LABEL ${RECIPE_LABEL}=debootstrap:${recipe.suite}`,
    ]);
    await tar;
  } finally {
    await new Promise((resolve) => log.end(resolve));
    await rm(rootfs, { recursive: true, force: true });
  }
}
