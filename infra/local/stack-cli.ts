import { createTopics, migrateClickHouse } from './prepare.js';
import { appEnvironment, stackSettings } from './settings.js';
import { startStack, stopStack } from './stack.js';

/**
 * `npm run stack:up` / `npm run stack:down`: the services alone (no functions), left running
 * between commands — handy when running tests repeatedly (`npm test` then reuses them).
 */
const command = process.argv[2];
const settings = stackSettings();
const log = (message: string) => console.log(`[stack] ${message}`);
if (command === 'up') {
  await startStack(settings, log);
  const env = appEnvironment(settings);
  await migrateClickHouse(env.HOTSPOTS_CLICKHOUSE_URL ?? '', env.HOTSPOTS_CLICKHOUSE_DATABASE ?? 'hotspots');
  await createTopics([env.HOTSPOTS_KAFKA_BROKERS ?? '']);
  log('up (stop with npm run stack:down)');
} else if (command === 'down') {
  await stopStack(settings, undefined, log);
} else {
  console.error('usage: stack-cli.ts up|down');
  process.exit(2);
}
