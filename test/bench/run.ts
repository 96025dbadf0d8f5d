import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type RunningApp, startApp } from '../../infra/local/app.js';
import { createTopics, migrateClickHouse } from '../../infra/local/prepare.js';
import { CONSUMER_NODE_FLAGS } from '../../infra/local/processes.js';
import { appEnvironment, repoRoot, stackSettings } from '../../infra/local/settings.js';
import { stackPids, startStack, stopStack } from '../../infra/local/stack.js';
import { createDeps } from '../../shared/app/deps.js';
import { loadConfig } from '../../shared/platform/config.js';
import { identifier, sql } from '../../shared/platform/sql.js';
import { amplificationShapes, buildAmplifiedProfile } from '../support/amplification-profiles.js';
import { benchConsumer } from './consumer.js';
import { datasetFor } from './dataset.js';
import { benchDecode } from './decode.js';
import { benchRuntimeDecode } from './decode-runtimes.js';
import { benchFreshness, benchUploads } from './ingest-http.js';
import { benchOtlp } from './otlp.js';
import { benchQueries, type RouteFigures } from './queries.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { benchScaleOut } from './scale-out.js';
import { table } from './stats.js';

/**
 * `npm run bench`: every benchmark of issue 7, each figure beside its baseline from the same run.
 * Prints tables and writes JSON to bench-results/. Knobs (environment):
 * - HOTSPOTS_BENCH_PARTS: comma list of decode, otlp, consumer, memory, scale-out, upload,
 *   freshness, queries (default: all).
 * - HOTSPOTS_BENCH_SAMPLES: dataset sizes of the query benchmark (default 10000000).
 * - HOTSPOTS_BENCH_REQUESTS: calls per query route (default 30).
 * - HOTSPOTS_BENCH_PROFILES: profiles through the consumer benchmark (default 40 × 20k samples).
 * - HOTSPOTS_BENCH_CONSUMER_ROUNDS: alternating raw-replay and consumer rounds (default 5; medians).
 * - HOTSPOTS_BENCH_SCALE_OUT: consumer counts of the scale-out benchmark (default 1,2,4).
 * - HOTSPOTS_BENCH_UPLOAD_SECONDS: seconds per upload scenario (default 10).
 */
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const parts = new Set(list('HOTSPOTS_BENCH_PARTS', 'decode,otlp,consumer,memory,scale-out,upload,freshness,queries'));
const sizes = list('HOTSPOTS_BENCH_SAMPLES', '10000000').map(Number);
const requests = Number(process.env.HOTSPOTS_BENCH_REQUESTS ?? '30');
const consumerProfiles = Number(process.env.HOTSPOTS_BENCH_PROFILES ?? '40');
const consumerCounts = list('HOTSPOTS_BENCH_SCALE_OUT', '1,2,4').map(Number);
const uploadSeconds = Number(process.env.HOTSPOTS_BENCH_UPLOAD_SECONDS ?? '10');
const anchor = Math.floor(Date.now() / 1000 / 86_400) * 86_400;

