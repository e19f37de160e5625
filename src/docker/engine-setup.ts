import { StepFailed } from '../errors.js';
import { openPrivateLog } from '../fs.js';
import type { Progress } from '../ui/progress.js';
import type { Clock } from '../time/clock.js';
import type { Engine } from './engine.js';
import { waitUntil, WaitTimeout } from '../time/wait.js';

/** The host commands getting an engine takes; tests pass a small fake. */
export interface HostShell {
  /** Whether a command is on PATH. */
  has(command: string): Promise<boolean>;
  /** Runs a command to its end; its output goes to the log, never to stdout. */
  run(command: string, args: string[]): Promise<{ code: number; output: string }>;
  /** Starts a long-lived daemon in its own session, its output appended to logFile. */
  spawnDaemon(command: string, args: string[], logFile: string): Promise<void>;
  isRoot: boolean;
  /** The distribution's ID and ID_LIKE from /etc/os-release ("debian", "ubuntu debian", …); empty when unknown. */
  distribution: string;
  /** Whether systemd manages this host (then Docker's own unit starts the engine). */
  systemd: boolean;
}

export interface EngineSetup {
  /** Asked for only when no engine answers. */
  shell: () => Promise<HostShell>;
  progress: Progress;
  /** Asks on the terminal; absent without one. */
  confirm?: (question: string) => Promise<boolean>;
  /** The user asked for it on the command line (`--install-docker`): no question. */
  consented: boolean;
  clock: Clock;
  /** How long a started dockerd may take to answer (after an unclean stop it cleans up first). */
  startMs?: number;
  /** Reaches the engine as it is now (Deps.docker). */
  connect: () => Promise<Engine>;
}

export const DOCKERD_LOG = '/var/log/mcpgw-dockerd.log';

/**
 * The Docker engine, reached as it is, or — on a Debian-family host as root, where none answers on the default
 * socket — installed from Debian's own docker.io package and started, once the user agreed (on the terminal,
 * or with --install-docker). Never silent, never for a DOCKER_HOST the user pointed elsewhere.
 */
export async function engineOrSetUp(env: Readonly<Record<string, string | undefined>>, setup: EngineSetup): Promise<Engine> {
  try {
    return await setup.connect();
  } catch (error) {
    if (env.DOCKER_HOST || !(error instanceof StepFailed)) throw error;
    const shell = await setup.shell();
    if (!mayInstall(shell)) throw error;
    const install = !(await shell.has('dockerd'));
    const what = install ? "install Debian's docker.io package (apt-get) and start dockerd" : 'start dockerd';
    if (!(await agreed(setup, `No Docker engine answers on this machine. ${capitalise(what)}?`))) {
      throw new StepFailed(error.message, `${setup.confirm ? 'answer y, or ' : ''}run again with --install-docker to ${what}, or start Docker yourself`);
    }
    if (install) await aptInstall(shell, setup.progress, ['docker.io']);
    await startDockerd(shell, setup.progress);
    return waitForEngine(setup);
  }
}

/** mcpgw installs host packages only as root on a Debian-family host, where apt-get is the way to do it. */
function mayInstall(shell: HostShell): boolean {
  return shell.isRoot && /\b(debian|ubuntu)\b/.test(shell.distribution);
}

/** The user's yes: --install-docker, or an answer on the terminal; without either, no. */
async function agreed(setup: Pick<EngineSetup, 'consented' | 'confirm'>, question: string): Promise<boolean> {
  if (setup.consented) return true;
  return setup.confirm ? setup.confirm(question) : false;
}

async function aptInstall(shell: HostShell, progress: Progress, packages: string[]): Promise<void> {
  const step = progress.start(`apt-get install ${packages.join(' ')}`);
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const result = await shell.run('apt-get', args);
    if (result.code !== 0) {
      step.fail(`apt-get ${args[0]} exited ${result.code}`);
      throw new StepFailed(
        `apt-get ${args.join(' ')} failed:\n${tail(result.output)}`,
        `install ${packages.join(' ')} yourself (apt-get install ${packages.join(' ')}) and run mcpgw up again`,
      );
    }
  }
  step.succeed(`installed Debian's ${packages.join(', ')}`);
}

/**
 * A Debian package a later step needs (debootstrap, to build the base image of a stack whose images mcpgw
 * builds), installed on the same terms as the engine: asked, or --install-docker. Elsewhere the step that needs
 * it reports what to install.
 */
export async function ensureHostCommand(command: string, pkg: string, why: string, setup: Omit<EngineSetup, 'connect' | 'clock' | 'startMs'>): Promise<void> {
  const shell = await setup.shell();
  if ((await shell.has(command)) || !mayInstall(shell)) return;
  if (!(await agreed(setup, `${command} is not installed; it is needed ${why}. Install Debian's ${pkg} package (apt-get)?`))) return;
  await aptInstall(shell, setup.progress, [pkg]);
}

async function startDockerd(shell: HostShell, progress: Progress): Promise<void> {
  const step = progress.start('docker engine: start');
  if (shell.systemd) {
    const result = await shell.run('systemctl', ['start', 'docker']);
    if (result.code !== 0) {
      step.fail(`systemctl start docker exited ${result.code}`);
      throw new StepFailed(`systemctl start docker failed:\n${tail(result.output)}`, 'see `journalctl -u docker`, then run mcpgw up again');
    }
    step.succeed('systemctl start docker');
    return;
  }
  // No init system to own it (a container, a minimal host): dockerd in a session of its own outlives mcpgw.
  await shell.spawnDaemon('dockerd', [], DOCKERD_LOG);
  step.succeed(`dockerd started (log: ${DOCKERD_LOG})`);
}

async function waitForEngine(setup: EngineSetup): Promise<Engine> {
  const step = setup.progress.start('docker engine: answering');
  const timeoutMs = setup.startMs ?? 90_000;
  try {
    const engine = await waitUntil('the Docker engine', setup.connect, { timeoutMs, clock: setup.clock });
    step.succeed('ping ok');
    return engine;
  } catch (error) {
    step.fail('no answer');
    if (!(error instanceof WaitTimeout)) throw error;
    throw new StepFailed(`the Docker engine did not answer within ${Math.round(timeoutMs / 1000)} s: ${error.reason}`, `see ${DOCKERD_LOG}`);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function tail(output: string): string {
  return output.trimEnd().split('\n').slice(-20).join('\n');
}

/** The real host: execa for commands, /etc/os-release and /run/systemd/system for what it is. */
export async function localHostShell(): Promise<HostShell> {
  const { execa } = await import('execa');
  const { existsSync, readFileSync } = await import('node:fs');
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(release)?.[1] ?? '';
  return {
    has: async (command) => (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0,
    run: async (command, args) => {
      const result = await execa(command, args, { reject: false, all: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
      return { code: result.exitCode ?? 1, output: result.all ?? '' };
    },
    spawnDaemon: async (command, args, logFile) => {
      const { spawn } = await import('node:child_process');
      const log = openPrivateLog(logFile);
      // A dockerd that fails to start is reported by the wait for its socket, with the log to read.
      spawn(command, args, { detached: true, stdio: ['ignore', log, log] })
        .on('error', () => undefined)
        .unref();
    },
    isRoot: process.getuid?.() === 0,
    distribution: `${field('ID')} ${field('ID_LIKE')}`.trim(),
    systemd: existsSync('/run/systemd/system'),
  };
}
