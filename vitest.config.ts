import { defineConfig } from 'vitest/config';

// Integration tests start real nats-server processes: generous timeouts, and at most
// two test files at once (the CI machine has two cores).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    globalSetup: ['test/support/global-process-guard.ts'],
  },
});
