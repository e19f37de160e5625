import type { Engine } from '../docker/engine.js';
import type { HostShell } from '../docker/engine-setup.js';
import { guardBridges, readDockerUser, rulesInPlace, stackLines, stackRules, unguardBridges, type ChainRead } from '../docker/firewall.js';
import { isGatewayRole, type PortModel, type ServiceModel, type StackModel } from './model.js';

/** A port published on this machine for a service other than the gateway: what mcpgw.yaml asked for besides it. */
export interface ExtraPort {
  service: ServiceModel;
  port: PortModel;
}

/** Every published port but the gateway's (`publish: true` servers, `postgres.host_port`). */
export function extraPublished(model: Pick<StackModel, 'services'>): ExtraPort[] {
  return model.services.filter((service) => !isGatewayRole(service.role)).flatMap((service) => service.ports.map((port) => ({ service, port })));
}

export function describeExtra(extras: readonly ExtraPort[]): string {
  return extras.map(({ service, port }) => `${service.name} on ${port.hostIp}:${port.published}`).join(', ');
}

/** The Linux bridges of the stack's networks that exist now (a network not created yet has none). */
export async function stackBridges(engine: Engine, model: Pick<StackModel, 'networks'>): Promise<string[]> {
  const bridges: string[] = [];
  for (const network of model.networks) {
    const bridge = (await engine.networkByName(network.name))?.bridge;
    if (bridge) bridges.push(bridge);
  }
  return bridges;
}

/** What the stack's DOCKER-USER rules are now: complete, partly or not there, or unreadable (not root, no iptables). */
export type GuardState = { readable: true; complete: boolean; installed: number; wanted: number; bridges: string[] } | Extract<ChainRead, { readable: false }>;

export async function guardState(shell: HostShell, engine: Engine, model: StackModel): Promise<GuardState> {
  const chain = await readDockerUser(shell);
  if (!chain.readable) return chain;
  const bridges = await stackBridges(engine, model);
  const rules = stackRules(model.name, bridges);
  return {
    readable: true,
    complete: rulesInPlace(chain.lines, model.name, rules),
    installed: stackLines(chain.lines, model.name).length,
    wanted: rules.length,
    bridges,
  };
}

export type GuardOutcome = { readable: true; action: 'installed' | 'unchanged'; rules: number; bridges: string[] } | Extract<ChainRead, { readable: false }>;

/** Installs (or keeps) the DOCKER-USER rules that let forwarded traffic into the stack's bridges only through published ports. */
export async function guardStack(shell: HostShell, engine: Engine, model: StackModel): Promise<GuardOutcome> {
  const chain = await readDockerUser(shell);
  if (!chain.readable) return chain;
  const bridges = await stackBridges(engine, model);
  const change = await guardBridges(shell, chain.lines, model.name, stackRules(model.name, bridges));
  return { readable: true, ...change, bridges };
}

/** Removes the stack's DOCKER-USER rules (down); how many, or undefined when iptables cannot be read here. */
export async function unguardStack(shell: HostShell, model: Pick<StackModel, 'name'>): Promise<number | undefined> {
  const chain = await readDockerUser(shell);
  return chain.readable ? unguardBridges(shell, chain.lines, model.name) : undefined;
}