const bareSettings = stackSettings({ ...process.env, PORT: process.env.HOTSPOTS_BENCH_PORT ?? '3500' });
const started = await startStack(bareSettings, log);
// A profiles topic of its own: the app's event source then sees only this run's uploads, not the
// backlog earlier test runs left on hotspots.profiles.
const runId = Date.now().toString(36);
const env: Record<string, string> = {
  ...appEnvironment(bareSettings),
  HOTSPOTS_CONSUMER_GROUP: `hotspots-bench-${runId}`,
  HOTSPOTS_PROFILES_TOPIC: `hotspots.bench.profiles.${runId}`,
};
let app: RunningApp | undefined;
// Loading tens of millions of rows is one long INSERT … SELECT: a generous request timeout.
const deps = createDeps(
  loadConfig({ ...env, HOTSPOTS_LOG_LEVEL: 'warn', HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '1800000' }),
);
// The ingest benchmarks (consumer, memory, scale-out) write into a database of their own, dropped
// at the end: their rows do not pile up run after run (a run writes several GB), and ClickHouse
// does not merge their parts into the query datasets' partitions while they are timed (one such
// merge took 74 s between two consumer rounds).
const ingestDatabase = `hotspots_bench_${runId}`;
const ingestEnv: Record<string, string> = { ...env, HOTSPOTS_CLICKHOUSE_DATABASE: ingestDatabase };
const ingestDeps = ['consumer', 'memory', 'scale-out'].some((part) => parts.has(part))
  ? createDeps(
      loadConfig({ ...ingestEnv, HOTSPOTS_LOG_LEVEL: 'warn', HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '600000' }),
    )
  : undefined;
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
const print = (title: string, rows: Record<string, string | number>[]) => console.log(`\n${title}\n\n${table(rows)}\n`);

/** Peak RSS of one consumer batch in a fresh process (test/bench/memory-probe.ts). */
function memoryProbe(key: string, records: number, encoding: string, extraEnv: Record<string, string> = {}) {
  return new Promise<Record<string, number>>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...CONSUMER_NODE_FLAGS,
        '--import',
        'tsx',
        join(repoRoot, 'test', 'bench', 'memory-probe.ts'),
        key,
        String(records),
        encoding,
      ],
      { cwd: repoRoot, env: { ...process.env, ...ingestEnv, HOTSPOTS_LOG_LEVEL: 'warn', ...extraEnv } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'))
        : reject(new Error(`memory probe failed: ${err}`)),
    );
  });
}

