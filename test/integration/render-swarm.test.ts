import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_HAPROXY_IMAGE } from '../../src/images/builtin.js';
import { HAPROXY_CONFIG_FILE, STACK_FILE } from '../../src/render/swarm-stack.js';
import { HAPROXY_CONFIG_PATH } from '../../src/stack/swarm.js';
import { goldenDir } from '../helpers/fixtures.js';

interface StackService {
  entrypoint?: string[];
  command?: string[];
  secrets?: { source: string; target: string; mode: number }[];
  deploy: { mode: string; endpoint_mode: string };
}

/** The golden swarm rendering as the real tools read it: the host's Docker CLI (no swarm needed) and HAProxy itself. */
describe('the rendered swarm stack, read by the tools that run it', () => {
  let dir = '';

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
    const stack = parse(result.stdout) as {
      services: Record<string, StackService>;
      secrets: Record<string, { file: string }>;
      configs: Record<string, { file: string }>;
    };
    expect(stack.services['litellm-migrate']?.deploy.mode).toBe('replicated-job');
    for (const service of Object.values(stack.services)) expect(service.deploy.endpoint_mode).toBe('dnsrr');
    // `$$` in the file is one `$` for the task: the wrapper's shell reads its variables, nothing is substituted.
    expect(stack.services.litellm?.entrypoint?.[2]).toContain('export "$line"');
    expect(stack.services.litellm?.secrets?.[0]).toMatchObject({ target: 'litellm.env', mode: 0o400 });
    for (const entry of [...Object.values(stack.secrets), ...Object.values(stack.configs)]) expect(entry.file.startsWith(`${dir}/`), entry.file).toBe(true);
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
