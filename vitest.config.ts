import { defineConfig } from 'vitest/config';

// The integration tier runs in two lanes, each one file at a time: the swarm files drive three Docker engines
// in containers and touch nothing on the host's engine but those, so they run beside the other files instead of
// after them. Containers share one small machine, so a lane never runs two files at once. Vitest runs a pool's
// single worker file after file and different pools side by side, so each lane has a pool of its own: forks for
// the host lane, worker threads for the swarm lane (its files pass the run's owner explicitly, as a thread shares
// the main process's pid).
const SWARM_FILES = [
  'test/integration/swarm-up.test.ts',
  'test/integration/swarm-nodes.test.ts',
  'test/integration/render-swarm.test.ts',
  'test/integration/front-door.test.ts',
];

const integration = { globalSetup: ['test/stack/global-setup.ts'], testTimeout: 180_000, hookTimeout: 900_000 };

// Three tiers, runnable alone: unit (pure), cli (in-process commands with fakes),
// integration (real dockerd, Postgres, LiteLLM and MCP servers, prepared by the global setup) with its swarm lane.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: SWARM_FILES,
          ...integration,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      { test: { name: 'swarm', include: SWARM_FILES, ...integration, pool: 'threads', poolOptions: { threads: { singleThread: true } } } },
    ],
  },
});
