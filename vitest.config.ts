import { defineConfig } from 'vitest/config';

// Three tiers, runnable alone: unit (pure), cli (in-process commands with fakes),
// integration (real dockerd, Postgres, LiteLLM and MCP servers, prepared by the global setup).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/stack/global-setup.ts'],
          // Containers share one small machine: run files one after another in a single worker.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 180_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
