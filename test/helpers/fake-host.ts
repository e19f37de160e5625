import type { HostShell } from '../../src/docker/engine-setup.js';
import type { LanResult } from '../../src/docker/lan-host.js';

/**
 * This machine for the unit and CLI tiers: iptables' DOCKER-USER chain held as the lines `iptables -S` prints,
 * `ip` answered as it would (a LAN host's connects answered by `reach`), and every command recorded. A command
 * it does not model fails, naming itself.
 */
export class FakeHost implements HostShell {
  readonly calls: string[] = [];
  /** DOCKER-USER as `iptables -S` prints it, `-N` line aside; undefined: no such chain. */
  chain: string[] | undefined = ['-A DOCKER-USER -j RETURN'];
  isRoot = true;
  commands = new Set(['iptables', 'ip']);
  distribution = 'debian';
  systemd = false;
  /** What a connect from the LAN host to host:port gets. */
  reach: (host: string, port: number) => LanResult = () => 'timed out';
  /** Namespaces that exist now. */
  readonly namespaces = new Set<string>();

  async has(command: string): Promise<boolean> {
    return this.commands.has(command);
  }

  async spawnDaemon(command: string): Promise<void> {
    throw new Error(`the fake host does not spawn ${command}`);
  }

  async run(command: string, args: string[]): Promise<{ code: number; output: string }> {
    this.calls.push(`${command} ${args.join(' ')}`);
    if (command === 'iptables') return this.iptables(args);
    if (command === 'ip') return this.ip(args);
    throw new Error(`the fake host does not model ${command}`);
  }

  private iptables(args: string[]): { code: number; output: string } {
    const [verb, chain, ...rest] = args;
    if (chain !== 'DOCKER-USER') throw new Error(`the fake host models DOCKER-USER only, not ${chain}`);
    if (!this.chain) return { code: 1, output: 'iptables: No chain/target/match by that name.' };
    if (verb === '-S') return { code: 0, output: ['-N DOCKER-USER', ...this.chain].join('\n') };
    if (verb === '-I') {
      const [position, ...rule] = rest;
      this.chain.splice(Number(position) - 1, 0, line(rule));
      return { code: 0, output: '' };
    }
    if (verb === '-D') {
      const index = this.chain.indexOf(line(rest));
      if (index < 0) return { code: 1, output: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
      this.chain.splice(index, 1);
      return { code: 0, output: '' };
    }
    throw new Error(`the fake host does not model iptables ${verb}`);
  }

  private ip(args: string[]): { code: number; output: string } {
    if (args[0] === 'netns' && args[1] === 'add') this.namespaces.add(args[2] ?? '');
    if (args[0] === 'netns' && args[1] === 'del') this.namespaces.delete(args[2] ?? '');
    if (args[0] === 'netns' && args[1] === 'exec') {
      // ip netns exec NS node -e SCRIPT MS HOST:PORT…
      const targets = args.slice(7);
      const results = targets.map((target) => {
        const at = target.lastIndexOf(':');
        return this.reach(target.slice(0, at), Number(target.slice(at + 1)));
      });
      return { code: 0, output: `${JSON.stringify(results)}\n` };
    }
    return { code: 0, output: '' };
  }
}

/** A rule's words as `iptables -S` prints them: the chain's -A, the comment quoted. */
function line(rule: string[]): string {
  return ['-A', 'DOCKER-USER', ...rule.map((word, index) => (rule[index - 1] === '--comment' ? `"${word}"` : word))].join(' ');
}
