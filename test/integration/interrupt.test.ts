import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';

// The built CLI as a user runs it, waiting on a gateway that accepts connections and never answers.
const GATEWAY_PORT = 14998;
const KEY = 'sk-itest-interrupt-7f3a9c1e5b2d4086';

describe('Ctrl-C on the built CLI', () => {
  let gateway: Server;
  const sockets = new Set<Socket>();
  let connections = 0;

  beforeAll(async () => {
    gateway = createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => gateway.listen(GATEWAY_PORT, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => gateway.close(resolve));
  });

  const interrupted = (signals: number) =>
    withTempDir(async (dir) => {
      const mcp = { everything: { transport: 'http' as const, port: 48997 } };
      await writeTestStack(dir, { name: 'mcpgwt-interrupt', images: inject('mcpgwStack').images, litellmPort: GATEWAY_PORT, mcp });
      const before = connections;
      const child = execa(process.execPath, [path.resolve('bin/mcpgw.js'), 'mcp', 'tools', 'everything', '--key', KEY], { cwd: dir, reject: false });
      // Interrupt once the request is waiting on the gateway; a CLI that ended before that is returned as it is.
      let exited = false;
      void child.finally(() => (exited = true));
      while (connections === before && !exited) await new Promise((resolve) => setTimeout(resolve, 20));
      for (let sent = 0; sent < signals; sent += 1) {
        child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return child;
    });

  it('one Ctrl-C ends a step that does not watch for it: exit 130, said on stderr, the key never printed', async () => {
    const result = await interrupted(1);
    expect(result.signal, result.stderr).toBeUndefined();
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/^error: interrupted$/m);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it('a burst of Ctrl-C still exits 130 rather than dying by the signal', async () => {
    const result = await interrupted(40);
    expect(result.signal, result.stderr).toBeUndefined();
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/^error: interrupted$/m);
  });
});
