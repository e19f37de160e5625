import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

/** Docker is a socket that does not exist: a config error must stop the command before the engine is asked. */
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

async function inStack<T>(yaml: string, fn: (dir: string) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    await writeFile(path.join(dir, 'mcpgw.yaml'), yaml);
    return fn(dir);
  });
}

const BAD = `version: 1
host: linuxserver.lan
litellm: { build: builtin, image: ghcr.io/berriai/litellm-database:v1.108.7 }
postgres: { build: yes }
mcp_servers:
  everything:
    transport: http
    build: { npm: "@modelcontextprotocol/server-everything@latest" }
    command: [npx, -y, "@modelcontextprotocol/server-everything"]
    port: 48010
`;

describe('mcpgw images build: bad input', () => {
  it('reports every build field problem at once, with its place and fix, and exits 2 before asking Docker', async () => {
    await inStack(BAD, async (dir) => {
      const result = await runCli(['images', 'build'], { cwd: dir, env });
      expect(result.code).toBe(2);
      const out = result.stdout + result.stderr;
      expect(out).toContain('litellm.image');
      expect(out).toContain('build: builtin builds and runs mcpgw/litellm-db:1.108.7');
      expect(out).toContain('postgres.build');
      expect(out).toContain('mcp_servers.everything.build.npm');
      expect(out).toContain('must name one exact version');
      expect(out).toContain('mcp_servers.everything.command');
      expect(out).toContain('downloads the package when the container starts');
      expect(out).not.toContain('cannot reach the Docker engine');
    });
  });

  it('under --json prints one document with every problem', async () => {
    await inStack(BAD, async (dir) => {
      const result = await runCli(['images', 'build', '--json'], { cwd: dir, env });
      expect(result.code).toBe(2);
      const text = JSON.stringify(JSON.parse(result.stdout));
      for (const field of ['litellm.image', 'postgres.build', 'mcp_servers.everything.build.npm', 'mcp_servers.everything.command'])
        expect(text).toContain(field);
    });
  });

  it('up refuses the same file with exit 2', async () => {
    await inStack(BAD, async (dir) => {
      const result = await runCli(['up'], { cwd: dir, env });
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).toContain('mcp_servers.everything.build.npm');
    });
  });
});
