import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { connectEngine } from '../../src/docker/engine.js';
import {
  BUILTIN_HAPROXY_IMAGE,
  BUILTIN_LITELLM_IMAGE,
  BUILTIN_LITELLM_PROXY_IMAGE,
  BUILTIN_NODE_IMAGE,
  BUILTIN_POSTGRES_IMAGE,
  BUILTIN_REDIS_IMAGE,
  builtinImageLaunch,
} from '../../src/images/builtin.js';
import { STACK_FILE } from '../../src/render/swarm-stack.js';
import { HAPROXY_CONFIG_FILE } from '../../src/stack/swarm.js';
import { HAPROXY_CONFIG_PATH } from '../../src/stack/model.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { goldenDir } from '../helpers/fixtures.js';
import { dockerClient, runId, StartedContainer, testLabels, waitForHealthy } from '../stack/stack.js';

const stack = inject('mcpgwStack');

interface StackService {
  image: string;
  entrypoint?: string[];
  command?: string[];
  user?: string;
  cap_drop?: string[];
  security_opt?: string[];
  secrets?: { source: string; target: string; mode: number }[];
  deploy: { mode: string; endpoint_mode: string };
}

/** The golden swarm rendering as the real tools read it: the host's Docker CLI (no swarm needed) and HAProxy itself. */
describe('the rendered swarm stack, read by the tools that run it', () => {
  let dir = '';
  let config: { services: Record<string, StackService> } = { services: {} };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-render-swarm-'));
    await cp(path.join(goldenDir, 'swarm'), dir, { recursive: true });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is a stack file `docker stack config` accepts, secret and config files resolved beside it', async () => {
    const result = await execa('docker', ['stack', 'config', '-c', STACK_FILE], { cwd: dir, reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const resolved = parse(result.stdout) as {
      services: Record<string, StackService>;
      secrets: Record<string, { file: string }>;
      configs: Record<string, { file: string }>;
    };
    config = resolved;
    expect(resolved.services['litellm-migrate']?.deploy.mode).toBe('replicated-job');
    for (const service of Object.values(resolved.services)) expect(service.deploy.endpoint_mode).toBe('dnsrr');
    // `$$` in the file is one `$` for the task: the wrapper's shell reads its variables, nothing is substituted.
    expect(resolved.services.litellm?.entrypoint?.[2]).toContain('export "$line"');
    expect(resolved.services.litellm?.secrets?.[0]).toMatchObject({ target: 'litellm.env', mode: 0o400 });
    for (const entry of [...Object.values(resolved.secrets), ...Object.values(resolved.configs)])
      expect(entry.file.startsWith(`${dir}/`), entry.file).toBe(true);
  });

  it('runs Redis as the stack file says (wrapper, user, no capability) with its env file where Swarm mounts it', async () => {
    const redis = config.services.redis;
    if (!redis) throw new Error('the stack file has no redis service (the test above reads it)');
    const password = parseSecrets(await readFile(path.join(dir, 'env', 'redis.env'), 'utf8')).get('REDIS_PASSWORD') ?? '';
    expect(password).not.toBe('');
    const docker = dockerClient();
    const name = `mcpgwt-${runId()}-redis`;
    const container = await docker.createContainer({
      name,
      Image: redis.image,
      Labels: testLabels(name, {}, stack.owner),
      Entrypoint: redis.entrypoint,
      Cmd: redis.command,
      User: redis.user,
      HostConfig: {
        NetworkMode: 'none',
        Binds: [`${path.join(dir, 'env', 'redis.env')}:/run/secrets/redis.env:ro`],
        CapDrop: redis.cap_drop,
        SecurityOpt: redis.security_opt,
      } as Docker.HostConfig,
    });
    const started = new StartedContainer(docker, container, name);
    try {
      await container.start();
      await waitForHealthy(started, { timeoutMs: 30_000 });
      expect((await started.exec(['redis-cli', '-a', password, '--no-auth-warning', 'ping'])).output.trim()).toBe('PONG');
      expect((await started.exec(['redis-cli', 'ping'])).output).toMatch(/NOAUTH/);
      // Neither its command line, its environment nor what the engine shows of it holds the password.
      const proc = await started.exec(['sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; tr "\\0" "\\n" </proc/1/environ']);
      expect(proc.output).toMatch(/redis-server/);
      expect(proc.output).not.toContain(password);
      expect(JSON.stringify(await container.inspect())).not.toContain(password);
    } finally {
      await started.remove();
    }
  });

  it('knows how each of its own images starts, as the built images say', async () => {
    const engine = await connectEngine({});
    for (const image of [
      BUILTIN_POSTGRES_IMAGE,
      BUILTIN_REDIS_IMAGE,
      BUILTIN_HAPROXY_IMAGE,
      BUILTIN_NODE_IMAGE,
      BUILTIN_LITELLM_PROXY_IMAGE,
      BUILTIN_LITELLM_IMAGE,
    ]) {
      const known = builtinImageLaunch(image);
      const built = await engine.imageLaunch(image);
      expect(built, image).toBeDefined();
      expect([built?.entrypoint, built?.cmd], image).toEqual([known?.entrypoint, known?.cmd]);
      expect(built?.labels, image).toMatchObject(known?.labels ?? {});
    }
  });

  it("has a haproxy.cfg the front door's HAProxy accepts", async () => {
    const result = await execa(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--user',
        '65534:65534',
        '--label',
        'io.mcpgw.test=1',
        '-v',
        `${path.join(dir, HAPROXY_CONFIG_FILE)}:${HAPROXY_CONFIG_PATH}:ro`,
        '--entrypoint',
        'haproxy',
        BUILTIN_HAPROXY_IMAGE,
        '-c',
        '-f',
        HAPROXY_CONFIG_PATH,
      ],
      { reject: false, all: true },
    );
    expect(result.all).toContain('Configuration file is valid');
    // Not a warning either: HAProxy names what it would run differently from what the file says.
    expect(result.all).not.toMatch(/WARNING|ALERT/);
    expect(result.exitCode).toBe(0);
  });
});
