import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningApp, startApp } from '../../infra/local/app.js';
import { createTopics, migrateClickHouse } from '../../infra/local/prepare.js';
import { appEnvironment, repoRoot, stackSettings } from '../../infra/local/settings.js';
import { startStack, stopStack } from '../../infra/local/stack.js';
import { loadConfig } from '../../shared/config.js';
import { createDeps } from '../../shared/deps.js';
import { datasetFor } from './dataset.js';
import { benchQueries, type RouteFigures } from './queries.js';
import { table } from './stats.js';

/**
 * `npm run bench`: benchmarks that print a table and write JSON to bench-results/.
 * HOTSPOTS_BENCH_SAMPLES (comma list, default 10000000) sets the dataset sizes of the query
 * benchmark; HOTSPOTS_BENCH_REQUESTS (default 30) the calls per route.
 */
const log = (message: string) => console.log(`[bench] ${message}`);
const sizes = (process.env.HOTSPOTS_BENCH_SAMPLES ?? '10000000').split(',').map((s) => Number(s.trim()));
const requests = Number(process.env.HOTSPOTS_BENCH_REQUESTS ?? '30');
const anchor = Math.floor(Date.now() / 1000 / 86_400) * 86_400;

const bareSettings = stackSettings({ ...process.env, PORT: process.env.HOTSPOTS_BENCH_PORT ?? '3500' });
const started = await startStack(bareSettings, log);
const env: Record<string, string> = { ...appEnvironment(bareSettings), HOTSPOTS_CONSUMER_GROUP: 'hotspots-bench' };
let app: RunningApp | undefined;
// Loading tens of millions of rows is one long INSERT … SELECT: a generous request timeout.
const deps = createDeps(
  loadConfig({ ...env, HOTSPOTS_LOG_LEVEL: 'warn', HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '1800000' }),
);
try {
  await migrateClickHouse(env.HOTSPOTS_CLICKHOUSE_URL ?? '', env.HOTSPOTS_CLICKHOUSE_DATABASE ?? 'hotspots');
  await createTopics([env.HOTSPOTS_KAFKA_BROKERS ?? '']);
  const datasets = [];
  for (const n of sizes) datasets.push(await datasetFor(deps.db, n, anchor));
  const apiKeys = datasets.map((d, i) => `hotspots-bench-key-${i}:${d.tenant}`).join(',');
  app = await startApp(
    { ...bareSettings, apiKeys },
    { extraEnv: { HOTSPOTS_CONSUMER_GROUP: 'hotspots-bench', HOTSPOTS_LOG_LEVEL: 'warn' } },
  );
  const queryRows: RouteFigures[] = [];
  const loads: Record<string, number> = {};
  for (const [i, dataset] of datasets.entries()) {
    const { loadSeconds, routes } = await benchQueries(
      deps.db,
      app.url,
      `hotspots-bench-key-${i}`,
      dataset,
      requests,
      log,
    );
    loads[dataset.tenant] = loadSeconds;
    queryRows.push(...routes);
  }
  console.log('\nQuery routes over HTTP (serverless offline → ClickHouse 18.16), latency in ms:\n');
  console.log(
    table(
      queryRows.map((r) => ({
        samples: r.dataset_samples.toLocaleString('en'),
        route: r.route,
        p50: r.p50_ms,
        p99: r.p99_ms,
        max: r.max_ms,
      })),
    ),
  );
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    requests_per_route: requests,
    dataset_load_seconds: loads,
    queries: queryRows,
  };
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${file}`);
} finally {
  await app?.stop();
  await deps.close();
  if (process.env.HOTSPOTS_KEEP_STACK !== '1') await stopStack(bareSettings, started, log);
}
