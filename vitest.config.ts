import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL and one real Temporal dev server for the whole run (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // Files share the ledger, and reconciliation checks the whole of it: run them one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The first run may fetch (seconds) or build (minutes) the temporal CLI; that has its own progress output.
    teardownTimeout: 60_000,
  },
});