try {
  await migrateClickHouse(env.HOTSPOTS_CLICKHOUSE_URL ?? '', env.HOTSPOTS_CLICKHOUSE_DATABASE ?? 'hotspots');
  if (ingestDeps) await migrateClickHouse(env.HOTSPOTS_CLICKHOUSE_URL ?? '', ingestDatabase);
  await createTopics([env.HOTSPOTS_KAFKA_BROKERS ?? '']);
  await createTopics(
    [env.HOTSPOTS_KAFKA_BROKERS ?? ''],
    [{ name: env.HOTSPOTS_PROFILES_TOPIC ?? '', partitions: 4, configs: { 'retention.ms': '86400000' } }],
  );

  if (parts.has('decode')) {
    log('decode: pprof-format vs the wire decoder');
    const decode = await benchDecode();
    results.decode = decode;
    print('Decode and explode (one core, median of rounds; ratio = samples/s over pprof-format decode):', decode);
    const runtimes = await benchRuntimeDecode();
    results.decodeRuntimes = runtimes;
    print(
      'Decode of dd-trace-js and ddtrace uploads (number span id labels; ratio over the JavaScript decoder):',
      runtimes,
    );
  }

  if (parts.has('otlp')) {
    log('otlp: an OTLP profile beside the same profile as a pprof');
    const otlp = benchOtlp();
    results.otlp = otlp;
    print('OTLP profiles in the consumer (one core, median of rounds; heap held by the decoded request):', otlp);
  }

  if (parts.has('consumer')) {
    const consumer = await benchConsumer(ingestDeps ?? deps, {
      profiles: consumerProfiles,
      rounds: Number(process.env.HOTSPOTS_BENCH_CONSUMER_ROUNDS ?? '5'),
      clickhousePid: stackPids(bareSettings).clickhouse,
      distinctProfiles: 8,
      recordsPerBatch: 100,
      nativePort: bareSettings.clickhouse.tcpPort,
      database: ingestDatabase,
      log,
    });
    results.consumer = consumer;
    print(
      'Consumer end to end (S3 → gunzip → decode → ClickHouse) vs raw insert of the same rows:',
      Object.entries(consumer).map(([figure, value]) => ({ figure, value })),
    );
  }

  if (parts.has('memory')) {
    log('memory: building a ~50 MB profile');
    const large = buildRealisticProfile({ samples: 480_000, functions: 20_000, seed: 7 });
    const largeKey = `bench/memory/${Date.now().toString(36)}/large.pprof.gz`;
    await deps.rawStore.put(largeKey, gzipSync(large), 'application/octet-stream');
    const small = buildRealisticProfile({ samples: 100, functions: 200, seed: 8 });
    const smallKey = `bench/memory/${Date.now().toString(36)}/small.pprof.gz`;
    await deps.rawStore.put(smallKey, gzipSync(small), 'application/octet-stream');
    // Hostile: 64 MiB of empty Location records (two bytes each), gzipped to a few dozen kB; refused
    // at HOTSPOTS_MAX_PROFILE_RECORDS (33M records took 1.7-3.9 GB to decode before that limit).
    const flood = Buffer.alloc(64 * 2 ** 20);
    for (let at = 0; at < flood.length; at += 2) flood[at] = 0x22;
    const floodGzip = gzipSync(flood);
    const floodKey = `bench/memory/${Date.now().toString(36)}/flood.pprof.gz`;
    await deps.rawStore.put(floodKey, floodGzip, 'application/octet-stream');
    // Issue 20's amplification shapes at the default limits (test/support/amplification-profiles.ts):
    // a few kB of gzip each, the worst allowed ones committed, one step over refused.
    const amplified: [string, string][] = [];
    for (const [name, what] of [
      ['bothUnder', 'worst allowed: 4,000,000 rows carrying 256 MiB of label text'],
      ['labelsUnder', 'allowed: 511 samples × 2 types × 64 labels of 4 kB (256 MiB of label text)'],
      ['rowsUnder', 'allowed: 4000 samples × 1000 sample types (4,000,000 rows)'],
      ['labelsOver', 'one sample more: refused at HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE'],
      ['rowsOver', 'one sample more: refused at HOTSPOTS_MAX_ROWS_PER_PROFILE'],
    ] as const) {
      const gzip = gzipSync(buildAmplifiedProfile(amplificationShapes()[name]));
      const key = `bench/memory/${Date.now().toString(36)}/amplified-${name}.pprof.gz`;
      await deps.rawStore.put(key, gzip, 'application/octet-stream');
      amplified.push([`${what} (${(gzip.length / 1024).toFixed(1)} kB gzip)`, key]);
    }
    const memory = [];
    for (const [scenario, key, records, chunk, maxRecords] of [
      [`one ${(large.length / 2 ** 20).toFixed(0)} MiB profile, 16 MiB chunks`, largeKey, 1, 16],
      [`one ${(large.length / 2 ** 20).toFixed(0)} MiB profile, 4 MiB chunks`, largeKey, 1, 4],
      ['1,000 records (100 samples each)', smallKey, 1_000, 16],
      ['10,000 records (100 samples each)', smallKey, 10_000, 16],
      [`64 MiB of empty locations (${(floodGzip.length / 1024).toFixed(0)} kB gzip), refused`, floodKey, 1, 16],
      // The same without the record limit in effect: what the limit saves.
      ['same, HOTSPOTS_MAX_PROFILE_RECORDS=1000000000', floodKey, 1, 16, '1000000000'],
      ...amplified.map(([scenario, key]) => [scenario, key, 1, 16] as const),
    ] as const) {
      log(`memory: ${scenario}`);
      const figures = await memoryProbe(key, records, 'gzip', {
        HOTSPOTS_INSERT_CHUNK_BYTES: String(chunk * 2 ** 20),
        ...(maxRecords === undefined ? {} : { HOTSPOTS_MAX_PROFILE_RECORDS: maxRecords }),
      });
      // The consumer Lambda's memorySize (2048 MB) and timeout (300 s), which no profile may outgrow.
      const withinLambda = (figures.peak_rss_mib ?? Number.POSITIVE_INFINITY) < 2048 && (figures.seconds ?? 300) < 300;
      memory.push({ scenario, ...figures, within_lambda: withinLambda ? 'yes' : 'NO' });
    }
    results.memory = memory;
    print('Consumer peak RSS per batch (fresh process each; Lambda memorySize is 2048 MB):', memory);
  }

  if (parts.has('scale-out')) {
    const scaleOut = await benchScaleOut(ingestDeps ?? deps, {
      env: { ...ingestEnv, HOTSPOTS_LOG_LEVEL: 'info' },
      consumerCounts,
      partitions: 4,
      profiles: 64,
      log,
    });
    results.scale_out = scaleOut;
    print('Scale-out: M consumer processes on a 4-partition topic (same machine as ClickHouse):', scaleOut);
  }

  const datasets = [];
  if (parts.has('queries')) for (const n of sizes) datasets.push(await datasetFor(deps.db, n, anchor));
  const apiKeys = [
    'hotspots-bench-ingest:bench-ingest',
    ...datasets.map((d, i) => `hotspots-bench-key-${i}:${d.tenant}`),
  ].join(',');
  if (parts.has('upload') || parts.has('freshness') || parts.has('queries')) {
    app = await startApp(
      { ...bareSettings, apiKeys },
      {
        extraEnv: {
          HOTSPOTS_CONSUMER_GROUP: env.HOTSPOTS_CONSUMER_GROUP ?? '',
          HOTSPOTS_PROFILES_TOPIC: env.HOTSPOTS_PROFILES_TOPIC ?? '',
          HOTSPOTS_LOG_LEVEL: 'warn',
        },
      },
    );
  }
  if (app && parts.has('upload')) {
    const uploads = await benchUploads(app.url, 'hotspots-bench-ingest', {
      seconds: uploadSeconds,
      baseline: deps,
      log,
    });
    results.uploads = uploads;
    print(
      'Upload route POST /v1/profiles (8 concurrent uploaders) beside S3 put + Kafka publish alone, latency in ms:',
      uploads.map((u) => ({
        profile: u.label,
        'accepted/s': u.accepted_per_s,
        p50: u.p50_ms,
        p99: u.p99_ms,
        errors: u.errors,
        'S3+Kafka p50': u.s3_put_then_publish?.p50_ms ?? '-',
        'S3+Kafka p99': u.s3_put_then_publish?.p99_ms ?? '-',
      })),
    );
  }
  if (app && parts.has('freshness')) {
    const freshness = await benchFreshness(app.url, 'hotspots-bench-ingest', { log });
    results.freshness = freshness;
    print(
      'Freshness: upload → visible in GET /v1/endpoints/cpu, ms:',
      [
        { load: 'idle', ...freshness.idle },
        ...(freshness.under_load ? [{ load: freshness.under_load.background_label, ...freshness.under_load }] : []),
      ].map((s) => ({ load: s.load, n: s.n, p50: s.p50_ms, p99: s.p99_ms, max: s.max_ms })),
    );
  }

  if (app && parts.has('queries')) {
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
    results.queries = queryRows;
    results.dataset_load_seconds = loads;
    results.requests_per_route = requests;
    print(
      'Query routes over HTTP (serverless offline → ClickHouse 18.16), latency in ms:',
      queryRows.map((r) => ({
        samples: r.dataset_samples.toLocaleString('en'),
        route: r.route,
        p50: r.p50_ms,
        p99: r.p99_ms,
        max: r.max_ms,
      })),
    );
  }

  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${file}`);
} finally {
  await app?.stop();
  if (ingestDeps) {
    await ingestDeps.close();
    await deps.db.command(sql`DROP DATABASE IF EXISTS ${identifier(ingestDatabase)}`).catch((error) => {
      log(`could not drop ${ingestDatabase}: ${(error as Error).message}`);
    });
  }
  await deps.close();
  if (process.env.HOTSPOTS_KEEP_STACK !== '1') await stopStack(bareSettings, started, log);
}
