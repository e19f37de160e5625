import { cp } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../helpers/fake-engine.js';
import { fixtureStack } from '../helpers/fixtures.js';
import { runCli, withTempDir } from '../helpers/cli.js';

/** The local engine as loading a swarm stack asks it: how an image mcpgw does not build starts. */
const engine = async () =>
  new FakeEngine({ imageLaunch: async () => ({ entrypoint: ['docker-entrypoint.sh'], cmd: ['npx', 'server-everything'], labels: {} }) });

describe('commands that do not know a swarm yet', () => {
  it.each([[['mcp', 'list'], /`mcpgw mcp list` does not know a swarm's tasks yet/, /mcpgw probe/]])(
    '%s refuses a swarm with exit 2 and says what to use instead, touching no engine',
    async (argv, message, fix) => {
      await withTempDir(async (dir) => {
        await cp(fixtureStack('swarm').dir, dir, { recursive: true });
        const result = await runCli(['--json', ...argv], {
          cwd: dir,
          docker: engine,
          dockerAt: async () => {
            throw new Error('no swarm engine may be asked');
          },
        });
        expect(result.code, result.stdout + result.stderr).toBe(2);
        const error = (JSON.parse(result.stdout) as { error: { message: string; hint: string } }).error;
        expect(error.message).toMatch(message);
        expect(error.hint).toMatch(fix);
      });
    },
  );

  it("doctor diagnoses a swarm instead: an unreachable swarm is swarm.tasks' finding, one engine's checks skip naming the swarm", async () => {
    await withTempDir(async (dir) => {
      await cp(fixtureStack('swarm').dir, dir, { recursive: true });
      const result = await runCli(['--json', 'doctor', '--only', 'swarm', 'replicas.ready', 'network.exists', 'mcp.containers', 'config.valid'], {
        cwd: dir,
        docker: engine,
        dockerAt: async (url) => {
          throw new Error(`${url} refused the connection`);
        },
      });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      const report = JSON.parse(result.stdout) as { checks: { id: string; status: string; evidence: string[] }[] };
      const check = (id: string) => report.checks.find((entry) => entry.id === id);
      expect(check('config.valid')?.status).toBe('pass');
      expect(check('swarm.tasks')).toMatchObject({ status: 'fail' });
      expect(check('swarm.tasks')?.evidence.join(' ')).toMatch(/swarm\.manager: .* refused the connection/);
      // The checks that need the swarm point at the one that tells why it cannot be reached.
      for (const id of ['swarm.images', 'replicas.ready']) {
        expect(check(id)).toMatchObject({ status: 'skip' });
        expect(check(id)?.evidence.join(' ')).toMatch(/needs the swarm mcpgw\.yaml names: .*\(see swarm\.tasks\)/);
      }
      for (const id of ['network.exists', 'mcp.containers']) {
        expect(check(id)).toMatchObject({ status: 'skip' });
        expect(check(id)?.evidence.join(' ')).toMatch(/^engine: swarm: one engine's/);
      }
    });
  });
});
