import { defineConfig } from 'vitest/config';

// The integration tier runs in two lanes side by side, each one file at a time (containers share one small
// machine, so a lane never runs two files at once). The side lane holds files that use only Docker objects of
// their own and watch nothing machine-wide (no `ps`, iptables or network namespace): the swarm files, which drive
// three Docker engines in containers, the takeover of a hand-made 1.77.3 deployment, and stacks on ports no other
// file uses (test/unit/integration-lanes.test.ts keeps every file's host ports its own). The lanes hold about the
// same work: on two cores they share the processor, so the longer lane sets the time.
// Vitest runs a pool's single worker file after file and different pools side by side, so each lane has a pool of
// its own: forks for the main lane, worker threads for the side lane (its files pass the run's owner explicitly,
// as a thread shares the main process's pid).
export const SIDE_LANE_FILES = [
  'test/integration/swarm-up.test.ts',
  'test/integration/swarm-nodes.test.ts',
  'test/integration/render-swarm.test.ts',
  'test/integration/front-door.test.ts',
  'test/integration/seed-deployment.test.ts',
  'test/integration/seed-takeover.test.ts',
  'test/integration/adopt.test.ts',
  'test/integration/upgrade.test.ts',
  'test/integration/replicas.test.ts',
  'test/integration/catalog.test.ts',
  'test/integration/openwebui.test.ts',
  'test/integration/python-servers.test.ts',
  'test/integration/canary.test.ts',
  'test/integration/vantage.test.ts',
];

const integration = { globalSetup: ['test/stack/global-setup.ts'], testTimeout: 180_000, hookTimeout: 900_000 };

// Three tiers, runnable alone: unit (pure), cli (in-process commands with fakes),
// integration (real dockerd, Postgres, LiteLLM and MCP servers, prepared by the global setup) in two lanes.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: SIDE_LANE_FILES,
          ...integration,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      { test: { name: 'integration-side', include: SIDE_LANE_FILES, ...integration, pool: 'threads', poolOptions: { threads: { singleThread: true } } } },
    ],
  },
});
