import { defineConfig } from 'vitest/config';

/**
 * Four projects: `unit` (pure logic, no network, nothing to install beyond npm), `toolchains` (tests
 * that run the Go toolchain or the zstd CLI as the reference for what they check), `services`
 * (integration and end-to-end tests against the real ClickHouse, Kafka and S3 API server, started
 * once by the global setup) and `cluster` (a ZooKeeper + two-server ClickHouse cluster each test
 * file starts on its own ports).
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'toolchains',
          include: ['test/toolchains/**/*.test.ts'],
          testTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'services',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
