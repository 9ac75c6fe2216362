import { defineConfig } from 'vitest/config';
import LongFirstSequencer from './test/sequencer.js';

// One `vitest run` runs both projects. Unit tests are pure and fast (worker threads); e2e tests build
// namespace labs, spawn tools and install signal handlers, so each file gets its own forked process.
// The machine this targets has 2 cores: at most 2 workers in all. The JSON results feed
// scripts/test-summary.mjs.
export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-results.json' },
    maxWorkers: 2,
    minWorkers: 1,
    poolOptions: {
      forks: { maxForks: 2, minForks: 1 },
      threads: { maxThreads: 2, minThreads: 1 },
    },
    teardownTimeout: 30_000,
    sequence: { sequencer: LongFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          testTimeout: 30_000, // property-based tests run thousands of sequences; a loaded 2-core CI machine needs room
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { isolate: true } },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Removes lab namespaces of dead processes before and after the run.
          globalSetup: ['test/global-setup.ts'],
          // Destroys labs a test file left alive when the file ends.
          setupFiles: ['test/lab/setup.ts'],
        },
      },
    ],
  },
});
