import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { systemClock } from '../../src/time/clock.js';
import { dockerEngine } from '../../src/docker/engine.js';
import { builderHost, ImageBuilder } from '../../src/images/build.js';
import { packageImage, RECIPE_HASH_LABEL, RECIPE_LABEL } from '../../src/images/builtin.js';
import type { DockerRecipe } from '../../src/images/recipes.js';
import type { Progress } from '../../src/ui/progress.js';
import { runCli } from '../helpers/cli.js';
import { writeTestStack } from '../helpers/test-stack.js';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = Date.now().toString(36);
const LONG_MS = 900_000;
/** PATH and HOME of this process: the builder finds debootstrap and its cache folder as a user's shell would. */
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

/** Progress lines as the plain (non-terminal) progress prints them. */
function recordingProgress(lines: string[]): Progress {
  return {
    start: (title) => ({
      update: () => undefined,
      succeed: (detail) => lines.push(`ok ${title}: ${detail}`),
      skip: (detail) => lines.push(`skip ${title}: ${detail}`),
      fail: (detail) => lines.push(`FAIL ${title}: ${detail}`),
    }),
  };
}

/** The progress line of an image the builder built, e.g. `ok    mcpgw/npm-x:1.0.0: built in 27.9 s`. */
function builtStep(image: string): RegExp {
  return new RegExp(`ok {4}${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: built in \\d+\\.\\d s`);
}

