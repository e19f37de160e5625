import type Docker from 'dockerode';
import { StepFailed, UserError } from '../errors.js';
import { type ContainerIoClient, dockerContainerIo } from './container-io.js';
import { type ContainerClient, dockerContainers } from './containers.js';
import { dockerImages, type ImageClient } from './images.js';
import { dockerNetworks, type NetworkClient } from './networks.js';
import { dockerSwarm, type SwarmClient } from './swarm.js';
import { dockerVolumes, type VolumeClient } from './volumes.js';

/**
 * What mcpgw asks of a container engine, one client per kind of Docker object (as testcontainers splits its client),
 * joined into one flat type so a caller writes `engine.createContainer(...)` whatever the resource. Everything above
 * docker/ takes this (or the one client, or the `Pick`, it needs), so a test can drive a command against a small
 * fake instead of dockerode.
 */
export type Engine = ContainerClient &
  ContainerIoClient &
  ImageClient &
  NetworkClient &
  VolumeClient & {
    /** The swarm this engine belongs to: nodes, services, tasks (a manager's engine answers for the whole swarm). */
    swarm(): SwarmClient;
  };

/** The engine over one dockerode connection; dockerode itself is loaded lazily (by `connectEngine`) so commands that never touch Docker start fast. */
export function dockerEngine(docker: Docker): Engine {
  const swarm = dockerSwarm(docker);
  return {
    ...dockerContainers(docker),
    ...dockerContainerIo(docker),
    ...dockerImages(docker),
    ...dockerNetworks(docker),
    ...dockerVolumes(docker),
    swarm: () => swarm,
  };
}

/** DOCKER_HOST from the injected environment (not process.env), as dockerode connection options. */
export function dockerOptions(dockerHost: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:') return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
  if (url.protocol === 'ssh:') {
    // The engine's socket through the node's sshd, as the docker CLI does; keys come from the user's ssh-agent.
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port || 22),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      sshOptions: { agent: env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions;
  }
  throw new UserError(`DOCKER_HOST=${dockerHost} is not supported`, 'use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host');
}

/**
 * How long an engine may take to answer its first ping. A swarm node that is down (or a wrong address on the LAN)
 * otherwise holds the command for the kernel's TCP connect timeout, minutes; an engine over ssh answers in seconds.
 */
const PING_TIMEOUT_MS = 10_000;

/** The engine DOCKER_HOST in `env` names (this machine's socket without it), once it has answered a ping. */
export async function connectEngine(env: Readonly<Record<string, string | undefined>>): Promise<Engine> {
  const { default: Dockerode } = await import('dockerode');
  const docker = new Dockerode(dockerOptions(env.DOCKER_HOST, env));
  const deadline = AbortSignal.timeout(PING_TIMEOUT_MS);
  try {
    // dockerode's types leave out ping's options; its ping passes abortSignal on to the request.
    await (docker as unknown as { ping(options: { abortSignal: AbortSignal }): Promise<unknown> }).ping({ abortSignal: deadline });
  } catch (error) {
    const reason = deadline.aborted ? `no answer within ${PING_TIMEOUT_MS / 1000} s` : (error as Error).message;
    // An unreachable dependency is a failure (exit 1), not a usage error: nothing the command line can fix.
    throw new StepFailed(
      `cannot reach the Docker engine at ${env.DOCKER_HOST ?? '/var/run/docker.sock'}: ${reason}`,
      'start Docker (e.g. `systemctl start docker`) or set DOCKER_HOST',
    );
  }
  return dockerEngine(docker);
}
