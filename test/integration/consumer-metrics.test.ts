import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { unavailable } from '../../shared/platform/errors.js';
import { createLogger, type Logger } from '../../shared/platform/logger.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { encodeSpanEnvelope, type SpanEnvelope } from '../../shared/spans/envelope.js';
import { type ProcessSpansDeps, processSpanRecords } from '../../shared/spans/process-spans.js';
import { emfLines, emfProblems } from '../support/emf.js';
import { lambdaRecord } from '../support/kafka-records.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

/**
 * The consumers' metrics line (shared/platform/batch-metrics.ts) written by real batches against
 * the real S3 API server and ClickHouse: one EMF line per batch, with the batch's counts.
 */
const tenant = 'test-a';
let deps: Deps;
let offset = 2_000_000 + Math.floor(Math.random() * 1_000_000);

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

/** A logger that keeps its lines, bound to a request id as the Lambda runtime binds one. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('info', { request_id: 'req-metrics' }, (line) => lines.push(line)), lines };
}

/** The real database, but every RowBinary insert fails as when ClickHouse goes away mid-batch. */
function insertsFail(db: SqlDatabase): SqlDatabase {
  return {
    query: (statement) => db.query(statement),
    insert: () => Promise.reject(unavailable('ClickHouse insert failed')),
    insertRowBinary: () => Promise.reject(unavailable('ClickHouse insert failed')),
    command: (statement) => db.command(statement),
    ping: () => db.ping(),
  };
}

