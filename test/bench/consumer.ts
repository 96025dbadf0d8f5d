import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Deps } from '../../shared/app/deps.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { createLogger } from '../../shared/platform/logger.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { sql } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import type { ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { createInsertedIds } from '../../shared/profiles/rows/profile-batch-writer.js';
import { explodeProfile } from '../support/decoders.js';
import { lambdaRecord } from '../support/kafka-records.js';
import { benchEnvelope } from './envelopes.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { round } from './stats.js';

/**
 * The consumer end to end (S3 fetch → gunzip → decode → explode → ClickHouse) beside its
 * baseline from the same run: the very insert bodies the consumer sent, captured on a warm-up
 * run, replayed without any decoding — over HTTP as the consumer sends them, and through
 * clickhouse-client's native protocol. The consumer's rate over the faster replay is the figure
 * the issue asks to keep at 80 % or more. HOTSPOTS_BENCH_CPU_PROFILE=file.cpuprofile records where
 * the consumer's own CPU goes during the timed run.
 */
export interface ConsumerFigures {
  profiles: number;
  samples: number;
  sample_rows: number;
  records_per_batch: number;
  raw_insert_http_rows_per_s: number;
  raw_insert_native_rows_per_s: number;
  consumer_rows_per_s: number;
  consumer_samples_per_s: number;
  consumer_profiles_per_s: number;
  consumer_samples_per_node_cpu_s: number;
  consumer_over_raw_insert: number;
  /** consumer over raw HTTP replay in each round, in order. */
  consumer_over_raw_by_round: number[];
  /** The same with ClickHouse pinned to one core and the consumer to the other (null: no taskset). */
  split_cores_raw_insert_http_rows_per_s: number | null;
  split_cores_consumer_rows_per_s: number | null;
  split_cores_consumer_over_raw_insert: number | null;
  json_each_row_insert_rows_per_s: number;
}

interface CapturedInsert {
  table: string;
  columns: readonly string[];
  rows: Uint8Array;
}

function recording(db: SqlDatabase, captured: CapturedInsert[]): SqlDatabase {
  return {
    query: (statement) => db.query(statement),
    insert: (table, rows) => db.insert(table, rows),
    command: (statement) => db.command(statement),
    ping: () => db.ping(),
    async insertRowBinary(table, columns, rows) {
      captured.push({ table, columns, rows: Buffer.from(rows) });
      await db.insertRowBinary(table, columns, rows);
    },
  };
}

const record = (envelope: ProfileEnvelope, offset: number) => lambdaRecord(encodeEnvelope(envelope), offset);

/** One INSERT through clickhouse-client (native TCP protocol), rows on stdin. */
function clickhouseClient(args: string[], input: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('clickhouse-client', ['--host', '127.0.0.1', '--port', String(port), ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`clickhouse-client: ${stderr.trim()}`))));
    Readable.from([input]).pipe(child.stdin);
  });
}

export interface ConsumerBenchOptions {
  profiles: number;
  /** The stack's ClickHouse server, pinned to one core for the split-cores rounds. */
  clickhousePid: number | undefined;
  /** Alternating rounds of raw replay and consumer run (medians reported). */
  rounds: number;
  distinctProfiles: number;
  recordsPerBatch: number;
  nativePort: number;
  database: string;
  log: (message: string) => void;
}