async function removeImage(image: string): Promise<void> {
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

describe('the product image builder, for real through the Docker engine', () => {
  let dir = '';
  const image = `mcpgw-test/tiny-${run}:1`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-images-'));
    await mkdir(path.join(dir, 'recipes', 'tiny'), { recursive: true });
    await writeFile(
      path.join(dir, 'recipes', 'tiny', 'Dockerfile'),
      'ARG BASE\nFROM ${BASE}\nARG GREETING\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING" >> /hello.txt\n',
    );
    await writeFile(path.join(dir, 'recipes', 'tiny', 'hello.txt'), 'hello from the recipe\n');
  });

  afterAll(async () => {
    await removeImage(image);
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'builds a recipe once, labels it with its hash, and rebuilds only when the recipe changes',
    async () => {
      const engine = dockerEngine(docker);
      const lines: string[] = [];
      const builder = new ImageBuilder({
        engine,
        progress: recordingProgress(lines),
        clock: systemClock,
        host: builderHost(env),
        logDir: path.join(dir, 'logs'),
        recipesDir: path.join(dir, 'recipes'),
      });
      const recipe: DockerRecipe = {
        kind: 'dockerfile',
        image,
        dir: 'tiny',
        what: 'recipe tiny',
        // The test tier's debootstrapped base is present, so the builder leaves it as it is.
        parent: { kind: 'debootstrap', image: stack.images.base, suite: 'bookworm' },
        uses: {},
        args: { GREETING: 'first' },
        hostFiles: [],
      };
      const [base, first] = await builder.ensure([recipe]);
      expect(base?.state).toBe('up to date');
      expect(first?.state).toBe('built');
      expect(lines).toContain(`ok ${image}: built in ${first?.seconds?.toFixed(1)} s`);
      const labels = (await docker.getImage(image).inspect()).Config.Labels;
      expect(labels[RECIPE_HASH_LABEL]).toBe(first?.hash);
      expect(labels[RECIPE_LABEL]).toBe('tiny');
      expect(await readFile(first?.log ?? '', 'utf8')).toMatch(/Step \d+\/\d+ : RUN echo/);
      const firstId = (await docker.getImage(image).inspect()).Id;

      const [, again] = await builder.ensure([recipe]);
      expect(again).toMatchObject({ state: 'up to date', hash: first?.hash });
      expect((await docker.getImage(image).inspect()).Id).toBe(firstId);
      expect(lines.at(-1)).toBe(`ok ${image}: up to date`);

      const [, changed] = await builder.ensure([{ ...recipe, args: { GREETING: 'second' } }]);
      expect(changed?.state).toBe('built');
      expect(changed?.hash).not.toBe(first?.hash);
      // The replaced image is removed rather than left behind as <none>.
      await expect(docker.getImage(firstId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    },
    LONG_MS,
  );

  it('a host file the recipe copies in that is missing (the CA bundle) is named with its fix before anything is built', async () => {
    const engine = dockerEngine(docker);
    const builder = new ImageBuilder({
      engine,
      progress: recordingProgress([]),
      clock: systemClock,
      host: { ...builderHost(env), caBundle: path.join(dir, 'no-such-ca.crt') },
      logDir: path.join(dir, 'logs'),
      recipesDir: path.join(dir, 'recipes'),
    });
    const recipe: DockerRecipe = {
      kind: 'dockerfile',
      image: `${image}-ca`,
      dir: 'tiny',
      what: 'recipe tiny',
      parent: { kind: 'debootstrap', image: stack.images.base, suite: 'bookworm' },
      uses: {},
      args: {},
      hostFiles: ['ca-bundle'],
    };
    const failed = builder.ensure([recipe]);
    await expect(failed).rejects.toThrow(`${image}-ca needs ${path.join(dir, 'no-such-ca.crt')}, which cannot be read: ENOENT`);
    await expect(failed).rejects.toMatchObject({ exitCode: 1, hint: expect.stringContaining('SSL_CERT_FILE') });
    await expect(docker.getImage(`${image}-ca`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it(
    'a package that cannot be installed fails the build with exit 1, naming the package and showing the log tail',
    async () => {
      const missing = `@mcpgw-test/no-such-package-${run}@0.0.1`;
      await writeFile(
        path.join(dir, 'mcpgw.yaml'),
        stringify({
          version: 1,
          host: 'localhost',
          mcp_servers: { broken: { transport: 'http', build: { npm: missing }, command: ['broken'], port: 48620 } },
        }),
      );
      const result = await runCli(['images', 'build', '--log-dir', path.join(dir, 'logs')], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`building ${packageImage({ npm: missing })} failed (npm package ${missing})`);
      // npm's own words from the build output, and where the whole log is.
      expect(result.stderr).toMatch(/--- last lines of .*\.log ---\n[\s\S]*npm (ERR!|error) 404/);
      expect(result.stderr).toContain(path.join(dir, 'logs'));
      await expect(docker.getImage(packageImage({ npm: missing }) ?? '').inspect()).rejects.toMatchObject({ statusCode: 404 });
    },
    LONG_MS,
  );
});

describe('mcpgw up builds missing build:-marked MCP server images (npm and PyPI), then proves the servers from LiteLLM', () => {
  const name = `mcpgwt-${run}-build`;
  const memory = `@modelcontextprotocol/server-memory@${stack.versions.serverMemory}`;
  const image = packageImage({ npm: memory }) ?? '';
  // The version test/stack/images/mcp-python pins: the newest on the MCP SDK 1.x.
  const time = 'mcp-server-time==2026.10.10';
  const timeImage = packageImage({ pypi: time }) ?? '';
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-up-build-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: 14620,
      mcp: {},
      extra: {
        mcp_servers: {
          memory: {
            transport: 'stdio',
            bridge: 'http',
            build: { npm: memory },
            command: ['mcp-server-memory'],
            environment: { MEMORY_FILE_PATH: '/tmp/memory.jsonl' },
            port: 48621,
          },
          time: { transport: 'stdio', bridge: 'http', build: { pypi: time }, command: ['mcp-server-time'], port: 48622 },
        },
      },
    });
    // Missing before up: this test is the only user of these images.
    await removeImage(image);
    await removeImage(timeImage);
  }, LONG_MS);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await removeImage(image);
    await removeImage(timeImage);
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'builds the images, starts the servers from them and lists their tools from LiteLLM; a second up builds nothing',
    async () => {
      const up = await runCli(['up', '--no-probe'], { cwd: dir, env });
      expect(up.code, up.stderr).toBe(0);
      for (const built of [image, timeImage]) expect(up.stderr).toMatch(builtStep(built));
      expect(up.stderr).toMatch(/ok {4}mcp-memory from LiteLLM: streamable HTTP at http:\/\/mcp-memory:48621\/mcp → initialize \(.+\), tools\/list → 9 tools/);
      expect(up.stderr).toMatch(/ok {4}mcp-time from LiteLLM: streamable HTTP at http:\/\/mcp-time:48622\/mcp → initialize \(.+\), tools\/list → 2 tools/);
      const container = await docker.getContainer(`${name}-mcp-memory`).inspect();
      expect(container.Config.Image).toBe(image);
      expect((await docker.getImage(image).inspect()).Config.Labels[RECIPE_LABEL]).toBe(`mcp-npm:${memory}`);

      const again = await runCli(['up', '--no-probe', '--json'], { cwd: dir, env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`ok    ${image}: up to date`);
      expect(again.stderr).toContain(`ok    ${timeImage}: up to date`);
      const report = JSON.parse(again.stdout) as { services: { service: string; action: string }[] };
      expect(report.services.filter((service) => service.service.startsWith('mcp-')).map((service) => service.action)).toEqual(['keep', 'keep']);

      // The tier's LiteLLM is the product's locally built image, and doctor says so from its recipe label.
      const doctor = await runCli(['doctor', '--only', 'litellm.local-image', '--json'], { cwd: dir, env });
      const check = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; evidence: string[] }[] }).checks.find(
        (entry) => entry.id === 'litellm.local-image',
      );
      expect(check?.status, doctor.stdout).toBe('pass');
      expect(check?.evidence[0]).toMatch(
        new RegExp(`^container ${name}-litellm runs ${stack.images.litellmDb}, built by mcpgw from recipe litellm-db \\(recipe hash [0-9a-f]{32}\\)$`),
      );
    },
    LONG_MS,
  );
});
