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
      {
        test: {
          // Breaks the three-broker cluster, the registry, PostgreSQL, SMTP and the services
          // for real; run by scripts/test after `scripts/stack up --brokers 3`.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/require-stack.ts', 'test/faults/support/report.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
