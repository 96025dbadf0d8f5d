/**
 * The span model every trace intake decodes into, and the `spans` row built from it
 * (infra/clickhouse/migrations/0002_spans_endpoint_counts.sql). Pure: no SDK, no I/O.
 *
 * Ids: span and parent ids are unsigned 64-bit and stay BigInt here and decimal strings in rows;
 * trace ids are 128-bit, kept as 32 lowercase hex digits (Datadog's lower 64 bits plus the upper
 * half from meta `_dd.p.tid`; OTLP's 16 bytes as they are).
 */
export interface DecodedSpan {
  traceId: string;
  spanId: bigint;
  /** 0 for a root span. */
  parentId: bigint;
  service: string;
  name: string;
  resource: string;
  type: string;
  env: string;
  version: string;
  runtimeId: string;
  startNs: bigint;
  durationNs: bigint;
  /** 1 when the span ended in error (Datadog `error`, OTLP status ERROR). */
  error: number;
  meta: Map<string, string>;
  metrics: Map<string, number>;
}

/** Where a span came from, stored in `spans.source`. */
export type SpanSource = 'datadog-v0.4' | 'datadog-v0.5' | 'otlp';

export interface SpanLimits {
  maxSpansPerPayload: number;
  maxTagsPerSpan: number;
  maxStringBytes: number;
}

/** A row of `spans`, ready for JSONEachRow: 64-bit integers travel as decimal strings. */
export interface SpanRow {
  tenant: string;
  trace_id: string;
  span_id: string;
  parent_id: string;
  service: string;
  name: string;
  resource: string;
  type: string;
  env: string;
  version: string;
  runtime_id: string;
  /** Unix seconds (the DateTime partition and sort column). */
  start: number;
  start_ns: string;
  duration_ns: string;
  error: number;
  meta_keys: string[];
  meta_values: string[];
  metric_keys: string[];
  metric_values: number[];
  source: SpanSource;
  ingested_ns: string;
}

const NS_PER_SECOND = 1_000_000_000n;
/** 2000-01-01T00:00:00Z: earlier starts are clock bugs (the Datadog agent refuses them too). */
export const MIN_START_NS = 946_684_800n * NS_PER_SECOND;
/** ClickHouse DateTime is a UInt32 of seconds: starts must stay below 2106-02-07. */
export const MAX_START_NS = 4_294_967_296n * NS_PER_SECOND;
const MAX_INT64 = (1n << 63n) - 1n;

/** Why a span's times are unusable, or undefined when they are fine. */
export function timeProblem(startNs: bigint, durationNs: bigint): string | undefined {
  if (startNs < MIN_START_NS || startNs >= MAX_START_NS) {
    return `start ${startNs} ns is outside 2000-01-01 … 2106-02-07`;
  }
  if (durationNs < 0n) return `duration ${durationNs} ns is negative`;
  if (startNs + durationNs > MAX_INT64) return `end overflows a signed 64-bit nanosecond count`;
  return undefined;
}

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. Longer strings are
 * truncated rather than refused, as the Datadog agent does (it truncates meta values at 25 000).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 code unit never takes more than 3 bytes of UTF-8: short strings need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Continuation bytes are 10xxxxxx: back up to the start of the character that would be cut.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

export function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

/** Months (yyyymm) of a row's partition: ClickHouse refuses inserts touching over 100 partitions. */
export function partitionOf(row: SpanRow): number {
  const date = new Date(row.start * 1000);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
}

export function spanRow(tenant: string, span: DecodedSpan, source: SpanSource, ingestedNs: bigint): SpanRow {
  const metaKeys: string[] = [];
  const metaValues: string[] = [];
  for (const [key, value] of span.meta) {
    metaKeys.push(key);
    metaValues.push(value);
  }
  const metricKeys: string[] = [];
  const metricValues: number[] = [];
  for (const [key, value] of span.metrics) {
    metricKeys.push(key);
    metricValues.push(value);
  }
  return {
    tenant,
    trace_id: span.traceId,
    span_id: span.spanId.toString(),
    parent_id: span.parentId.toString(),
    service: span.service,
    name: span.name,
    resource: span.resource,
    type: span.type,
    env: span.env,
    version: span.version,
    runtime_id: span.runtimeId,
    start: Number(span.startNs / NS_PER_SECOND),
    start_ns: span.startNs.toString(),
    duration_ns: span.durationNs.toString(),
    error: span.error,
    meta_keys: metaKeys,
    meta_values: metaValues,
    metric_keys: metricKeys,
    metric_values: metricValues,
    source,
    ingested_ns: ingestedNs.toString(),
  };
}
