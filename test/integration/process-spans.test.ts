import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeSpanEnvelope, type SpanEnvelope } from '../../shared/spans/envelope.js';
import type { SpanFormat } from '../../shared/spans/payload.js';
import { type ProcessSpansDeps, processSpanRecords } from '../../shared/spans/process-spans.js';
import { testDeps } from '../support/services.js';
import { ddSpan, encodeV04, encodeV05, hrTime, hrTimeNs, otelSpans, otlpProtobuf } from '../support/trace-payloads.js';

/**
 * The spans consumer against the real S3 API server and ClickHouse 18.16, fed records in the
 * Lambda Kafka event shape.
 */
const tenant = 'test-a';
const failedAt = new Date('2026-02-03T04:05:06Z');
let deps: Deps;
let consumer: ProcessSpansDeps;
let offset = 1_000_000 + Math.floor(Math.random() * 1_000_000);

beforeAll(() => {
  deps = testDeps();
  consumer = {
    rawStore: deps.rawStore,
    db: deps.db,
    logger: deps.logger,
    limits: { ...deps.config.spanLimits, maxDecompressedBytes: deps.config.limits.maxDecompressedBytes },
    deadLetterPrefix: deps.config.deadLetterPrefix,
    now: () => failedAt,
  };
});
afterAll(async () => {
  await deps.close();
});

/** A 64-bit lower trace id no other run uses. */
const freshTraceLow = () => BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n;

async function stored(format: SpanFormat, body: Uint8Array, spans: number): Promise<SpanEnvelope> {
  const batchId = randomUUID();
  const key = `raw/spans/${tenant}/test/${batchId}`;
  await deps.rawStore.put(key, body, 'application/octet-stream');
  return {
    v: 1,
    kind: 'spans',
    batch_id: batchId,
    tenant,
    format,
    encoding: 'identity',
    received_at: new Date().toISOString(),
    s3: { bucket: deps.config.s3.bucket, key },
    bytes: body.length,
    spans,
  };
}

function record(value: Buffer | string): KafkaEventRecord {
  offset += 1;
  return {
    topic: deps.config.kafka.spansTopic,
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: (Buffer.isBuffer(value) ? value : Buffer.from(value)).toString('base64'),
    headers: [],
  };
}

interface SpanReadRow {
  span_id: string;
  parent_id: string;
  trace_id: string;
  service: string;
  resource: string;
  start_ns: string;
  duration_ns: string;
  env: string;
  runtime_id: string;
  error: number;
  meta_keys: string[];
  meta_values: string[];
  source: string;
}

/** Spans of a trace as readers must read them: one row per span id (LIMIT 1 BY). */
async function spansOfTrace(traceId: string): Promise<SpanReadRow[]> {
  return deps.db.query<SpanReadRow>(sql`
    SELECT span_id, parent_id, trace_id, service, resource, toString(start_ns) AS start_ns,
           toString(duration_ns) AS duration_ns, env, runtime_id, error, meta_keys, meta_values, source
    FROM spans
    WHERE tenant = ${tenant} AND trace_id = ${traceId}
    ORDER BY span_id
    LIMIT 1 BY span_id`);
}

