import { createServer, type Server, type Socket } from 'node:net';
import type { Engine } from './engine.js';

export interface Tunnel {
  /** Loopback address and port on this machine that lead to the container's port. */
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Bash's /dev/tcp both ways: the exec's stdin goes to the container's own port, what it answers comes back on
 * stdout. The foreground `cat` ends when this side closes; the background one when the service closes.
 */
const RELAY = 'exec 3<>"/dev/tcp/$1/$2" && { cat <&3 & cat >&3; }';

/**
 * A port on this machine's loopback that leads, through the engine's exec API, to `target` as a container reaches
 * it (its own loopback, or a name its networks resolve): how mcpgw reaches a swarm's Postgres, which listens on an
 * internal overlay network no address of this machine routes to (and which must never be published on a node's LAN
 * address). Each connection is one exec of bash in the container (mcpgw's Postgres and LiteLLM images have it); the
 * database still asks the role's password, and nothing is listening once `close` is called.
 */
export async function openTunnel(engine: Engine, containerId: string, target: { host: string; port: number }): Promise<Tunnel> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    engine
      .execStreaming(containerId, ['bash', '-c', RELAY, 'mcpgw-tunnel', target.host, String(target.port)], { stdout: socket, stdin: socket })
      .catch(() => undefined)
      .finally(() => socket.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // The command's own end decides when the process exits, not a tunnel left open.
  server.unref();
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the tunnel has no TCP address');
  return {
    host: '127.0.0.1',
    port: address.port,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
