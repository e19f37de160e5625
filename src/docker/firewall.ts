import { StepFailed } from '../errors.js';
import type { HostShell } from './engine-setup.js';

/** Docker's chain for the operator's own rules: every forwarded packet passes it first, and Docker never flushes it. */
export const DOCKER_USER = 'DOCKER-USER';

/** The comment on every rule of one stack, so a later `up` and `down` find exactly its rules and no one else's. */
export function ruleComment(stack: string): string {
  return `mcpgw:stack=${stack}`;
}

/**
 * Forwarded traffic into a stack's bridges passes only when it belongs to a connection already let in, was
 * DNAT'ed by a published port (LiteLLM's, or one mcpgw.yaml asks for), or comes from the same bridge; the rest is
 * dropped. Docker 20.10's own rule for a published port (`-d <container> ! -i br-… -o br-… --dport N -j ACCEPT`)
 * does not look at where the packet came from, so without these a LAN host that routes the bridge's subnet via
 * this machine reaches the container directly, whatever address the port was published on.
 */
export function stackRules(stack: string, bridges: readonly string[]): string[][] {
  const tag = ['-m', 'comment', '--comment', ruleComment(stack)];
  return [...new Set(bridges)].sort().flatMap((bridge) => [
    ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'RETURN'],
    ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...tag, '-j', 'RETURN'],
    ['-i', bridge, '-o', bridge, ...tag, '-j', 'RETURN'],
    ['-o', bridge, ...tag, '-j', 'DROP'],
  ]);
}

/** A rule as `iptables -S` prints it (the comment quoted), to compare with what is installed. */
export function ruleLine(rule: readonly string[]): string {
  return ['-A', DOCKER_USER, ...rule.map((word, index) => (rule[index - 1] === '--comment' ? `"${word}"` : word))].join(' ');
}

/** The words of an `iptables -S` line, quotes removed. */
function words(line: string): string[] {
  return (line.match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"(.*)"$/, '$1'));
}

/** The lines of DOCKER-USER that carry this stack's comment, in chain order. */
export function stackLines(chain: readonly string[], stack: string): string[] {
  const comment = ruleComment(stack);
  return chain.filter((line) => {
    const parts = words(line);
    return parts.some((word, index) => word === comment && parts[index - 1] === '--comment');
  });
}

/** Whether the stack's rules in the chain are exactly `rules`, in order. */
export function rulesInPlace(chain: readonly string[], stack: string, rules: readonly string[][]): boolean {
  return stackLines(chain, stack).join('\n') === rules.map(ruleLine).join('\n');
}

/** DOCKER-USER as `iptables -S` prints it, or why mcpgw cannot read or change it here (and what to do). */
export type ChainRead = { readable: true; lines: string[] } | { readable: false; reason: string; fix: string };

export async function readDockerUser(shell: HostShell): Promise<ChainRead> {
  if (!shell.isRoot) return { readable: false, reason: 'mcpgw does not run as root, so it cannot read or change iptables', fix: 'run `mcpgw up` as root' };
  if (!(await shell.has('iptables')))
    return {
      readable: false,
      reason: 'iptables is not installed on this machine',
      fix: 'install iptables (apt-get install iptables) and run `mcpgw up` again',
    };
  const listed = await shell.run('iptables', ['-S', DOCKER_USER]);
  if (listed.code !== 0) {
    return {
      readable: false,
      reason: `iptables has no ${DOCKER_USER} chain (${lastLine(listed.output)}): Docker runs without its iptables rules`,
      fix: `let Docker manage iptables (no "iptables": false in /etc/docker/daemon.json), restart it and run \`mcpgw up\` again`,
    };
  }
  return { readable: true, lines: listed.output.split('\n').filter((line) => line.startsWith('-A ')) };
}

export interface GuardChange {
  action: 'installed' | 'unchanged';
  rules: number;
}

/**
 * Makes this stack's rules in DOCKER-USER exactly `rules`, in order: kept when they already are, else the stack's
 * old rules are deleted and the new ones inserted at the top (before Docker's final RETURN). Other rules are never
 * touched; where another stack's rules stand relative to these does not matter, each names its own bridges.
 * Each rule goes in at the top, last one first: another program inserting into the chain meanwhile (a second stack's
 * `up`, Docker) can land between two of them but never turn their order (a DROP ahead of this stack's ACCEPTs would
 * cut its containers off from each other), as numbered positions would.
 */
export async function guardBridges(shell: HostShell, chain: readonly string[], stack: string, rules: readonly string[][]): Promise<GuardChange> {
  if (rulesInPlace(chain, stack, rules)) return { action: 'unchanged', rules: rules.length };
  await deleteLines(shell, stackLines(chain, stack));
  for (const rule of [...rules].reverse()) await iptables(shell, ['-I', DOCKER_USER, '1', ...rule]);
  return { action: 'installed', rules: rules.length };
}

/** Deletes this stack's rules from DOCKER-USER; how many there were. */
export async function unguardBridges(shell: HostShell, chain: readonly string[], stack: string): Promise<number> {
  const installed = stackLines(chain, stack);
  await deleteLines(shell, installed);
  return installed.length;
}

async function deleteLines(shell: HostShell, lines: readonly string[]): Promise<void> {
  for (const line of lines) await iptables(shell, ['-D', ...words(line).slice(1)]);
}

async function iptables(shell: HostShell, args: string[]): Promise<void> {
  const result = await shell.run('iptables', args);
  if (result.code !== 0) {
    throw new StepFailed(
      `iptables ${args.join(' ')} failed: ${lastLine(result.output)}`,
      `check the ${DOCKER_USER} chain (iptables -S ${DOCKER_USER}) and run mcpgw again`,
    );
  }
}

function lastLine(output: string): string {
  return output.trim().split('\n').pop() ?? '';
}
