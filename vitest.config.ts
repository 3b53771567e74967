import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native librdkafka bindings are safest in child processes, not worker threads.
    pool: 'forks',
    // One broker, one registry, two cores: test files run one after another.
    fileParallelism: false,
    // The JSON report feeds the one-line summary scripts/test prints for CI.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Fails the whole run, loudly, when Kafka, the registry or PostgreSQL is unreachable.
          globalSetup: ['test/support/require-stack.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
