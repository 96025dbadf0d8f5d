import { encode } from '@msgpack/msgpack';
import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * Trace payloads built in tests the way real clients build them: Datadog msgpack (v0.4 maps and
 * v0.5 string-table arrays) with @msgpack/msgpack, and OTLP requests with OpenTelemetry JS's own
 * SDK and serializers (@opentelemetry/otlp-transformer), the reference encoder of OTLP in JS.
 */
export interface DdSpan {
  trace_id: bigint;
  span_id: bigint;
  parent_id: bigint;
  service: string;
  name: string;
  resource: string;
  type: string;
  start: bigint;
  duration: bigint;
  error: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
}

/** A span started a minute ago, lasting 25 ms. */
export function ddSpan(overrides: Partial<DdSpan> = {}): DdSpan {
  return {
    trace_id: 1234n,
    span_id: 5678n,
    parent_id: 0n,
    service: 'checkout',
    name: 'http.request',
    resource: 'GET /users/{id}',
    type: 'web',
    start: (BigInt(Date.now()) - 60_000n) * 1_000_000n,
    duration: 25_000_000n,
    error: 0,
    meta: { env: 'prod', version: '1.2.3', 'runtime-id': 'rt-1' },
    metrics: { _sampling_priority_v1: 1 },
    ...overrides,
  };
}

/**
 * Integers go out in the smallest msgpack width, as tracers' encoders (tinylib/msgp) write them:
 * a BigInt below 2^32 becomes a number, larger ones stay 64-bit.
 */
function compact(value: bigint): number | bigint {
  return value >= -(2n ** 31n) && value < 2n ** 32n ? Number(value) : value;
}

function v04Span(span: DdSpan): Record<string, unknown> {
  return {
    trace_id: compact(span.trace_id),
    span_id: compact(span.span_id),
    parent_id: compact(span.parent_id),
    service: span.service,
    name: span.name,
    resource: span.resource,
    type: span.type,
    start: compact(span.start),
    duration: compact(span.duration),
    error: span.error,
    meta: span.meta,
    metrics: span.metrics,
  };
}

export function encodeV04(traces: DdSpan[][]): Uint8Array {
  return encode(
    traces.map((chunk) => chunk.map(v04Span)),
    { useBigInt64: true },
  );
}

/** msgpack array/map headers (spec: fixarray/array16/array32, fixmap/map16/map32). */
function header(kind: 'array' | 'map', length: number): Uint8Array {
  const [fix, b16, b32] = kind === 'array' ? [0x90, 0xdc, 0xdd] : [0x80, 0xde, 0xdf];
  if (length < 16) return Uint8Array.of(fix + length);
  if (length < 0x10000) return Uint8Array.of(b16, length >> 8, length & 0xff);
  const out = new Uint8Array(5);
  out[0] = b32;
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

/**
 * `[string table, traces]`, each span a 12-element array (agent decoder_v05.go field order) whose
 * meta and metrics maps have integer keys. @msgpack/msgpack only writes string keys, so the
 * containers are assembled here and the scalars encoded by the library.
 */
export function encodeV05(traces: DdSpan[][]): Uint8Array {
  const table: string[] = [''];
  const index = (s: string) => {
    const at = table.indexOf(s);
    if (at >= 0) return at;
    table.push(s);
    return table.length - 1;
  };
  const scalar = (value: unknown) => encode(value, { useBigInt64: true });
  const body: Uint8Array[] = [header('array', traces.length)];
  for (const chunk of traces) {
    body.push(header('array', chunk.length));
    for (const s of chunk) {
      body.push(header('array', 12));
      for (const value of [index(s.service), index(s.name), index(s.resource)]) body.push(scalar(value));
      for (const value of [s.trace_id, s.span_id, s.parent_id, s.start, s.duration]) body.push(scalar(compact(value)));
      body.push(scalar(s.error));
      const meta = Object.entries(s.meta);
      body.push(header('map', meta.length));
      for (const [k, v] of meta) body.push(scalar(index(k)), scalar(index(v)));
      const metrics = Object.entries(s.metrics);
      body.push(header('map', metrics.length));
      for (const [k, v] of metrics) body.push(scalar(index(k)), scalar(v));
      body.push(scalar(index(s.type)));
    }
  }
  return Buffer.concat([header('array', 2), scalar(table), ...body]);
}

export interface OtelSpanSpec {
  name: string;
  spanId: string;
  kind?: SpanKind;
  parentSpanId?: string;
  attributes?: Attributes;
  startTime: [number, number];
  endTime: [number, number];
  error?: string;
}

/** Finished spans from the OpenTelemetry JS SDK, with the ids given (16 and 32 hex digits). */
export async function otelSpans(traceId: string, resource: Attributes, specs: OtelSpanSpec[]): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  let next = 0;
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    idGenerator: {
      generateTraceId: () => traceId,
      generateSpanId: () => specs[next++]?.spanId ?? 'ffffffffffffffff',
    },
  });
  const tracer = provider.getTracer('hotspots-test', '0.1.0');
  for (const spec of specs) {
    // A parent is named by id: a remote-style parent context is all the SDK needs to link them.
    const parent =
      spec.parentSpanId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: spec.parentSpanId, traceFlags: 1 });
    const span = tracer.startSpan(
      spec.name,
      {
        kind: spec.kind ?? SpanKind.INTERNAL,
        startTime: spec.startTime,
        ...(spec.attributes ? { attributes: spec.attributes } : {}),
      },
      parent,
    );
    if (spec.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
    span.end(spec.endTime);
  }
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

export function otlpProtobuf(spans: ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('OTLP protobuf serializer returned nothing');
  return bytes;
}

export function otlpJson(spans: ReadableSpan[]): Uint8Array {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('OTLP JSON serializer returned nothing');
  return bytes;
}

/** Seconds and nanoseconds of "now minus `agoMs`", as OpenTelemetry's HrTime. */
export function hrTime(agoMs: number, extraNs = 0): [number, number] {
  const ms = Date.now() - agoMs;
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000 + extraNs];
}

export function hrTimeNs(time: [number, number]): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
