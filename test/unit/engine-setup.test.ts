import { describe, expect, it } from 'vitest';
import { engineOrSetUp, ensureHostCommand, type EngineSetup, type HostShell } from '../../src/docker/engine-setup.js';
import { StepFailed } from '../../src/errors.js';
import type { Progress } from '../../src/ui/progress.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const unreachable = () => new StepFailed('cannot reach the Docker engine at /var/run/docker.sock: connect ENOENT', 'start Docker');
const engine = new FakeEngine();

/** A host that records what was asked of it; dockerd answers once it has been started. */
function host(overrides: Partial<HostShell> & { installed?: boolean; aptFails?: boolean } = {}) {
  const calls: string[] = [];
  let started = false;
  let installed = overrides.installed ?? false;
  const shell: HostShell = {
    has: async (command) => command === 'dockerd' && installed,
    run: async (command, args) => {
      calls.push(`${command} ${args.join(' ')}`);
      if (command === 'apt-get' && overrides.aptFails) return { code: 100, output: 'E: Unable to locate package docker.io' };
      if (command === 'apt-get' && args[0] === 'install') installed = true;
      if (command === 'systemctl') started = true;
      return { code: 0, output: '' };
    },
    spawnDaemon: async (command, _args, logFile) => {
      calls.push(`spawn ${command} > ${logFile}`);
      started = true;
    },
    isRoot: true,
    distribution: 'debian',
    systemd: false,
    ...overrides,
  };
  const steps: string[] = [];
  const progress: Progress = {
    start: (title) => ({
      update: () => undefined,
      succeed: (detail) => steps.push(`ok ${title}: ${detail}`),
      skip: (detail) => steps.push(`skip ${title}: ${detail}`),
      fail: (detail) => steps.push(`FAIL ${title}: ${detail}`),
    }),
  };
  // A clock whose sleeps pass at once: the wait for dockerd runs against its own deadline without real time.
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const setup = (extra: Partial<EngineSetup> = {}): EngineSetup => ({
    shell: async () => shell,
    progress,
    consented: false,
    clock,
    connect: async () => {
      if (!started) throw unreachable();
      return engine;
    },
    ...extra,
  });
  return { calls, steps, setup };
}

describe('getting a Docker engine for up', () => {
  it('uses a running engine and touches nothing', async () => {
    const { calls, setup } = host();
    const questions: string[] = [];
    expect(await engineOrSetUp({}, setup({ connect: async () => engine, confirm: async (q) => (questions.push(q), true) }))).toBe(engine);
    expect(calls).toEqual([]);
    expect(questions).toEqual([]);
  });

  it("asks, then installs Debian's docker.io and starts dockerd in its own session", async () => {
    const { calls, steps, setup } = host();
    const questions: string[] = [];
    expect(await engineOrSetUp({}, setup({ confirm: async (q) => (questions.push(q), true) }))).toBe(engine);
    expect(questions).toEqual(["No Docker engine answers on this machine. Install Debian's docker.io package (apt-get) and start dockerd?"]);
    expect(calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends docker.io', 'spawn dockerd > /var/log/mcpgw-dockerd.log']);
    expect(steps.at(-1)).toBe('ok docker engine: answering: ping ok');
  });

  it('with --install-docker it does not ask; an installed engine is only started, by systemd where it runs', async () => {
    const { calls, setup } = host({ installed: true, systemd: true });
    expect(await engineOrSetUp({}, setup({ consented: true }))).toBe(engine);
    expect(calls).toEqual(['systemctl start docker']);
  });

  it('never installs silently: a "no", or no terminal and no flag, fails naming --install-docker', async () => {
    for (const confirm of [async () => false, undefined]) {
      const { calls, setup } = host();
      const error = await engineOrSetUp({}, setup(confirm ? { confirm } : {})).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StepFailed);
      expect((error as StepFailed).hint).toMatch(/--install-docker to install Debian's docker.io package \(apt-get\) and start dockerd/);
      expect(calls).toEqual([]);
    }
  });

  it('leaves a DOCKER_HOST the user set, a non-root user and other systems to the user', async () => {
    for (const [env, overrides] of [
      [{ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, {}],
      [{}, { isRoot: false }],
      [{}, { distribution: 'fedora' }],
    ] as const) {
      const { calls, setup } = host(overrides);
      await expect(engineOrSetUp(env, setup({ consented: true }))).rejects.toThrow(/cannot reach the Docker engine/);
      expect(calls).toEqual([]);
    }
  });

  it('a dockerd that never answers is named with the last error and the log to read, at its deadline', async () => {
    const { setup, steps } = host({ installed: true });
    await expect(
      engineOrSetUp(
        {},
        setup({
          consented: true,
          connect: async () => {
            throw unreachable();
          },
        }),
      ),
    ).rejects.toThrow(/^the Docker engine did not answer within 90 s: cannot reach the Docker engine at \/var\/run\/docker\.sock/);
    expect(steps.at(-1)).toBe('FAIL docker engine: answering: no answer');
  });

  it("a failed apt-get is named with apt's own words", async () => {
    const { setup } = host({ aptFails: true });
    await expect(engineOrSetUp({}, setup({ consented: true }))).rejects.toThrow(/apt-get update -qq failed:\nE: Unable to locate package docker.io/);
  });

  it('installs a missing debootstrap on the same terms, and leaves a present one alone', async () => {
    const missing = host({ has: async () => false });
    await ensureHostCommand('debootstrap', 'debootstrap', 'to build mcpgw/debian:bookworm', missing.setup({ consented: true }));
    expect(missing.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends debootstrap']);
    const refused = host({ has: async () => false });
    await ensureHostCommand('debootstrap', 'debootstrap', 'to build mcpgw/debian:bookworm', refused.setup({ confirm: async () => false }));
    expect(refused.calls).toEqual([]);
    const present = host({ has: async () => true });
    await ensureHostCommand('debootstrap', 'debootstrap', 'to build mcpgw/debian:bookworm', present.setup({ consented: true }));
    expect(present.calls).toEqual([]);
  });
});
