import { decode } from '@msgpack/msgpack';
import { badRequest, payloadTooLarge } from '../platform/errors.js';
import { type DecodedSpan, hex64, type SpanLimits, timeProblem, truncateUtf8 } from './span.js';

/**
 * Datadog trace intake payloads, as tracers send them to the agent's `/v0.4/traces` and
 * `/v0.5/traces` (msgpack). Field types follow the agent's decoders (pkg/trace/pb/decoder_bytes.go
 * and decoder_v05.go): integers may come in any msgpack width, uint64 fields accept signed values
 * (tracers of languages without unsigned types send two's complement), int64 fields accept unsigned
 * values up to 2^63 − 1, floats accept integers, strings accept str, bin (UTF-8, repaired) and nil.
 *
 * A payload is accepted or refused whole (400 naming the first bad field): a tracer has no way to
 * learn that part of it was dropped.
 */
export type DatadogTraceVersion = 'v0.4' | 'v0.5';

/** A span as the wire carries it, before 128-bit trace ids are put together. */
interface WireSpan {
  traceIdLow: bigint;
  spanId: bigint;
  parentId: bigint;
  service: string;
  name: string;
  resource: string;
  type: string;
  start: bigint;
  duration: bigint;
  error: number;
  meta: Map<string, string>;
  metrics: Map<string, number>;
}

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const tidPattern = /^[0-9a-fA-F]{16}$/;
// Non-fatal: invalid UTF-8 in bin strings becomes U+FFFD, as the agent's repairUTF8 does.
const utf8 = new TextDecoder('utf-8');

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'binary';
  if (typeof value === 'bigint') return `integer ${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `integer ${value}` : `float ${value}`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (isMap(value)) return 'a map';
  return 'an extension value';
}

function wrongType(where: string, expected: string, value: unknown) {
  return badRequest(`${where} must be ${expected}, got ${describe(value)}`);
}

function integer(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}

function uint64(value: unknown, where: string): bigint {
  if (value === null) return 0n;
  const n = integer(value);
  if (n === undefined) throw wrongType(where, 'an unsigned 64-bit integer', value);
  return BigInt.asUintN(64, n);
}

function int64(value: unknown, where: string): bigint {
  if (value === null) return 0n;
  const n = integer(value);
  if (n === undefined) throw wrongType(where, 'a 64-bit integer', value);
  if (n > MAX_INT64 || n < MIN_INT64) throw badRequest(`${where} overflows a signed 64-bit integer`);
  return n;
}

function int32(value: unknown, where: string): number {
  if (value === null) return 0;
  const n = integer(value);
  if (n === undefined) throw wrongType(where, 'a 32-bit integer', value);
  if (n > 2_147_483_647n || n < -2_147_483_648n) throw badRequest(`${where} overflows a signed 32-bit integer`);
  return Number(n);
}

function float(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw wrongType(where, 'a number', value);
}

function text(value: unknown, where: string, limits: SpanLimits): string {
  if (value === null) return '';
  if (typeof value === 'string') return truncateUtf8(value, limits.maxStringBytes);
  if (value instanceof Uint8Array) return truncateUtf8(utf8.decode(value), limits.maxStringBytes);
  throw wrongType(where, 'a string', value);
}

function tagCount(count: number, where: string, limits: SpanLimits) {
  if (count > limits.maxTagsPerSpan) {
    throw badRequest(`${where} has ${count} tags, above the limit of ${limits.maxTagsPerSpan} per span`);
  }
}

function decodeMsgpack(bytes: Uint8Array): unknown {
  try {
    // No length claimed inside can exceed the body: bounding them stops huge allocations early.
    const bound = Math.max(bytes.length, 16);
    return decode(bytes, {
      useBigInt64: true,
      maxStrLength: bound,
      maxBinLength: bound,
      maxArrayLength: bound,
      maxMapLength: bound,
      maxExtLength: bound,
    });
  } catch (error) {
    throw badRequest(`body is not valid msgpack: ${(error as Error).message}`, error);
  }
}

function emptySpan(): WireSpan {
  return {
    traceIdLow: 0n,
    spanId: 0n,
    parentId: 0n,
    service: '',
    name: '',
    resource: '',
    type: '',
    start: 0n,
    duration: 0n,
    error: 0,
    meta: new Map(),
    metrics: new Map(),
  };
}

/** v0.4: a span is a map keyed by field name; unknown fields (meta_struct, span_links, …) are skipped. */
function spanV04(value: unknown, where: string, limits: SpanLimits): WireSpan {
  if (!isMap(value)) throw wrongType(where, 'a map', value);
  const span = emptySpan();
  for (const [key, field] of Object.entries(value)) {
    const at = `${where}.${key}`;
    switch (key) {
      case 'trace_id':
        span.traceIdLow = uint64(field, at);
        break;
      case 'span_id':
        span.spanId = uint64(field, at);
        break;
      case 'parent_id':
        span.parentId = uint64(field, at);
        break;
      case 'service':
        span.service = text(field, at, limits);
        break;
      case 'name':
        span.name = text(field, at, limits);
        break;
      case 'resource':
        span.resource = text(field, at, limits);
        break;
      case 'type':
        span.type = text(field, at, limits);
        break;
      case 'start':
        span.start = int64(field, at);
        break;
      case 'duration':
        span.duration = int64(field, at);
        break;
      case 'error':
        span.error = int32(field, at);
        break;
      case 'meta':
        if (field === null) break;
        if (!isMap(field)) throw wrongType(at, 'a map of strings', field);
        tagCount(Object.keys(field).length, where, limits);
        for (const [k, v] of Object.entries(field)) {
          span.meta.set(truncateUtf8(k, limits.maxStringBytes), text(v, `${at}.${k}`, limits));
        }
        break;
      case 'metrics':
        if (field === null) break;
        if (!isMap(field)) throw wrongType(at, 'a map of numbers', field);
        tagCount(Object.keys(field).length, where, limits);
        for (const [k, v] of Object.entries(field)) {
          span.metrics.set(truncateUtf8(k, limits.maxStringBytes), float(v, `${at}.${k}`));
        }
        break;
      default:
    }
  }
  return span;
}

/** v0.5 field order, from the agent's decoder_v05.go (each span is exactly 12 elements). */
function spanV05(value: unknown, where: string, table: readonly string[], limits: SpanLimits): WireSpan {
  if (!Array.isArray(value) || value.length !== 12) {
    throw badRequest(`${where} must be an array of exactly 12 elements, got ${describe(value)}`);
  }
  const lookup = (index: unknown, at: string): string => {
    const n = integer(index);
    if (n === undefined) throw wrongType(at, 'a string table index', index);
    const entry = n >= 0n && n < BigInt(table.length) ? table[Number(n)] : undefined;
    if (entry === undefined)
      throw badRequest(`${at}: string table index ${n} is out of range (${table.length} strings)`);
    return entry;
  };
  const indexKey = (key: string, at: string): string => {
    // Map keys are table indexes; the decoder hands integer keys over as property names.
    if (!/^\d+$/.test(key))
      throw badRequest(`${at}: key ${JSON.stringify(key.slice(0, 64))} is not a string table index`);
    return lookup(Number(key), at);
  };
  const span = emptySpan();
  span.service = lookup(value[0], `${where}[0] service`);
  span.name = lookup(value[1], `${where}[1] name`);
  span.resource = lookup(value[2], `${where}[2] resource`);
  span.traceIdLow = uint64(value[3], `${where}[3] trace_id`);
  span.spanId = uint64(value[4], `${where}[4] span_id`);
  span.parentId = uint64(value[5], `${where}[5] parent_id`);
  span.start = int64(value[6], `${where}[6] start`);
  span.duration = int64(value[7], `${where}[7] duration`);
  span.error = int32(value[8], `${where}[8] error`);
  const meta = value[9];
  if (meta !== null) {
    if (!isMap(meta)) throw wrongType(`${where}[9] meta`, 'a map', meta);
    tagCount(Object.keys(meta).length, where, limits);
    for (const [k, v] of Object.entries(meta)) {
      span.meta.set(indexKey(k, `${where}[9] meta`), lookup(v, `${where}[9] meta value`));
    }
  }
  const metrics = value[10];
  if (metrics !== null) {
    if (!isMap(metrics)) throw wrongType(`${where}[10] metrics`, 'a map', metrics);
    tagCount(Object.keys(metrics).length, where, limits);
    for (const [k, v] of Object.entries(metrics)) {
      span.metrics.set(indexKey(k, `${where}[10] metrics`), float(v, `${where}[10] metrics value`));
    }
  }
  span.type = lookup(value[11], `${where}[11] type`);
  return span;
}

/**
 * Builds the stored spans of one trace chunk. The upper 64 bits of a 128-bit trace id travel in
 * meta `_dd.p.tid`, which tracers put on the chunk's first span only: it applies to every span of
 * the chunk with the same lower 64 bits.
 */
function finishChunk(chunk: readonly WireSpan[], where: string, limits: SpanLimits): DecodedSpan[] {
  const upperByLow = new Map<bigint, string>();
  for (const span of chunk) {
    const tid = span.meta.get('_dd.p.tid');
    if (tid !== undefined && tidPattern.test(tid)) upperByLow.set(span.traceIdLow, tid.toLowerCase());
  }
  return chunk.map((span, index) => {
    const at = `${where} span ${index}`;
    if (span.traceIdLow === 0n) throw badRequest(`${at}: trace_id must not be 0`);
    if (span.spanId === 0n) throw badRequest(`${at}: span_id must not be 0`);
    const problem = timeProblem(span.start, span.duration);
    if (problem !== undefined) throw badRequest(`${at}: ${problem}`);
    for (const [key, value] of span.metrics) {
      // JSON and ClickHouse cannot carry NaN or infinities through the insert; such metrics are dropped.
      if (!Number.isFinite(value)) span.metrics.delete(key);
    }
    tagCount(span.meta.size + span.metrics.size, at, limits);
    return {
      traceId: (upperByLow.get(span.traceIdLow) ?? '0000000000000000') + hex64(span.traceIdLow),
      spanId: span.spanId,
      parentId: span.parentId,
      service: span.service,
      name: span.name,
      resource: span.resource,
      type: span.type,
      env: span.meta.get('env') ?? '',
      version: span.meta.get('version') ?? '',
      runtimeId: span.meta.get('runtime-id') ?? '',
      startNs: span.start,
      durationNs: span.duration,
      error: span.error,
      meta: span.meta,
      metrics: span.metrics,
    };
  });
}

function chunksOf(traces: unknown, what: string, limits: SpanLimits, read: (span: unknown, where: string) => WireSpan) {
  if (!Array.isArray(traces)) throw wrongType(what, 'an array of traces', traces);
  const total = traces.reduce<number>((sum, chunk) => sum + (Array.isArray(chunk) ? chunk.length : 0), 0);
  if (total > limits.maxSpansPerPayload) {
    throw payloadTooLarge(`payload has ${total} spans, above the limit of ${limits.maxSpansPerPayload}`);
  }
  const spans: DecodedSpan[] = [];
  traces.forEach((chunk, t) => {
    if (!Array.isArray(chunk)) throw wrongType(`trace ${t}`, 'an array of spans', chunk);
    const wire = chunk.map((span, s) => read(span, `trace ${t} span ${s}`));
    spans.push(...finishChunk(wire, `trace ${t}`, limits));
  });
  return spans;
}

/** Decodes and validates a `/v0.4/traces` or `/v0.5/traces` body. An empty array (`0x90`) yields no spans. */
export function decodeDatadogTraces(
  bytes: Uint8Array,
  version: DatadogTraceVersion,
  limits: SpanLimits,
): DecodedSpan[] {
  const root = decodeMsgpack(bytes);
  if (version === 'v0.4') return chunksOf(root, 'the body', limits, (span, where) => spanV04(span, where, limits));
  if (!Array.isArray(root) || root.length !== 2) {
    throw badRequest(`a v0.5 body must be an array of [string table, traces], got ${describe(root)}`);
  }
  const [rawTable, traces] = root;
  if (!Array.isArray(rawTable)) throw wrongType('the v0.5 string table', 'an array of strings', rawTable);
  const table = rawTable.map((entry, i) => text(entry, `string table entry ${i}`, limits));
  return chunksOf(traces, 'the v0.5 traces', limits, (span, where) => spanV05(span, where, table, limits));
}
