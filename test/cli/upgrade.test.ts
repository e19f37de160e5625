import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

/** Docker is a socket that does not exist: usage errors must be named before anything is asked of it. */
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

describe('mcpgw upgrade: usage', () => {
  it('refuses a --to that is neither a version nor an image reference, before reading anything (exit 2)', async () => {
    await withTempDir(async (dir) => {
      const result = await runCli(['upgrade', '--to', 'not an image', '--yes'], { cwd: dir, env });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--to not an image is neither a LiteLLM version nor an image reference/);
      expect(result.stderr).toMatch(/e\.g\. --to 1\.108\.7/);
    });
  });

  it('needs a value for --to, and mcpgw.yaml for everything else (exit 2 with the fix)', async () => {
    await withTempDir(async (dir) => {
      const bare = await runCli(['upgrade', '--to'], { cwd: dir, env });
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/option '--to <version\|image>' argument missing/);
      const none = await runCli(['upgrade', '--yes'], { cwd: dir, env });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/mcpgw\.yaml not found/);
      expect(none.stderr).toMatch(/mcpgw init/);
    });
  });
});