describe('processSpanRecords', () => {
  it('writes every span of a v0.4 payload with exact ids and times', async () => {
    const low = freshTraceLow();
    const start = (BigInt(Date.now()) - 5000n) * 1_000_000n + 123n;
    const spans = [
      ddSpan({ trace_id: low, span_id: 2n ** 64n - 3n, start, meta: { '_dd.p.tid': '6650a3be00000000', env: 'prod' } }),
      ddSpan({ trace_id: low, span_id: 2n ** 53n + 1n, parent_id: 2n ** 64n - 3n, start: start + 7n, error: 1 }),
    ];
    const envelope = await stored('datadog-v0.4', encodeV04([spans]), 2);
    const traceId = `6650a3be00000000${low.toString(16).padStart(16, '0')}`;

    const summary = await processSpanRecords(consumer, [record(encodeSpanEnvelope(envelope))]);

    expect(summary).toEqual({ processed: 1, dead_lettered: 0, spans: 2 });
    const rows = await spansOfTrace(traceId);
    // ORDER BY span_id is numeric: 2^53 + 1 sorts before 2^64 − 3.
    expect(rows.map((r) => [r.span_id, r.parent_id, r.start_ns, r.duration_ns, r.error, r.env, r.source])).toEqual([
      ['9007199254740993', '18446744073709551613', (start + 7n).toString(), '25000000', 1, 'prod', 'datadog-v0.4'],
      ['18446744073709551613', '0', start.toString(), '25000000', 0, 'prod', 'datadog-v0.4'],
    ]);
  });

  it('finds the trace of a span through the span_index view', async () => {
    const low = freshTraceLow();
    const spanId = BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n;
    const envelope = await stored('datadog-v0.5', encodeV05([[ddSpan({ trace_id: low, span_id: spanId })]]), 1);

    await processSpanRecords(consumer, [record(encodeSpanEnvelope(envelope))]);

    const rows = await deps.db.query<{ trace_id: string }>(
      sql`SELECT trace_id FROM span_index WHERE tenant = ${tenant} AND span_id = ${spanId} LIMIT 1 BY span_id`,
    );
    expect(rows).toEqual([{ trace_id: `0000000000000000${low.toString(16).padStart(16, '0')}` }]);
  });

  it('leaves what queries read unchanged when the same envelope is processed twice', async () => {
    const low = freshTraceLow();
    const spans = Array.from({ length: 5 }, (_, i) => ddSpan({ trace_id: low, span_id: BigInt(i + 1) }));
    const envelope = await stored('datadog-v0.4', encodeV04([spans]), 5);
    const traceId = `0000000000000000${low.toString(16).padStart(16, '0')}`;

    await processSpanRecords(consumer, [record(encodeSpanEnvelope(envelope))]);
    const once = await spansOfTrace(traceId);
    await processSpanRecords(consumer, [record(encodeSpanEnvelope(envelope))]);
    const twice = await spansOfTrace(traceId);

    expect(once).toHaveLength(5);
    expect(twice).toEqual(once);
    const final = await deps.db.query<{ n: string }>(
      sql`SELECT count() AS n FROM spans FINAL WHERE tenant = ${tenant} AND trace_id = ${traceId}`,
    );
    expect(Number(final[0]?.n)).toBe(5);
  });

  it('writes OTLP spans with their resource fields', async () => {
    const traceId = randomBytes(16).toString('hex');
    const startTime = hrTime(3000, 789);
    const otel = await otelSpans(traceId, { 'service.name': 'otel-svc', 'service.version': '9.9' }, [
      { name: 'GET /x', spanId: 'fedcba9876543210', kind: SpanKind.SERVER, startTime, endTime: hrTime(2000) },
    ]);
    const envelope = await stored('otlp-protobuf', otlpProtobuf(otel), 1);

    await processSpanRecords(consumer, [record(encodeSpanEnvelope(envelope))]);

    const [row] = await spansOfTrace(traceId);
    expect(row).toMatchObject({
      span_id: BigInt('0xfedcba9876543210').toString(),
      service: 'otel-svc',
      resource: 'GET /x',
      start_ns: hrTimeNs(startTime).toString(),
      source: 'otlp',
    });
  });

  it('dead-letters poison records with their reason and stores the rest of the batch', async () => {
    const low = freshTraceLow();
    const good = await stored('datadog-v0.4', encodeV04([[ddSpan({ trace_id: low })]]), 1);
    const corrupt = await stored('datadog-v0.4', Uint8Array.of(0x91, 0xc1), 1);
    const missing = {
      ...good,
      batch_id: 'missing',
      s3: { ...good.s3, key: `raw/spans/${tenant}/none/${randomUUID()}` },
    };
    const batch = [
      record('{"v":1,'),
      record(encodeSpanEnvelope(corrupt)),
      record(encodeSpanEnvelope(good)),
      record(encodeSpanEnvelope(missing)),
    ];

    const summary = await processSpanRecords(consumer, batch);

    expect(summary).toEqual({ processed: 1, dead_lettered: 3, spans: 1 });
    expect(await spansOfTrace(`0000000000000000${low.toString(16).padStart(16, '0')}`)).toHaveLength(1);
    const letter = async (r: KafkaEventRecord, who: string) =>
      JSON.parse(
        Buffer.from(
          await deps.rawStore.get(
            `dead-letter/spans/${who}/2026/02/03/${deps.config.kafka.spansTopic}-0-${r.offset}.json`,
          ),
        ).toString(),
      ) as { reason: { code: string; message: string }; value_base64: string };
    const [notJson, badBody, , gone] = batch as [
      KafkaEventRecord,
      KafkaEventRecord,
      KafkaEventRecord,
      KafkaEventRecord,
    ];
    expect((await letter(notJson, '_unknown')).reason).toEqual({
      code: 'unprocessable',
      message: 'span envelope is not valid JSON',
    });
    expect((await letter(notJson, '_unknown')).value_base64).toBe(notJson.value);
    expect((await letter(badBody, tenant)).reason.message).toMatch(/^stored datadog-v0.4 body cannot be decoded/);
    expect((await letter(gone, tenant)).reason.code).toBe('not_found');
  });

  it('throws a retriable error and dead-letters nothing when ClickHouse is down', async () => {
    const down = testDeps({ HOTSPOTS_CLICKHOUSE_URL: 'http://127.0.0.1:9' });
    try {
      const envelope = await stored('datadog-v0.4', encodeV04([[ddSpan({ trace_id: freshTraceLow() })]]), 1);
      const r = record(encodeSpanEnvelope(envelope));

      const error = await processSpanRecords({ ...consumer, db: down.db }, [r]).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(HotspotsError);
      expect((error as HotspotsError).retriable).toBe(true);
      const letter = await deps.rawStore
        .get(`dead-letter/spans/${tenant}/2026/02/03/${deps.config.kafka.spansTopic}-0-${r.offset}.json`)
        .catch((e: HotspotsError) => e.code);
      expect(letter).toBe('not_found');
    } finally {
      await down.close();
    }
  });
});
