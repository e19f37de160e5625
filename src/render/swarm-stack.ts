import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';
import { parse, Scalar } from 'yaml';
import { builtinImageLaunch } from '../images/builtin.js';
import { HARDENING, type NetworkModel } from '../stack/model.js';
import { SECRETS_DIR, servicesThrough, unknownImage, type ImageLaunches, type SwarmModel, type SwarmService, type SwarmStage } from '../stack/swarm.js';
import { envFileFor } from './compose.js';
import type { Templates } from './templates.js';
import { stringify, templateDocument } from './yaml.js';

export const SWARM_DIR = 'swarm';
export const STACK_FILE = `${SWARM_DIR}/stack.yml`;

/** Swarm's limit on a secret's or config's name. */
const SWARM_NAME_MAX = 64;
const HASH_LENGTH = 12;

/** The content of the rendered files a stack file names (env files, config.yaml, scripts, haproxy.cfg), by path. */
export type RenderedContent = ReadonlyMap<string, string>;

/**
 * swarm/stack.yml: pure, deterministic, no secret value in it. Each env file and configuration file is a Swarm
 * secret or config named by its content, so a change is a new name and Swarm rolls the services that use it.
 * An env file's name comes from an HMAC keyed by `nameKey` (a generated secret): a plain digest of a file of short
 * secrets in a readable file would let anyone test guesses of them. `through` leaves out the services of later deploy
 * stages (and the secrets and configs only they use): the file each stage of the deploy hands to `docker stack deploy`.
 */
export function renderSwarmStack(
  model: SwarmModel,
  files: RenderedContent,
  launches: ImageLaunches,
  nameKey: string,
  templates: Templates,
  through: SwarmStage = 'serve',
): string {
  const doc = templateDocument(templates.swarmStack);
  const defaults = parse(templates.composeService) as { logging?: { driver: string; options?: Record<string, string> } };
  const secrets: Record<string, unknown> = {};
  const configs: Record<string, unknown> = {};
  const content = (file: string): string => {
    const text = files.get(file);
    if (text === undefined) throw new Error(`${file} is not among the rendered files`);
    return text;
  };
  const services: Record<string, unknown> = {};
  for (const service of servicesThrough(model, through)) {
    const out = stackService(service, model, launches, defaults.logging);
    if (service.secretEnv.length > 0) {
      const file = envFileFor(service.name);
      const key = `${service.name}-env`;
      secrets[key] = {
        name: swarmName(model.stack, key, createHmac('sha256', nameKey).update(content(file)).digest('hex')),
        file: fromStackDir(file),
        labels: stackLabels(model),
      };
      out.secrets = [{ source: key, target: `${service.name}.env`, ...secretOwner(service) }];
    }
    if (service.configs.length > 0) {
      out.configs = service.configs.map((mount) => {
        const key = configKey(mount.file);
        configs[key] = {
          name: swarmName(model.stack, key, createHash('sha256').update(content(mount.file)).digest('hex')),
          file: fromStackDir(mount.file),
          labels: stackLabels(model),
        };
        return { source: key, target: mount.target, mode: octal(0o444) };
      });
    }
    services[service.name] = escapeInterpolation(out);
  }
  doc.set('services', services);
  doc.set('networks', Object.fromEntries(model.networks.map((network) => [network.name, stackNetwork(network)])));
  if (model.volumes.length > 0) doc.set('volumes', Object.fromEntries(model.volumes.map((name) => [name, { name, labels: stackLabels(model) }])));
  else doc.delete('volumes');
  if (Object.keys(secrets).length > 0) doc.set('secrets', sortedKeys(secrets));
  else doc.delete('secrets');
  if (Object.keys(configs).length > 0) doc.set('configs', sortedKeys(configs));
  else doc.delete('configs');
  return stringify(doc);
}

/**
 * The task's start, wrapped: reads the service's env file (one NAME=value a line, as `render` writes it) and exports
 * each line as it is (no shell parsing of values, so no quoting, expansion or word splitting can change a secret),
 * then runs the image's start. With a drain, the start runs as a child: a stop signal reaches it only `drainSeconds`
 * later (and the wrapper exits with its status), the time the front door needs to stop sending it requests.
 */
export function startWrapper(service: string, options: { envFile: boolean; drainSeconds?: number }): string[] {
  const lines = ['set -e'];
  if (options.envFile)
    lines.push(`while IFS= read -r line || [ -n "$line" ]; do case "$line" in ''|'#'*) continue ;; esac; export "$line"; done < ${SECRETS_DIR}/${service}.env`);
  if (options.drainSeconds === undefined) lines.push('exec "$@"');
  else
    lines.push(
      `trap 'sleep ${options.drainSeconds}; kill -TERM "$child" 2>/dev/null || true' TERM INT`,
      '"$@" &',
      'child=$!',
      // `wait` returns early when the trap runs; the child's own exit ends the loop with its status.
      'while :; do if wait "$child"; then exit 0; else status=$?; fi; kill -0 "$child" 2>/dev/null || exit "$status"; done',
    );
  // $0 as before drains existed: an unchanged wrapper leaves a deployed service as it is.
  return ['/bin/sh', '-c', lines.join('\n'), 'mcpgw-env'];
}

