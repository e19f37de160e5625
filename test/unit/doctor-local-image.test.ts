import { randomBytes } from 'node:crypto';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/doctor/checks/index.js';
import { DoctorContext } from '../../src/doctor/context.js';
import { runChecks, selectChecks } from '../../src/doctor/runner.js';
import type { CheckResult } from '../../src/doctor/types.js';
import type { ContainerSummary } from '../../src/docker/containers.js';
import type { Engine } from '../../src/docker/engine.js';
import { BUILTIN_LITELLM_IMAGE, RECIPE_HASH_LABEL, RECIPE_LABEL } from '../../src/images/builtin.js';
import { clockAt, withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { FakeHost } from '../helpers/fake-host.js';
import { fixtureStack } from '../helpers/fixtures.js';

/** The slice of the engine this check asks: the stack's containers and an image's labels. */
function engineWith(containers: ContainerSummary[], labels: Record<string, Record<string, string>>): Engine {
  return new FakeEngine({
    listContainers: async () => containers,
    imageLabels: async (image) => labels[image],
  });
}

async function check(dir: string, engine: Engine): Promise<CheckResult> {
  const ctx = new DoctorContext({
    configFile: path.join(dir, 'mcpgw.yaml'),
    cwd: dir,
    env: { HOME: path.join(dir, 'home') },
    clock: clockAt('2026-12-02T06:00:00Z'),
    randomBytes,
    protect: () => undefined,
    docker: async () => engine,
    database: () => Promise.reject(new Error('no database in the unit tier')),
    hostShell: async () => new FakeHost(),
    requestTimeoutMs: 1000,
    offline: true,
    uid: process.getuid?.(),
  });
  const id = 'litellm.local-image';
  const report = await runChecks(ctx, selectChecks(CHECKS, [id]), { only: [id], timeoutMs: 10_000 });
  return report.checks[0] as CheckResult;
}

async function stackIn(dir: string, edit: (yaml: string) => string): Promise<string> {
  await cp(fixtureStack('http').dir, dir, { recursive: true });
  await chmod(path.join(dir, 'secrets.env'), 0o600);
  const file = path.join(dir, 'mcpgw.yaml');
  const yaml = await readFile(file, 'utf8');
  await writeFile(file, edit(yaml));
  return /^name: (\S+)/m.exec(yaml)?.[1] ?? 'litellm';
}

const container = (stack: string, image: string): ContainerSummary => ({
  id: 'c1',
  name: `${stack}-litellm`,
  image,
  labels: {},
  state: 'running',
  status: 'Up',
});
const builtLabels = { [RECIPE_LABEL]: 'litellm-db', [RECIPE_HASH_LABEL]: '0123456789abcdef0123456789abcdef' };

describe('doctor litellm.local-image', () => {
  it("says, from the running image's recipe label, that LiteLLM runs on a locally built image and what differs", async () => {
    await withTempDir(async (dir) => {
      const stack = await stackIn(dir, (yaml) =>
        yaml.replace(/litellm:\n/, 'litellm:\n  build: builtin\n').replace(/\n\s+image: registry\.lan:5000\/litellm:1\.108\.7/, ''),
      );
      const result = await check(dir, engineWith([container(stack, BUILTIN_LITELLM_IMAGE)], { [BUILTIN_LITELLM_IMAGE]: builtLabels }));
      expect(result.status, JSON.stringify(result)).toBe('pass');
      expect(result.evidence[0]).toBe(
        `container ${stack}-litellm runs ${BUILTIN_LITELLM_IMAGE}, built by mcpgw from recipe litellm-db (recipe hash 0123456789abcdef0123456789abcdef)`,
      );
      expect(result.evidence[1]).toMatch(/not BerriAI's image: Prisma's native query engine is replaced by its wasm build/);
    });
  });

  it('warns when mcpgw.yaml asks for the built image and the container runs another one', async () => {
    await withTempDir(async (dir) => {
      const stack = await stackIn(dir, (yaml) =>
        yaml.replace(/litellm:\n/, 'litellm:\n  build: builtin\n').replace(/\n\s+image: registry\.lan:5000\/litellm:1\.108\.7/, ''),
      );
      const result = await check(dir, engineWith([container(stack, 'registry.lan:5000/litellm:1.108.7')], { 'registry.lan:5000/litellm:1.108.7': {} }));
      expect(result.status).toBe('warn');
      expect(result.evidence[0]).toBe(`container ${stack}-litellm runs registry.lan:5000/litellm:1.108.7, an image mcpgw did not build`);
      expect(result.causes[0]?.fix).toMatch(/mcpgw up/);
    });
  });

  it('passes an upstream image as such, and skips without a LiteLLM container', async () => {
    await withTempDir(async (dir) => {
      const stack = await stackIn(dir, (yaml) => yaml);
      const upstream = await check(dir, engineWith([container(stack, 'registry.lan:5000/litellm:1.108.7')], { 'registry.lan:5000/litellm:1.108.7': {} }));
      expect([upstream.status, upstream.evidence]).toEqual([
        'pass',
        [`container ${stack}-litellm runs registry.lan:5000/litellm:1.108.7, an image mcpgw did not build`],
      ]);
      expect((await check(dir, engineWith([], {}))).status).toBe('skip');
    });
  });
});
