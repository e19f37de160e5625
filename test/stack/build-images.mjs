#!/usr/bin/env node
// Every image of the integration tier, through the product's own builder (dist/images/, what `mcpgw images
// build` and `up` run): the product's images (Debian base, node, Postgres, LiteLLM and its DB mode, from
// images/) and the test-only ones built on them from test/stack/images/ (one recipe per image, one builder).
// Called by prepare.sh with the knobs below in the environment; progress on stderr, and on stdout the product
// image names as shell assignments for the manifest.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const dist = (module) => import(path.join(root, 'dist', module));
const [{ ImageBuilder, builderHost }, recipes, builtin, { connectEngine }, { systemClock }, { catalogEntry }] = await Promise.all([
  dist('images/build.js'),
  dist('images/recipes.js'),
  dist('images/builtin.js'),
  dist('docker/engine.js'),
  dist('time/clock.js'),
  dist('mcp/catalog.js'),
]);

const env = process.env;
const need = (name) => {
  if (!env[name]) throw new Error(`build-images.mjs: ${name} is not set (prepare.sh sets it)`);
  return env[name];
};

// Recipe folders are named relative to the product's images/, the builder's recipe root.
const testRecipe = (image, dir, parent, extra = {}) => ({
  kind: 'dockerfile',
  image,
  dir: path.relative(path.join(root, 'images'), path.join(here, 'images', dir)),
  what: `test recipe test/stack/images/${dir}`,
  parent,
  uses: extra.uses ?? {},
  args: extra.args ?? {},
  hostFiles: extra.hostFiles ?? [],
});

const { BASE_RECIPE, NODE_RECIPE, POSTGRES_RECIPE, LITELLM_RECIPE, REDIS_RECIPE, HAPROXY_RECIPE, litellmDbRecipe } = recipes;
const trixie = { kind: 'debootstrap', image: need('BASE_TRIXIE_IMAGE'), suite: 'trixie' };
const mcpPython = testRecipe(need('MCP_PYTHON_IMAGE'), 'mcp-python', trixie, {
  uses: { NODE_IMAGE: NODE_RECIPE },
  args: { SUPERGATEWAY_VERSION: need('SUPERGATEWAY_VERSION') },
  hostFiles: ['ca-bundle'],
});
// Two lanes built side by side once the images both build on (the Debian base and node) are there: each lane's
// steps wait on the network (debootstrap, pip, npm) as much as on a core, so on a fresh machine the two overlap
// instead of adding up. The LiteLLM lane (the product's and the seed's release) is the longer one.
const shared = [NODE_RECIPE];
const lanes = [
  [
    LITELLM_RECIPE,
    // The seed's release (from before MCP execution on chat completions) in DB mode, by the product's LiteLLM
    // recipes at that version; its proxy layer (LITELLM_OLD_IMAGE, no DB) is built on the way.
    litellmDbRecipe(need('LITELLM_OLD_VERSION'), need('LITELLM_OLD_DB_IMAGE'), need('LITELLM_OLD_IMAGE')),
  ],
  [
    POSTGRES_RECIPE,
    testRecipe(need('MCP_IMAGE'), 'mcp', NODE_RECIPE, {
      args: { EVERYTHING_VERSION: need('EVERYTHING_VERSION'), SUPERGATEWAY_VERSION: need('SUPERGATEWAY_VERSION'), MEMORY_VERSION: need('MEMORY_VERSION') },
    }),
    mcpPython,
    testRecipe(need('POSTGRES_MCP_IMAGE'), 'postgres-mcp', mcpPython),
    // A swarm node (Debian's dockerd in a container) for the tests on a real 3-node swarm (test/helpers/swarm.ts).
    testRecipe(need('SWARM_NODE_IMAGE'), 'swarm-node', BASE_RECIPE),
    // A swarm stack's coordination Redis and front door.
    REDIS_RECIPE,
    HAPROXY_RECIPE,
    // The catalog's stdio servers as `mcp add` writes them into a stack whose images mcpgw builds
    // (test/integration/catalog.test.ts), so that test's `up` finds them built.
    recipes.packageRecipe(catalogEntry('filesystem').packaged.build),
    recipes.packageRecipe(catalogEntry('fetch').server.build),
    recipes.packageRecipe(catalogEntry('time').server.build),
    recipes.packageRecipe(catalogEntry('memory').server.build),
  ],
];

const progress = {
  start(title) {
    const line = (detail) => process.stderr.write(`[prepare] ${title}: ${detail}\n`);
    return { update: line, succeed: line, skip: line, fail: (detail) => line(`FAILED ${detail}`) };
  },
};
const engine = await connectEngine(env);
const builder = new ImageBuilder({ engine, progress, clock: systemClock, host: builderHost(env), logDir: need('BUILD_LOG_DIR') });
try {
  await builder.ensure(shared);
  await Promise.all(lanes.map((lane) => builder.ensure(lane)));
} catch (error) {
  process.stderr.write(`[prepare] ERROR: ${error.message}${error.hint ? `\n[prepare] fix: ${error.hint}` : ''}\n`);
  process.exit(1);
}
const names = {
  BASE_IMAGE: builtin.BUILTIN_BASE_IMAGE,
  NODE_IMAGE: builtin.BUILTIN_NODE_IMAGE,
  POSTGRES_IMAGE: builtin.BUILTIN_POSTGRES_IMAGE,
  LITELLM_IMAGE: builtin.BUILTIN_LITELLM_PROXY_IMAGE,
  LITELLM_DB_IMAGE: builtin.BUILTIN_LITELLM_IMAGE,
  LITELLM_VERSION: builtin.BUILTIN_LITELLM_VERSION,
  PRISMA_PY_VERSION: builtin.BUILTIN_PRISMA_PY_VERSION,
  REDIS_IMAGE: builtin.BUILTIN_REDIS_IMAGE,
  HAPROXY_IMAGE: builtin.BUILTIN_HAPROXY_IMAGE,
};
for (const [name, value] of Object.entries(names)) process.stdout.write(`${name}=${value}\n`);
