import { chmod, cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { fixtureStack } from '../helpers/fixtures.js';
import { runCli, withTempDir } from '../helpers/cli.js';

const EVERYTHING = 'registry.lan:5000/everything:2026.8.31';

/** The local engine as far as render asks it: how the one image mcpgw does not build starts, when it is there. */
function engineWith(present: boolean): () => Promise<Engine> {
  const asked: string[] = [];
  const engine = new FakeEngine({
    imageLaunch: async (image) => {
      asked.push(image);
      return present && image === EVERYTHING ? { entrypoint: ['docker-entrypoint.sh'], cmd: ['npx', 'server-everything'], labels: {} } : undefined;
    },
  });
  return async () => engine;
}

async function swarmStack(dir: string): Promise<void> {
  await cp(fixtureStack('swarm').dir, dir, { recursive: true });
  const secrets = path.join(dir, 'secrets.env');
  // A secrets file from before the stack went to a swarm: render adds Redis's password, as it adds the roles' ones.
  await writeFile(secrets, (await readFile(secrets, 'utf8')).replace(/^MCPGW_REDIS_PASSWORD=.*\n/m, ''));
  await chmod(secrets, 0o600);
}

describe('mcpgw render with engine: swarm', () => {
  it('writes swarm/stack.yml and the front door instead of docker-compose.yml, and --check agrees', async () => {
    await withTempDir(async (dir) => {
      await swarmStack(dir);
      const result = await runCli(['render'], { cwd: dir, docker: engineWith(true) });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/added MCPGW_REDIS_PASSWORD/);
      expect(await readFile(path.join(dir, 'secrets.env'), 'utf8')).toMatch(/^MCPGW_REDIS_PASSWORD=\S{24,}$/m);
      expect(await readdir(dir)).not.toContain('docker-compose.yml');
      expect((await readdir(path.join(dir, 'swarm'))).sort()).toEqual(['haproxy.cfg', 'stack.yml']);
      for (const service of ['litellm', 'litellm-migrate', 'redis', 'postgres', 'mcp-everything'])
        expect((await stat(path.join(dir, 'env', `${service}.env`))).mode & 0o777, service).toBe(0o600);
      const check = await runCli(['render', '--check'], { cwd: dir, docker: engineWith(true) });
      expect(check.code, check.stdout).toBe(0);
    });
  });

  it('exits 2 naming an image whose start it cannot read, and writes nothing', async () => {
    await withTempDir(async (dir) => {
      await swarmStack(dir);
      const result = await runCli(['render'], { cwd: dir, docker: engineWith(false) });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`mcpgw cannot tell how ${EVERYTHING} (service mcp-everything) starts`);
      expect(await readdir(dir)).not.toContain('swarm');
    });
  });
});
