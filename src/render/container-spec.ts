import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Secrets } from '../config/secrets.js';
import type { ContainerSpec } from '../docker/containers.js';
import { resolveSecretEnv } from './env-files.js';
import { HARDENING, type ServiceModel } from '../stack/model.js';

/**
 * The container mcpgw creates for a service: the same image, command, env, ports, networks, mounts and
 * healthcheck the rendered compose file describes, so `up` and `docker compose up` build the same stack.
 */
export function containerSpecFor(service: ServiceModel, secrets: Secrets, outDir: string): ContainerSpec {
  const env = [...Object.entries(service.environment), ...resolveSecretEnv(service, secrets)].map(([name, value]) => `${name}=${value}`).sort();
  return {
    name: service.containerName,
    image: service.image,
    ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
    ...(service.command ? { cmd: service.command } : {}),
    env,
    ...(service.user ? { user: service.user } : {}),
    capDrop: [...HARDENING.capDrop],
    capAdd: [...service.capAdd],
    securityOpt: [...HARDENING.securityOpt],
    labels: service.labels,
    ...(service.logOptions ? { logOptions: service.logOptions } : {}),
    ports: service.ports,
    networks: service.networks.map((name) => ({ name, aliases: [service.name] })),
    mounts: service.volumes.map((volume) => ({
      type: volume.kind,
      source: volume.kind === 'bind' ? path.resolve(outDir, volume.source) : volume.source,
      target: volume.target,
      readOnly: volume.readOnly,
    })),
    ...(service.healthcheck
      ? {
          healthcheck: {
            test: service.healthcheck.test,
            intervalMs: durationMs(service.healthcheck.interval),
            timeoutMs: durationMs(service.healthcheck.timeout),
            retries: service.healthcheck.retries,
            startPeriodMs: durationMs(service.healthcheck.startPeriod),
          },
        }
      : {}),
  };
}

/**
 * Hash of the spec, the image it runs (an updated local tag changes the id) and the content of files it
 * mounts (config.yaml is read once at start, so a new config needs a new container).
 */
export function specHash(spec: ContainerSpec, imageId: string, mountedContent: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ spec, imageId }));
  for (const content of mountedContent) hash.update('\0').update(content);
  return hash.digest('hex').slice(0, 32);
}

function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`unsupported duration ${text}`);
  const factor = match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000;
  return Number(match[1]) * factor;
}
