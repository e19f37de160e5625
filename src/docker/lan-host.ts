import type { HostShell } from './engine-setup.js';

export interface LanTarget {
  host: string;
  port: number;
}

/** What a TCP connect from the LAN host got: only `answers` means something listened and let it in. */
export type LanResult = 'answers' | 'refused' | 'timed out' | 'unreachable';

/** A network namespace standing in for a LAN host: its address, and this machine's address on the link to it. */
export interface LanHost {
  namespace: string;
  address: string;
  /** This machine as the LAN host sees it: its default route, and where a port published on 0.0.0.0 answers. */
  gateway: string;
  /** TCP connects to every target at once, each bounded by timeoutMs; the results in the targets' order. */
  connect(targets: readonly LanTarget[], timeoutMs: number): Promise<LanResult[]>;
}

/** Why no LAN host can be made here, or undefined when one can (root, with `ip`). */
export async function lanHostUnavailable(shell: HostShell): Promise<string | undefined> {
  if (!shell.isRoot) return 'mcpgw does not run as root, so it cannot make a network namespace';
  if (!(await shell.has('ip'))) return '`ip` (iproute2) is not installed';
  return undefined;
}

/**
 * Each connect runs in Node inside the namespace (mcpgw's own Node, so nothing else must be installed): the
 * targets and the deadline come as arguments, the results go out as one JSON line.
 */
const CONNECT_SCRIPT = `const net = require('node:net');
const [ms, ...targets] = process.argv.slice(1);
Promise.all(targets.map((target) => new Promise((done) => {
  const at = target.lastIndexOf(':');
  const socket = net.connect({ host: target.slice(0, at), port: Number(target.slice(at + 1)) });
  const end = (result) => { clearTimeout(timer); socket.destroy(); done(result); };
  const timer = setTimeout(() => end('timed out'), Number(ms));
  socket.once('connect', () => end('answers'));
  socket.once('error', (error) => end(error.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
}))).then((results) => process.stdout.write(JSON.stringify(results) + '\\n'));`;

/**
 * Runs `use` with a throwaway LAN host: a network namespace joined to this machine by a veth pair, addressed from
 * 198.18.0.0/15 (the benchmarking range, never a real LAN's) with its default route via this machine, just as a
 * LAN host with a static route to the Docker bridges would be. The namespace is always removed afterwards.
 */
export async function withLanHost<T>(shell: HostShell, random: (size: number) => Buffer, use: (host: LanHost) => Promise<T>): Promise<T> {
  const bytes = random(5);
  const id = bytes.subarray(0, 3).toString('hex');
  const namespace = `mcpgw-lan-${id}`;
  const outer = `mlan${id}h`;
  const inner = `mlan${id}n`;
  // One /30 of 198.18.0.0/15 picked at random, so doctors running at once do not collide.
  const block = ((bytes.readUInt16BE(3) & 0x7fff) << 2) >>> 0;
  const address = (offset: number) => `198.${18 + ((block + offset) >> 16)}.${((block + offset) >> 8) & 0xff}.${(block + offset) & 0xff}`;
  const gateway = address(1);
  const lan = address(2);
  const ip = async (...args: string[]) => {
    const result = await shell.run('ip', args);
    if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.output.trim()}`);
  };
  try {
    await ip('netns', 'add', namespace);
    await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace);
    await ip('addr', 'add', `${gateway}/30`, 'dev', outer);
    await ip('link', 'set', outer, 'up');
    await ip('-n', namespace, 'addr', 'add', `${lan}/30`, 'dev', inner);
    await ip('-n', namespace, 'link', 'set', inner, 'up');
    await ip('-n', namespace, 'link', 'set', 'lo', 'up');
    await ip('-n', namespace, 'route', 'add', 'default', 'via', gateway);
    return await use({
      namespace,
      address: lan,
      gateway,
      connect: async (targets, timeoutMs) => {
        if (targets.length === 0) return [];
        const args = ['netns', 'exec', namespace, process.execPath, '-e', CONNECT_SCRIPT, String(timeoutMs), ...targets.map((t) => `${t.host}:${t.port}`)];
        const result = await shell.run('ip', args);
        const line = result.output.trim().split('\n').pop() ?? '';
        const parsed: unknown = result.code === 0 ? JSON.parse(line) : undefined;
        if (!Array.isArray(parsed) || parsed.length !== targets.length) throw new Error(`the connects from the LAN host failed: ${result.output.trim()}`);
        return parsed as LanResult[];
      },
    });
  } finally {
    // Deleting the namespace deletes its end of the pair, and with it this machine's end.
    await shell.run('ip', ['netns', 'del', namespace]);
    await shell.run('ip', ['link', 'del', outer]);
  }
}
