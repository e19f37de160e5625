import { cp } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { fixtureStack } from '../helpers/fixtures.js';
import { runCli, withTempDir } from '../helpers/cli.js';

/** The local engine as loading a swarm stack asks it: how an image mcpgw does not build starts. */
const engine = async () =>
  ({ imageLaunch: async () => ({ entrypoint: ['docker-entrypoint.sh'], cmd: ['npx', 'server-everything'], labels: {} }) }) as unknown as Engine;

describe('commands that do not know a swarm yet', () => {
  it.each([
    [['doctor'], /`mcpgw doctor` does not know a swarm's tasks yet/, /mcpgw probe/],
    [['mcp', 'list'], /`mcpgw mcp list` does not know a swarm's tasks yet/, /mcpgw probe/],
  ])('%s refuses a swarm with exit 2 and says what to use instead, touching no engine', async (argv, message, fix) => {
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
  });
});
