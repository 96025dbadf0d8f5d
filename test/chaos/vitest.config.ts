import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * `npm run test:chaos`: reliability tests that stop and restart ClickHouse, Kafka and S3 and kill
 * the consumer. They run on a stack of their own (test/chaos/support/chaos-stack.ts), one file at
 * a time (the files share that stack and the API port), and are kept out of `npm test`.
 */
const order = ['outages', 'consumer-crash', 'dead-letters', 'hostile-neighbour', 'load'];

/**
 * Outages first and load last: ClickHouse 18.16 writes one part per insert, and after the load
 * test's thousands of small inserts a restart spends minutes cleaning obsolete parts.
 */
class ChaosSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = order.indexOf(basename(file.moduleId).replace(/\.test\.ts$/, ''));
      return at < 0 ? order.length : at;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  root: repoRoot,
  test: {
    reporters: ['default'],
    sequence: { sequencer: ChaosSequencer },
    projects: [
      {
        test: {
          name: 'chaos',
          root: repoRoot,
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: ['test/chaos/global-setup.ts'],
          fileParallelism: false,
          sequence: { sequencer: ChaosSequencer },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
