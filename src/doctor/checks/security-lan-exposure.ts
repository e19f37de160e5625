import { DOCKER_USER } from '../../docker/firewall.js';
import { lanHostUnavailable, withLanHost, type LanResult, type LanTarget } from '../../docker/lan-host.js';
import { describeExtra, extraPublished, guardState } from '../../stack/firewall.js';
import { gatewayService, isGatewayRole, type ServiceModel, type StackModel } from '../../stack/model.js';
import type { DoctorContext } from '../context.js';
import { fail, pass, skip, warn, type Cause, type Check, type CheckOutcome } from '../types.js';

/** A connect on the same machine is answered in well under a millisecond; a dropped one waits this long. */
const CONNECT_MS = 1_000;
const LOOPBACK = /^(127\.|::1$|localhost$)/;

interface Target extends LanTarget {
  service: ServiceModel;
  /** What it is: a container's own port, or a port published on this machine. */
  kind: 'container' | 'published';
}

const fixPublished =
  'remove `publish: true` (or postgres.host_port) unless something on this machine needs the port; ' +
  `otherwise run \`mcpgw up\` as root, which installs ${DOCKER_USER} rules that let forwarded traffic in only through published ports`;
const fixForwarded =
  `run \`mcpgw up\` as root: it installs ${DOCKER_USER} rules that drop forwarded traffic into the stack's bridges ` +
  '(this machine forwards it to the containers although nothing publishes the port: is the FORWARD policy ACCEPT?)';

export const securityLanExposure: Check = {
  id: 'security.lan-exposure',
  title: "a LAN host reaches LiteLLM's port and no other port of the stack",
  area: 'security',
  needs: ['config', 'docker'],
  only: {
    engine: 'compose',
    why: "reads this machine's firewall and one engine's published ports; on a swarm the front door is published by Swarm on the data node",
  },
  async run(ctx) {
    const model = await ctx.model();
    const shell = await ctx.deps.hostShell();
    const unavailable = await lanHostUnavailable(shell);
    if (unavailable) return judgedFromConfig(ctx, model, unavailable);
    const docker = await ctx.docker();
    const containers: Target[] = [];
    await Promise.all(
      model.services
        // The gateway's own addresses answer what its published port answers: with a key only.
        .filter((service) => !isGatewayRole(service.role))
        .map(async (service) => {
          for (const network of service.networks) {
            const host = await docker.containerAddress(service.containerName, network);
            if (host) containers.push({ service, kind: 'container', host, port: service.listens });
          }
        }),
    );
    return withLanHost(shell, ctx.deps.randomBytes, async (lan) => {
      // A port published on every address answers at this machine's address on the link, one on a given address
      // there (routed via this machine); one on loopback is reached from elsewhere only at its container address.
      const published: Target[] = model.services.flatMap((service) =>
        service.ports
          .filter((port) => !LOOPBACK.test(port.hostIp))
          .map((port) => ({
            service,
            kind: 'published' as const,
            host: port.hostIp === '0.0.0.0' || port.hostIp === '::' ? lan.gateway : port.hostIp,
            port: port.published,
          })),
      );
      const targets = [...published, ...containers.sort((a, b) => `${a.service.name}${a.host}`.localeCompare(`${b.service.name}${b.host}`))];
      const results = await lan.connect(targets, CONNECT_MS);
      return judge(model, lan.address, targets, results);
    });
  },
};

function judge(model: StackModel, from: string, targets: readonly Target[], results: readonly LanResult[]): CheckOutcome {
  const evidence = [`from a LAN host (network namespace ${from}, routed via this machine):`];
  const causes: Cause[] = [];
  let litellmAnswers = false;
  targets.forEach((target, index) => {
    const result = results[index] ?? 'unreachable';
    const where = `${target.host}:${target.port}`;
    const litellm = isGatewayRole(target.service.role);
    evidence.push(`  ${target.service.name} ${target.kind === 'published' ? 'published' : 'container'} ${where}: ${result}`);
    if (result !== 'answers') return;
    if (litellm) litellmAnswers = true;
    else
      causes.push({
        cause: `${target.service.name} answers a LAN host at ${where} with no key (${target.kind === 'published' ? 'its published port' : 'its container address'})`,
        fix: target.service.ports.length > 0 ? fixPublished : fixForwarded,
      });
  });
  if (causes.length > 0) return fail(evidence, causes);
  const bind = gatewayService(model).ports[0]?.hostIp ?? '';
  if (!litellmAnswers && !LOOPBACK.test(bind))
    return warn(evidence, [
      {
        cause: "LiteLLM's published port did not answer the LAN host either, so nothing answering may only mean nothing was reachable",
        fix: 'check that LiteLLM runs (litellm.health) and that this machine forwards (sysctl net.ipv4.ip_forward)',
      },
    ]);
  return pass(...evidence);
}

/** Without a LAN host to ask from: what is published, and whether the stack's DOCKER-USER rules are in (as root). */
async function judgedFromConfig(ctx: DoctorContext, model: StackModel, unavailable: string): Promise<CheckOutcome> {
  const extras = extraPublished(model);
  const notJudged = `not judged from a LAN host: ${unavailable} (run mcpgw doctor as root with iproute2 for that)`;
  if (extras.length === 0) return skip(notJudged, "only LiteLLM's port is published");
  const state = await guardState(await ctx.deps.hostShell(), await ctx.docker(), model);
  const evidence = [notJudged, `published besides LiteLLM: ${describeExtra(extras)}`];
  if (state.readable && state.complete) return pass(...evidence, `${DOCKER_USER} holds the stack's ${state.wanted} rules for ${state.bridges.join(', ')}`);
  const seen = state.readable ? `${DOCKER_USER} holds ${state.installed} of the stack's ${state.wanted} rules` : `${DOCKER_USER} not read: ${state.reason}`;
  return warn(
    [...evidence, seen],
    [
      {
        cause: `${describeExtra(extras)}: Docker forwards a published port to any LAN host that routes the stack's bridges via this machine`,
        fix: fixPublished,
      },
    ],
  );
}