describe('the profiles consumer’s metrics', () => {
  let consumer: ProcessProfilesDeps;
  let lines: string[];

  beforeAll(() => {
    consumer = profileConsumerDeps(deps);
  });

  const record = (value: Buffer | string) => lambdaRecord(value, ++offset);

  async function storeProfile(service: string, spec: ProfileSpec): Promise<ProfileEnvelope> {
    return storeProfileBytes(service, buildCpuProfile(spec));
  }

  async function storeProfileBytes(service: string, bytes: Uint8Array): Promise<ProfileEnvelope> {
    return storeRawProfile(deps.rawStore, deps.config.s3.bucket, { tenant, service }, bytes);
  }

  const usual: ProfileSpec = {
    samples: [
      { stack: ['a', 'main'], cpuNs: 120_000_000n, labels: { 'trace endpoint': 'GET /a' } },
      { stack: ['b', 'main'], cpuNs: 80_000_000n },
    ],
  };
  // WebAssembly leaves profiles with non-ASCII names to JavaScript ('non-ASCII name').
  const unusual: ProfileSpec = { samples: [{ stack: ['größe.Berechnen', 'main'], cpuNs: 30_000_000n }] };

  it('writes one EMF line per batch with what the batch did', async () => {
    const service = uniqueService('metrics');
    const wasmRead = await storeProfile(service, usual);
    const jsRead = await storeProfile(service, unusual);
    const corrupt = await storeProfileBytes(service, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    const missing = { ...wasmRead, profile_id: randomUUID(), s3: { ...wasmRead.s3, key: `raw/none/${randomUUID()}` } };
    const batch = [
      record(encodeEnvelope(wasmRead)),
      record(encodeEnvelope(jsRead)),
      record(encodeEnvelope(wasmRead)),
      record('{"v":1,'),
      record(encodeEnvelope(corrupt)),
      record(encodeEnvelope(missing)),
    ];
    ({ logger: consumer.logger, lines } = capturingLogger());

    await processProfileRecords(consumer, batch);

    const metricLines = emfLines(lines);
    expect(metricLines).toHaveLength(1);
    const [line] = metricLines;
    expect(emfProblems(line)).toEqual([]);
    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT count() AS n FROM samples WHERE tenant = ${tenant} AND service = ${service}`,
    );
    expect(line).toMatchObject({
      request_id: 'req-metrics',
      Consumer: 'profiles',
      Outcome: 'completed',
      RecordsProcessed: 2,
      Duplicates: 1,
      DeadLettered: 3,
      DeadLetteredUnprocessable: 2,
      DeadLetteredNotFound: 1,
      ProfilesDecodedByWasm: 1,
      ProfilesDecodedByJs: 1,
      ProfilesWasmLeft: 1,
      SampleRowsWritten: Number(rows[0]?.n),
    });
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  });

  it('times decoding, inserting and the whole batch in milliseconds', async () => {
    const service = uniqueService('metrics-times');
    const profile = await storeProfile(service, usual);
    ({ logger: consumer.logger, lines } = capturingLogger());

    await processProfileRecords(consumer, [record(encodeEnvelope(profile))]);

    const [line] = emfLines(lines) as [{ DecodeTime: number; InsertTime: number; BatchDuration: number }];
    expect(line.DecodeTime).toBeGreaterThan(0);
    expect(line.InsertTime).toBeGreaterThan(0);
    expect(line.BatchDuration).toBeGreaterThanOrEqual(Math.max(line.DecodeTime, line.InsertTime));
  });

  it('writes the line of a batch that fails transiently with what it measured and Outcome retried', async () => {
    const service = uniqueService('metrics-retried');
    const profile = await storeProfile(service, usual);
    const missing = { ...profile, profile_id: randomUUID(), s3: { ...profile.s3, key: `raw/none/${randomUUID()}` } };
    ({ logger: consumer.logger, lines } = capturingLogger());

    const attempt = processProfileRecords({ ...consumer, db: insertsFail(deps.db) }, [
      record(encodeEnvelope(profile)),
      record(encodeEnvelope(missing)),
    ]);

    await expect(attempt).rejects.toThrow('ClickHouse insert failed');
    const metricLines = emfLines(lines);
    expect(metricLines).toHaveLength(1);
    expect(emfProblems(metricLines[0])).toEqual([]);
    expect(metricLines[0]).toMatchObject({
      Consumer: 'profiles',
      Outcome: 'retried',
      RecordsProcessed: 1,
      DeadLettered: 1,
      DeadLetteredNotFound: 1,
      ProfilesDecodedByWasm: 1,
    });
  });
});

describe('the spans consumer’s metrics', () => {
  const failedAt = new Date('2026-02-03T04:05:06Z');
  let consumer: ProcessSpansDeps;
  let lines: string[];

  beforeAll(() => {
    consumer = {
      rawStore: deps.rawStore,
      db: deps.db,
      logger: deps.logger,
      limits: { ...deps.config.spanLimits, maxDecompressedBytes: deps.config.limits.maxDecompressedBytes },
      deadLetterPrefix: deps.config.deadLetterPrefix,
      now: () => failedAt,
    };
  });

  const record = (value: Buffer | string) => lambdaRecord(value, ++offset, 'hotspots.spans');

  async function stored(body: Uint8Array, spans: number): Promise<SpanEnvelope> {
    const batchId = randomUUID();
    const key = `raw/spans/${tenant}/test/${batchId}`;
    await deps.rawStore.put(key, body, 'application/octet-stream');
    return {
      v: 1,
      kind: 'spans',
      batch_id: batchId,
      tenant,
      format: 'datadog-v0.4',
      encoding: 'identity',
      received_at: new Date().toISOString(),
      s3: { bucket: deps.config.s3.bucket, key },
      bytes: body.length,
      spans,
    };
  }

  const traceLow = () => BigInt(Math.floor(Math.random() * 2 ** 48)) | 1n;

  it('writes one EMF line per batch with spans written and dead letters by reason', async () => {
    const low = traceLow();
    const spans = [ddSpan({ trace_id: low, span_id: 1n }), ddSpan({ trace_id: low, span_id: 2n, parent_id: 1n })];
    const good = await stored(encodeV04([spans]), 2);
    const missing = { ...good, batch_id: randomUUID(), s3: { ...good.s3, key: `raw/spans/none/${randomUUID()}` } };
    ({ logger: consumer.logger, lines } = capturingLogger());

    await processSpanRecords(consumer, [
      record(encodeSpanEnvelope(good)),
      record('{"v":1,'),
      record(encodeSpanEnvelope(missing)),
    ]);

    const metricLines = emfLines(lines);
    expect(metricLines).toHaveLength(1);
    expect(emfProblems(metricLines[0])).toEqual([]);
    expect(metricLines[0]).toMatchObject({
      request_id: 'req-metrics',
      _aws: { Timestamp: failedAt.getTime() },
      Consumer: 'spans',
      Outcome: 'completed',
      RecordsProcessed: 1,
      SpansWritten: 2,
      DeadLettered: 2,
      DeadLetteredUnprocessable: 1,
      DeadLetteredNotFound: 1,
    });
    expect(metricLines[0]?.BatchDuration).toBeGreaterThan(0);
  });

  it('writes the line of a batch that fails transiently with Outcome retried', async () => {
    const missing = await stored(encodeV04([[ddSpan({ trace_id: traceLow() })]]), 1);
    const good = await stored(encodeV04([[ddSpan({ trace_id: traceLow() })]]), 1);
    ({ logger: consumer.logger, lines } = capturingLogger());

    const attempt = processSpanRecords({ ...consumer, db: insertsFail(deps.db) }, [
      record(encodeSpanEnvelope({ ...missing, s3: { ...missing.s3, key: `raw/spans/none/${randomUUID()}` } })),
      record(encodeSpanEnvelope(good)),
    ]);

    await expect(attempt).rejects.toThrow('ClickHouse insert failed');
    const metricLines = emfLines(lines);
    expect(metricLines).toHaveLength(1);
    expect(metricLines[0]).toMatchObject({
      Consumer: 'spans',
      Outcome: 'retried',
      RecordsProcessed: 0,
      DeadLettered: 1,
      DeadLetteredNotFound: 1,
      SpansWritten: 0,
    });
  });
});