export async function benchConsumer(deps: Deps, options: ConsumerBenchOptions): Promise<ConsumerFigures> {
  const run = Date.now().toString(36);
  const raws = Array.from({ length: options.distinctProfiles }, (_, i) =>
    gzipSync(buildRealisticProfile({ seed: 1 + i, startNs: BigInt(Date.now()) * 1_000_000n })),
  );
  const keys: string[] = [];
  for (const [i, raw] of raws.entries()) {
    const key = `bench/consumer/${run}/${i}.pprof.gz`;
    await deps.rawStore.put(key, raw, 'application/octet-stream');
    keys.push(key);
  }
  const envelopesFor = (tenant: string): ProfileEnvelope[] =>
    Array.from({ length: options.profiles }, (_, i) =>
      benchEnvelope({
        tenant,
        service: 'checkout',
        bucket: deps.config.s3.bucket,
        key: keys[i % keys.length] as string,
        bytes: raws[i % raws.length]?.length ?? 0,
      }),
    );
  const consume = async (db: SqlDatabase, tenant: string) => {
    const envelopes = envelopesFor(tenant);
    const consumerDeps = {
      rawStore: deps.rawStore,
      db,
      logger: createLogger('warn'),
      limits: deps.config.limits,
      labelMappingFor: () => defaultLabelMapping,
      decoder: createProfileDecoder({ decoder: 'wasm' }),
      deadLetterPrefix: deps.config.deadLetterPrefix,
      insertedIds: createInsertedIds(1_000_000),
    };
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < envelopes.length; i += options.recordsPerBatch) {
      const batch = envelopes.slice(i, i + options.recordsPerBatch).map((e, j) => record(e, i + j));
      const summary = await processProfileRecords(consumerDeps, batch);
      if (summary.processed !== batch.length) throw new Error(`consumer bench: ${JSON.stringify(summary)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  };

  // Warm-up that also captures the exact insert bodies for the baselines.
  const captured: CapturedInsert[] = [];
  options.log(`consumer: warm-up of ${options.profiles} profiles (capturing inserts)`);
  await consume(recording(deps.db, captured), `bench-consumer-warm-${run}`);
  const rowsOf = raws.map(sampleRowCount);
  const sampleRows = Array.from({ length: options.profiles }, (_, i) => rowsOf[i % rowsOf.length] ?? 0).reduce(
    (a, b) => a + b,
    0,
  );
  const samples = options.profiles * 20_000;

  // Rounds alternate the HTTP replay and the consumer, each after the merges of the one before
  // have settled (otherwise whichever runs later pays for them); medians over the rounds. One
  // native replay is kept for reference: clickhouse-client starts a process per insert.
  const httpRounds: number[] = [];
  const consumerRounds: { seconds: number; cpuSeconds: number }[] = [];
  for (let round = 0; round < options.rounds; round++) {
    await settleMerges(deps.db, options.log);
    options.log(`consumer: round ${round + 1}/${options.rounds}, raw HTTP replay (${captured.length} inserts)`);
    const started = performance.now();
    for (const c of captured) await deps.db.insertRowBinary(c.table, c.columns, c.rows);
    httpRounds.push((performance.now() - started) / 1000);
    await settleMerges(deps.db, options.log);
    options.log(`consumer: round ${round + 1}/${options.rounds}, timed consumer run`);
    consumerRounds.push(
      await withCpuProfile(round === 0 ? process.env.HOTSPOTS_BENCH_CPU_PROFILE : undefined, () =>
        consume(deps.db, `bench-consumer-${run}-${round}`),
      ),
    );
  }
  const httpSeconds = median(httpRounds);
  const byRound = consumerRounds.map(({ seconds }, i) => round((httpRounds[i] as number) / seconds, 2));

  // The same with ClickHouse on one core and the consumer on the other, as when they run on
  // machines of their own (Lambda and a ClickHouse server): neither then takes CPU from the other.
  const split = { http: [] as number[], consumer: [] as number[] };
  if (options.clickhousePid !== undefined && commandAvailable('taskset') && cpus().length >= 2) {
    for (let round = 0; round < options.rounds; round++) {
      await settleMerges(deps.db, options.log);
      options.log(`consumer: split cores, round ${round + 1}/${options.rounds}`);
      const pid = options.clickhousePid;
      split.http.push(
        await onSplitCores(pid, async () => {
          const started = performance.now();
          for (const c of captured) await deps.db.insertRowBinary(c.table, c.columns, c.rows);
          return (performance.now() - started) / 1000;
        }),
      );
      await settleMerges(deps.db, options.log);
      split.consumer.push(
        await onSplitCores(pid, async () => (await consume(deps.db, `bench-consumer-${run}-split-${round}`)).seconds),
      );
    }
  }
  const timed = [...consumerRounds].sort((a, b) => a.seconds - b.seconds)[Math.floor(consumerRounds.length / 2)] as {
    seconds: number;
    cpuSeconds: number;
  };
  await settleMerges(deps.db, options.log);
  let started = performance.now();
  for (const c of captured) {
    await clickhouseClient(
      ['--database', options.database, '--query', `INSERT INTO ${c.table} (${c.columns.join(', ')}) FORMAT RowBinary`],
      c.rows,
      options.nativePort,
    );
  }
  const nativeSeconds = (performance.now() - started) / 1000;

  // Format choice: the same sample rows as JSONEachRow objects, as the consumer sent them before.
  const jsonRows = explodeProfile(
    gunzipSync(raws[0] as Buffer),
    {
      tenant: `bench-consumer-json-${run}`,
      service: 'checkout',
      env: 'bench',
      version: '1',
      profileId: 'json',
      ingestId: 'json',
      fallbackStartSeconds: 0,
    },
    defaultLabelMapping,
    deps.config.limits,
  ).samples;
  const jsonCopies = Math.max(1, Math.min(10, options.profiles));
  started = performance.now();
  for (let i = 0; i < jsonCopies; i++) await deps.db.insert('samples', jsonRows);
  const jsonSeconds = (performance.now() - started) / 1000;

  const rawHttp = sampleRows / httpSeconds;
  const rawNative = sampleRows / nativeSeconds;
  const consumerRows = sampleRows / timed.seconds;
  return {
    profiles: options.profiles,
    samples,
    sample_rows: sampleRows,
    records_per_batch: options.recordsPerBatch,
    raw_insert_http_rows_per_s: Math.round(rawHttp),
    raw_insert_native_rows_per_s: Math.round(rawNative),
    consumer_rows_per_s: Math.round(consumerRows),
    consumer_samples_per_s: Math.round(samples / timed.seconds),
    consumer_profiles_per_s: round(options.profiles / timed.seconds),
    consumer_samples_per_node_cpu_s: Math.round(samples / timed.cpuSeconds),
    consumer_over_raw_insert: round(consumerRows / Math.max(rawHttp, rawNative), 2),
    split_cores_raw_insert_http_rows_per_s: split.http.length ? Math.round(sampleRows / median(split.http)) : null,
    split_cores_consumer_rows_per_s: split.consumer.length ? Math.round(sampleRows / median(split.consumer)) : null,
    split_cores_consumer_over_raw_insert: split.http.length
      ? round(median(split.http) / median(split.consumer), 2)
      : null,
    consumer_over_raw_by_round: byRound,
    json_each_row_insert_rows_per_s: Math.round((jsonRows.length * jsonCopies) / jsonSeconds),
  };
}

function commandAvailable(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Pins every thread of a process to CPUs `list` (taskset syntax, e.g. "0" or "0-1"). */
function pin(pid: number, list: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset could not pin ${pid} to ${list}`);
}

/** Runs `work` with ClickHouse on CPU 1 and this process on CPU 0, then frees both again. */
async function onSplitCores<T>(clickhousePid: number, work: () => Promise<T>): Promise<T> {
  const all = `0-${cpus().length - 1}`;
  pin(clickhousePid, '1');
  pin(process.pid, '0');
  try {
    return await work();
  } finally {
    pin(process.pid, all);
    pin(clickhousePid, all);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Waits (up to 5 minutes) until ClickHouse runs no merge. */
async function settleMerges(db: SqlDatabase, log: (message: string) => void): Promise<void> {
  const started = performance.now();
  for (;;) {
    const [row] = await db.query<{ merges: string | number }>(sql`SELECT count() AS merges FROM system.merges`);
    if (Number(row?.merges ?? 0) === 0 || performance.now() - started > 300_000) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  log(`consumer: merges settled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Runs `work`, recording a V8 CPU profile of this process into `path` when one is given. */
async function withCpuProfile<T>(path: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!path) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  }
}

function sampleRowCount(raw: Uint8Array): number {
  return explodeProfile(
    gunzipSync(raw),
    { tenant: 't', service: 's', env: '', version: '', profileId: 'p', ingestId: 'i', fallbackStartSeconds: 0 },
    defaultLabelMapping,
    {
      maxSamplesPerProfile: 10_000_000,
      maxLabelsPerSample: 64,
      maxLabelValueBytes: 4096,
      maxStackFrames: 1e9,
      maxRowsPerProfile: 1_000_000_000,
      maxProfileRecords: 1e9,
    },
  ).samples.length;
}