function stackService(service: SwarmService, model: SwarmModel, launches: ImageLaunches, logging: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { image: service.image };
  if (service.secretEnv.length > 0 || service.drainSeconds !== undefined) {
    out.entrypoint = startWrapper(service.name, { envFile: service.secretEnv.length > 0, drainSeconds: service.drainSeconds });
    out.command = originalStart(service, launches);
  } else {
    if (service.entrypoint) out.entrypoint = service.entrypoint;
    if (service.command) out.command = service.command;
  }
  if (Object.keys(service.environment).length > 0) out.environment = service.environment;
  if (service.ports.length > 0) out.ports = service.ports.map((port) => ({ target: port.target, published: port.published, protocol: 'tcp', mode: 'host' }));
  out.networks = [...service.networks];
  if (service.volumes.length > 0) out.volumes = service.volumes.map((volume) => ({ type: 'volume', source: volume.source, target: volume.target }));
  if (service.healthcheck === 'none') out.healthcheck = { disable: true };
  else if (service.healthcheck) {
    const { test, interval, timeout, retries, startPeriod } = service.healthcheck;
    out.healthcheck = { test, interval, timeout, retries, start_period: startPeriod };
  }
  if (service.user) out.user = service.user;
  out.cap_drop = [...HARDENING.capDrop];
  if (service.capAdd.length > 0) out.cap_add = [...service.capAdd];
  out.security_opt = [...HARDENING.securityOpt];
  out.stop_grace_period = service.stopGracePeriod;
  out.labels = { ...service.labels };
  const settings = structuredClone(logging) as { options?: Record<string, string> } | undefined;
  if (settings) {
    if (service.logOptions) settings.options = { ...settings.options, ...service.logOptions };
    out.logging = settings;
  }
  out.deploy = deploy(service, model);
  return out;
}

function deploy(service: SwarmService, model: SwarmModel): Record<string, unknown> {
  const out: Record<string, unknown> = service.mode.kind === 'job' ? { mode: 'replicated-job' } : { mode: 'replicated', replicas: service.mode.replicas };
  // No routing mesh or virtual IP (IPVS may be missing): names resolve to the tasks themselves.
  out.endpoint_mode = 'dnsrr';
  // Unpinned, the scheduler already spreads a service's tasks over the nodes, fewest of them first.
  if (service.pinned) out.placement = { constraints: [`node.labels.${model.dataNodeLabel} == true`] };
  out.restart_policy = { condition: service.mode.kind === 'job' ? 'none' : 'any' };
  if (service.rolling) {
    // One replica at a time, the new one healthy (ready) before the old one stops; one that fails within the
    // monitor window rolls the whole service back.
    out.update_config = { parallelism: 1, delay: '0s', order: 'start-first', failure_action: 'rollback', monitor: '30s', max_failure_ratio: 0 };
    out.rollback_config = { parallelism: 1, delay: '0s', order: 'start-first', failure_action: 'pause', monitor: '30s' };
  }
  out.labels = { ...service.labels };
  return out;
}

/** What the image would have run: the model's entrypoint and command, the image's where the model gives none. */
function originalStart(service: SwarmService, launches: ImageLaunches): string[] {
  // An entrypoint set without a command drops the image's command, as Docker does.
  if (service.entrypoint) return [...service.entrypoint, ...(service.command ?? [])];
  const launch = builtinImageLaunch(service.image) ?? launches[service.image];
  if (!launch) throw unknownImage(service.image, `service ${service.name}`);
  return [...launch.entrypoint, ...(service.command ?? launch.cmd)];
}

/** The secret file belongs to the task's user and only it reads it; with the image's user unknown, any user of the task. */
function secretOwner(service: SwarmService): Record<string, unknown> {
  if (service.user) {
    const [uid, gid = uid] = service.user.split(':');
    return { uid, gid, mode: octal(0o400) };
  }
  // The bundled Postgres starts as root and drops to its own user after the wrapper has read the file.
  if (service.role === 'postgres') return { uid: '0', gid: '0', mode: octal(0o400) };
  return { mode: octal(0o444) };
}

function stackNetwork(network: NetworkModel): Record<string, unknown> {
  if (network.external) return { name: network.name, external: true };
  return { name: network.name, driver: 'overlay', attachable: true, ...(network.internal ? { internal: true } : {}), labels: { ...network.labels } };
}

function stackLabels(model: SwarmModel): Record<string, string> {
  return { 'io.mcpgw.stack': model.stack };
}

/** `<stack>-<key>-<hash>`, within Swarm's 64 characters (the key shortened when needed). */
function swarmName(stack: string, key: string, digest: string): string {
  const hash = digest.slice(0, HASH_LENGTH);
  const prefix = `${stack}-${key}`.slice(0, SWARM_NAME_MAX - HASH_LENGTH - 1).replace(/[-_.]+$/, '');
  return `${prefix}-${hash}`;
}

/** A config's key from its file: config/config.yaml → litellm-config, bridge/mcp-bridge.mjs → mcp-bridge, … */
function configKey(file: string): string {
  const base = path.posix.basename(file).replace(/\.[^.]+$/, '');
  return base === 'config' ? 'litellm-config' : base;
}

/** Paths in the stack file are relative to its folder (swarm/). */
function fromStackDir(file: string): string {
  return path.posix.relative(SWARM_DIR, file);
}

function octal(mode: number): Scalar {
  const scalar = new Scalar(mode);
  scalar.format = 'OCT';
  return scalar;
}

function sortedKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `docker stack deploy` substitutes $VAR in every string of the file: `$$` keeps a literal `$`. */
function escapeInterpolation(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map(escapeInterpolation);
  if (value instanceof Scalar) return value;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, escapeInterpolation(entry)]));
  return value;
}
