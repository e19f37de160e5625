import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, StepFailed } from '../../src/errors.js';
import { debianMirror, debootstrapBase, sourcesForSuite } from '../../src/images/base.js';
import {
  BUILTIN_BASE_IMAGE,
  BUILTIN_HAPROXY_IMAGE,
  BUILTIN_REDIS_IMAGE,
  BUILTIN_LITELLM_IMAGE,
  BUILTIN_LITELLM_PROXY_IMAGE,
  BUILTIN_NODE_IMAGE,
  BUILTIN_LITELLM_VERSION,
  BUILTIN_POSTGRES_IMAGE,
  LITELLM_PINS,
  packageImage,
  parsePypiSpec,
} from '../../src/images/builtin.js';
import {
  BASE_RECIPE,
  buildOrder,
  LITELLM_RECIPE,
  litellmDbRecipe,
  packageRecipe,
  recipeHash,
  recipeLabel,
  type ContextEntry,
} from '../../src/images/recipes.js';
import { stackRecipes } from '../../src/stack/images.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { fixturesDir } from '../helpers/fixtures.js';

const head = 'version: 1\nhost: linuxserver.lan\n';

function issues(yaml: string): string[] {
  try {
    parseConfig(yaml, 'mcpgw.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('build: in mcpgw.yaml', () => {
  it('fills in the images mcpgw builds and lists their recipes, parents first', () => {
    const config = parseConfig(`${head}litellm: { build: builtin }
postgres: { build: builtin }
mcp_servers:
  everything:
    transport: http
    build: { npm: "@modelcontextprotocol/server-everything@2026.8.31" }
    command: [mcp-server-everything, streamableHttp]
    port: 48010
    container_port: 3001
  time:
    transport: stdio
    bridge: http
    build: { pypi: "mcp-server-time==2026.10.10" }
    command: mcp-server-time
    port: 48011
`);
    expect(config.litellm.image).toBe(BUILTIN_LITELLM_IMAGE);
    expect(config.postgres.image).toBe(BUILTIN_POSTGRES_IMAGE);
    expect(config.mcp_servers.everything?.image).toBe('mcpgw/npm-modelcontextprotocol-server-everything:2026.8.31');
    expect(config.mcp_servers.time?.image).toBe('mcpgw/pypi-mcp-server-time:2026.10.10');
    expect(buildOrder(stackRecipes(config)).map((recipe) => recipe.image)).toEqual([
      BUILTIN_BASE_IMAGE,
      BUILTIN_POSTGRES_IMAGE,
      BUILTIN_LITELLM_PROXY_IMAGE,
      BUILTIN_NODE_IMAGE,
      BUILTIN_LITELLM_IMAGE,
      'mcpgw/npm-modelcontextprotocol-server-everything:2026.8.31',
      'mcpgw/pypi-mcp-server-time:2026.10.10',
      BUILTIN_HAPROXY_IMAGE,
    ]);
  });

  it('installs the Debian packages a server asks for in a layer on its package image, and takes only package names', () => {
    const config = parseConfig(`${head}mcp_servers:
  repo:
    transport: stdio
    build: { pypi: "mcp-server-git==2026.10.19", apt: [git] }
    command: mcp-server-git
    port: 48010
`);
    expect(config.mcp_servers.repo?.image).toBe('mcpgw/pypi-mcp-server-git:2026.10.19-with-git');
    const [recipe] = stackRecipes(config);
    expect(recipe).toMatchObject({ dir: 'mcp-apt', args: { APT_PACKAGES: 'git' }, parent: packageRecipe({ pypi: 'mcp-server-git==2026.10.19' }) });
    expect(recipe && recipeLabel(recipe)).toBe('mcp-apt:git');
    expect(buildOrder(stackRecipes(config)).map((entry) => entry.image)).toEqual([
      BUILTIN_BASE_IMAGE,
      BUILTIN_NODE_IMAGE,
      'mcpgw/pypi-mcp-server-git:2026.10.19',
      'mcpgw/pypi-mcp-server-git:2026.10.19-with-git',
      BUILTIN_HAPROXY_IMAGE,
    ]);
    expect(
      issues(`${head}mcp_servers:
  repo:
    transport: stdio
    build: { pypi: "mcp-server-git==2026.10.19", apt: ["git; curl evil", Git] }
    command: mcp-server-git
    port: 48010
  none:
    transport: stdio
    build: { npm: "a@1.0.0", apt: [] }
    command: a
    port: 48011
`),
    ).toEqual([
      'mcp_servers.repo.build.apt[0]: must be a Debian package name, e.g. git (lower case, digits, + . -)',
      'mcp_servers.repo.build.apt[1]: must be a Debian package name, e.g. git (lower case, digits, + . -)',
      'mcp_servers.none.build.apt: must have at least 1 item(s)',
    ]);
  });

  it("builds a swarm's Redis and front door, which always run mcpgw's images", () => {
    const config = parseConfig(readFileSync(path.join(fixturesDir, 'stacks', 'swarm', 'mcpgw.yaml'), 'utf8'));
    const images = stackRecipes(config).map((recipe) => recipe.image);
    expect(images.slice(-2)).toEqual([BUILTIN_REDIS_IMAGE, BUILTIN_HAPROXY_IMAGE]);
    expect(stackRecipes(parseConfig(head)).map((recipe) => recipe.image)).not.toContain(BUILTIN_REDIS_IMAGE);
  });

  it("keeps pulled images as they were when nothing is marked build: only the front door, always mcpgw's, is built", () => {
    const config = parseConfig(head);
    expect(config.litellm.image).toBe('ghcr.io/berriai/litellm-database:v1.108.7');
    expect(stackRecipes(config).map((recipe) => recipe.image)).toEqual([BUILTIN_HAPROXY_IMAGE]);
  });

  it('reports every build problem at once, each at its field', () => {
    expect(
      issues(`${head}litellm: { build: builtin, image: ghcr.io/berriai/litellm-database:v1.108.7 }
postgres: { build: latest }
mcp_servers:
  ranged:
    transport: http
    build: { npm: "@modelcontextprotocol/server-everything@^2026.8.31" }
    command: mcp-server-everything
    port: 48010
  downloads:
    transport: http
    build: { npm: "@modelcontextprotocol/server-everything@2026.8.31" }
    command: [npx, -y, "@modelcontextprotocol/server-everything@2026.8.31"]
    port: 48011
  other:
    transport: http
    image: node:20-slim
    build: { pypi: "mcp-server-time==2026.10.10" }
    port: 48012
  both:
    transport: http
    build: { npm: "a@1.0.0", pypi: "b==1.0" }
    command: a
    port: 48013
  spawned:
    transport: stdio
    inside_litellm: true
    build: { pypi: "mcp-server-time==2026.10.10" }
    command: mcp-server-time
`),
    ).toEqual(
      expect.arrayContaining([
        'postgres.build: must be builtin (mcpgw builds its own image of this service from package registries)',
        'mcp_servers.ranged.build.npm: must name one exact version, e.g. @modelcontextprotocol/server-everything@2026.8.31 (a build must be repeatable)',
        'litellm.image: is ghcr.io/berriai/litellm-database:v1.108.7, but build: builtin builds and runs mcpgw/litellm-db:1.108.7',
        'mcp_servers.downloads.command: runs npx, which downloads the package when the container starts',
        'mcp_servers.other.image: is node:20-slim, but build installs the package into mcpgw/pypi-mcp-server-time:2026.10.10',
        'mcp_servers.other.command: is required with build (the image has no program of its own to start)',
        'mcp_servers.both.build: names both npm and pypi',
        'mcp_servers.spawned.build: does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
      ]),
    );
  });

  it('refuses build on an external Postgres and on a url server', () => {
    expect(
      issues(`${head}postgres: { mode: external, build: builtin }
mcp_servers:
  remote:
    transport: http
    url: http://nas.lan:8931/mcp
    build: { npm: "a@1.0.0" }
`),
    ).toEqual(
      expect.arrayContaining([
        'postgres.build: applies to the bundled Postgres only (mode is external)',
        'mcp_servers.remote.build: does not apply with url (mcpgw runs no container for it)',
      ]),
    );
  });
});

describe('recipe hash', () => {
  const entries: ContextEntry[] = [
    { path: 'Dockerfile', sha256: 'aa', executable: false },
    { path: 'start.sh', sha256: 'bb', executable: true },
    { path: 'npm/bin/npx', link: '../lib/npx.js' },
  ];
  const hash = recipeHash(entries, { A: '1' }, { BASE: 'sha256:p' });

  it('does not depend on the order files were found in', () => {
    expect(recipeHash([...entries].reverse(), { A: '1' }, { BASE: 'sha256:p' })).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('changes with a file, its executable bit, a link target, a build arg or a parent image', () => {
    const variants = [
      recipeHash([{ ...entries[0]!, sha256: 'ab' }, entries[1]!, entries[2]!], { A: '1' }, { BASE: 'sha256:p' }),
      recipeHash([entries[0]!, { ...entries[1]!, executable: false }, entries[2]!], { A: '1' }, { BASE: 'sha256:p' }),
      recipeHash([entries[0]!, entries[1]!, { ...entries[2]!, link: 'x' }], { A: '1' }, { BASE: 'sha256:p' }),
      recipeHash(entries, { A: '2' }, { BASE: 'sha256:p' }),
      recipeHash(entries, { A: '1' }, { BASE: 'sha256:q' }),
      recipeHash(entries, { A: '1' }, { BASE: 'sha256:p', NODE_IMAGE: 'sha256:n' }),
    ];
    expect(new Set([hash, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('package images', () => {
  it('names one image per package and version, and refuses ranges and tags', () => {
    expect(packageImage({ npm: '@scope/some.pkg@1.2.3-rc.1' })).toBe('mcpgw/npm-scope-some-pkg:1.2.3-rc.1');
    expect(packageImage({ pypi: 'mcp_server.git==2025.1.14' })).toBe('mcpgw/pypi-mcp-server-git:2025.1.14');
    for (const npm of ['pkg', 'pkg@latest', 'pkg@^1.2.3', 'pkg@1.2']) expect(packageImage({ npm })).toBeUndefined();
    for (const pypi of ['pkg', 'pkg>=1.0', 'pkg==1.*']) expect(packageImage({ pypi })).toBeUndefined();
  });

  it('names the same Debian packages one image, whatever their order, and a list too long for a tag by its digest', () => {
    expect(packageImage({ npm: 'a@1.0.0', apt: ['git', 'libstdc++6', 'git'] })).toBe('mcpgw/npm-a:1.0.0-with-git-libstdc__6');
    expect(packageImage({ npm: 'a@1.0.0', apt: ['libstdc++6', 'git'] })).toBe(packageImage({ npm: 'a@1.0.0', apt: ['git', 'libstdc++6'] }));
    const long = packageImage({ npm: 'a@1.0.0', apt: Array.from({ length: 20 }, (_, i) => `package-number-${i}`) }) ?? '';
    expect(long).toMatch(/^mcpgw\/npm-a:1\.0\.0-with-[0-9a-f]{12}$/);
  });

  it('labels an image with its recipe and package', () => {
    expect(recipeLabel(packageRecipe({ npm: 'a@1.0.0' }))).toBe('mcp-npm:a@1.0.0');
    expect(recipeLabel(LITELLM_RECIPE)).toBe('litellm-db');
  });
});

describe('LiteLLM recipes by release', () => {
  it('builds the builtin release with pip resolving alone, an older one with the packages of its month', () => {
    expect(LITELLM_RECIPE).toEqual(litellmDbRecipe(BUILTIN_LITELLM_VERSION, BUILTIN_LITELLM_IMAGE));
    expect(LITELLM_RECIPE.parent).toMatchObject({ image: BUILTIN_LITELLM_PROXY_IMAGE, args: { LITELLM_VERSION: BUILTIN_LITELLM_VERSION, LITELLM_PINS: '' } });
    const old = litellmDbRecipe('1.77.3', 'mcpgw-test/litellm-db:1.77.3', 'mcpgw-test/litellm:1.77.3');
    expect(old).toMatchObject({ image: 'mcpgw-test/litellm-db:1.77.3', dir: 'litellm-db', uses: LITELLM_RECIPE.uses, args: LITELLM_RECIPE.args });
    expect(old.parent).toMatchObject({
      image: 'mcpgw-test/litellm:1.77.3',
      dir: 'litellm',
      args: { LITELLM_VERSION: '1.77.3', LITELLM_PINS: 'pydantic==2.11.9 mcp==1.12.4 openai==1.108.1' },
    });
    expect(buildOrder([old]).map((recipe) => recipe.image)).toEqual([
      BUILTIN_BASE_IMAGE,
      'mcpgw-test/litellm:1.77.3',
      BUILTIN_NODE_IMAGE,
      'mcpgw-test/litellm-db:1.77.3',
    ]);
    expect(litellmDbRecipe('1.2.3').parent.image).toBe('mcpgw/litellm:1.2.3');
  });

  it('pins only exact versions (they go to pip unquoted)', () => {
    for (const pin of Object.values(LITELLM_PINS).flat()) expect(parsePypiSpec(pin), pin).toBeDefined();
  });
});

describe('Debian base', () => {
  it("takes the host's mirror and carries its sources over to the base's suite", () => {
    const deb822 =
      'Types: deb\nURIs: http://mirror.lan/debian\nSuites: bookworm bookworm-updates\nComponents: ' +
      'main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\n';
    expect(debianMirror(deb822, undefined)).toBe('http://mirror.lan/debian');
    expect(debianMirror(undefined, '# c\ndeb [arch=amd64] http://ftp.de.debian.org/debian trixie main\n')).toBe('http://ftp.de.debian.org/debian');
    expect(debianMirror(undefined, undefined)).toBe('http://deb.debian.org/debian');
    expect(sourcesForSuite(deb822, 'trixie', 'bookworm')).toBe(deb822);
    expect(sourcesForSuite(deb822.replaceAll('bookworm', 'trixie'), 'trixie', 'bookworm')).toBe(deb822);
  });
});

describe('Debian base prerequisites', () => {
  // Never reached: the prerequisites are checked before anything is built.
  const engine = new FakeEngine();

  it('names root and the package to install before running anything', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'mcpgw-path-'));
    const log = path.join(empty, 'base.log');
    const notRoot = debootstrapBase(engine, BASE_RECIPE, { isRoot: false, path: empty, etcDir: '/etc' }, log);
    await expect(notRoot).rejects.toThrow('mcpgw/debian:bookworm is built with debootstrap, which needs root');
    await expect(notRoot).rejects.toBeInstanceOf(StepFailed);
    const missing = debootstrapBase(engine, BASE_RECIPE, { isRoot: true, path: empty, etcDir: '/etc' }, log);
    await expect(missing).rejects.toThrow('mcpgw/debian:bookworm is built with debootstrap, which is not installed');
    await expect(missing).rejects.toMatchObject({ hint: 'apt-get install debootstrap', exitCode: 1 });
  });
});
