import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decodeOtlpTraces, encodeOtlpResponse, type OtlpEncoding } from '../../shared/spans/otlp.js';
import type { SpanLimits } from '../../shared/spans/span.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { type OtelSpanSpec, otelSpans, otlpJson, otlpProtobuf } from '../support/trace-payloads.js';

const limits: SpanLimits = { maxSpansPerPayload: 1000, maxTagsPerSpan: 64, maxStringBytes: 1000 };
const TRACE = 'f00000000000000000000000000000a1';
const resource = { 'service.name': 'checkout', 'deployment.environment.name': 'prod', 'service.version': '2.0.1' };
const root: OtelSpanSpec = {
  name: 'GET /users/:id',
  spanId: 'ffffffffffffff01',
  kind: SpanKind.SERVER,
  startTime: [1_700_000_000, 123_456_789],
  endTime: [1_700_000_000, 223_456_790],
  attributes: { 'http.response.status_code': 200, 'http.route': '/users/:id', cached: false, ratio: 0.25 },
};
const child: OtelSpanSpec = {
  name: 'SELECT users',
  spanId: '8000000000000002',
  parentSpanId: 'ffffffffffffff01',
  kind: SpanKind.CLIENT,
  startTime: [1_700_000_000, 130_000_000],
  endTime: [1_700_000_000, 150_000_000],
  attributes: { 'db.system.name': 'postgresql', tags: ['a', 'b'] },
  error: 'timeout',
};

const encodings: [OtlpEncoding, (spans: Awaited<ReturnType<typeof otelSpans>>) => Uint8Array][] = [
  ['protobuf', otlpProtobuf],
  ['json', otlpJson],
];

/** A minimal OTLP/JSON request with the given spans under one resource and scope. */
function jsonRequest(spans: unknown[], resourceAttributes: unknown[] = []): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 's' }, spans }] }],
    }),
  );
}

const validJsonSpan = {
  traceId: TRACE,
  spanId: '00000000000000aa',
  name: 'work',
  kind: 1,
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000000000001000',
};

describe.each(encodings)('decodeOtlpTraces from the OpenTelemetry JS %s serializer', (encoding, serialize) => {
  it('keeps the ids, nanosecond times and names exactly', async () => {
    const bytes = serialize(await otelSpans(TRACE, resource, [root, child]));

    const { spans, rejected } = decodeOtlpTraces(bytes, encoding, limits);

    expect(rejected).toBe(0);
    expect(
      spans.map((s) => ({ t: s.traceId, id: s.spanId, p: s.parentId, start: s.startNs, d: s.durationNs, n: s.name })),
    ).toEqual([
      {
        t: TRACE,
        id: 18_446_744_073_709_551_361n,
        p: 0n,
        start: 1_700_000_000_123_456_789n,
        d: 100_000_001n,
        n: root.name,
      },
      {
        t: TRACE,
        id: 9_223_372_036_854_775_810n,
        p: 18_446_744_073_709_551_361n,
        start: 1_700_000_000_130_000_000n,
        d: 20_000_000n,
        n: child.name,
      },
    ]);
  });

  it('maps the resource and status onto the Datadog-shaped fields', async () => {
    const bytes = serialize(await otelSpans(TRACE, resource, [root, child]));

    const [server, client] = decodeOtlpTraces(bytes, encoding, limits).spans;

    expect(server).toMatchObject({ service: 'checkout', env: 'prod', version: '2.0.1', type: 'web', error: 0 });
    expect(server?.resource).toBe('GET /users/:id');
    expect(client).toMatchObject({ type: 'db', error: 1 });
    expect(client?.meta.get('otel.status_description')).toBe('timeout');
  });

  it('puts numbers in metrics and strings, booleans and arrays in meta', async () => {
    const bytes = serialize(await otelSpans(TRACE, resource, [root, child]));

    const [server, client] = decodeOtlpTraces(bytes, encoding, limits).spans;

    expect(server?.metrics).toEqual(
      new Map([
        ['http.response.status_code', 200],
        ['ratio', 0.25],
      ]),
    );
    expect(server?.meta.get('cached')).toBe('false');
    expect(server?.meta.get('span.kind')).toBe('server');
    expect(server?.meta.get('otel.scope.name')).toBe('hotspots-test');
    expect(client?.meta.get('tags')).toBe('["a","b"]');
  });
});

describe('decodeOtlpTraces', () => {
  it('refuses the bad span and keeps the others (partial success)', () => {
    const bytes = jsonRequest([validJsonSpan, { ...validJsonSpan, spanId: 'xyz' }, { ...validJsonSpan, spanId: '00' }]);

    const decoded = decodeOtlpTraces(bytes, 'json', limits);

    expect(decoded.spans.map((s) => s.spanId)).toEqual([170n]);
    expect(decoded.rejected).toBe(2);
    expect(decoded.rejectionMessage).toBe(
      '2 of 3 spans refused: span 1: spanId must be 8 bytes of hex; span 2: spanId must be 8 bytes (16 hex digits)',
    );
  });

  it('refuses a span whose end precedes its start', () => {
    const bytes = jsonRequest([{ ...validJsonSpan, endTimeUnixNano: '1699999999999999999' }]);

    expect(decodeOtlpTraces(bytes, 'json', limits).rejectionMessage).toMatch(/endTimeUnixNano is before/);
  });

  it('refuses an all-zero trace id', () => {
    const bytes = jsonRequest([{ ...validJsonSpan, traceId: '0'.repeat(32) }]);

    expect(decodeOtlpTraces(bytes, 'json', limits).rejected).toBe(1);
  });

  it('refuses a span with more tags than the limit, counting its resource’s', () => {
    const attrs = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: { stringValue: 'v' } }));
    const bytes = jsonRequest([{ ...validJsonSpan, attributes: attrs(3, 's') }], attrs(2, 'r'));

    const decoded = decodeOtlpTraces(bytes, 'json', { ...limits, maxTagsPerSpan: 5 });

    // 2 resource + 3 span attributes + scope name + span.kind = 7 tags.
    expect(decoded.rejectionMessage).toMatch(/span has 7 tags with its resource's, above the limit of 5/);
  });

  it('reads enum names, snake_case fields and bare JSON numbers', () => {
    const span = {
      trace_id: TRACE,
      span_id: '00000000000000bb',
      name: 'x',
      kind: 'SPAN_KIND_SERVER',
      start_time_unix_nano: 1_700_000_000_000_000_000,
      end_time_unix_nano: 1_700_000_000_000_000_000,
      status: { code: 'STATUS_CODE_ERROR' },
    };

    const [decoded] = decodeOtlpTraces(jsonRequest([span]), 'json', limits).spans;

    expect(decoded).toMatchObject({ spanId: 187n, type: 'web', error: 1, startNs: 1_700_000_000_000_000_000n });
  });

  it('keeps integers beyond 2^53 exact as meta text', () => {
    const span = { ...validJsonSpan, attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }] };

    const [decoded] = decodeOtlpTraces(jsonRequest([span]), 'json', limits).spans;

    expect(decoded?.meta.get('big')).toBe('9007199254740993');
    expect(decoded?.metrics.has('big')).toBe(false);
  });

  it('stores bytes attributes as base64 and maps as JSON', () => {
    const span = {
      ...validJsonSpan,
      attributes: [
        { key: 'raw', value: { bytesValue: 'AQID' } },
        { key: 'map', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } } },
      ],
    };

    const [decoded] = decodeOtlpTraces(jsonRequest([span]), 'json', limits).spans;

    expect(decoded?.meta.get('raw')).toBe('AQID');
    expect(decoded?.meta.get('map')).toBe('{"a":1}');
  });

  it('refuses attribute values nested deeper than the limit', () => {
    let value: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 20; i += 1) value = { arrayValue: { values: [value] } };
    const bytes = jsonRequest([{ ...validJsonSpan, attributes: [{ key: 'deep', value }] }]);

    expect(decodeOtlpTraces(bytes, 'json', limits).rejectionMessage).toMatch(/nest deeper than 16/);
  });

  it('names a missing service unknown_service, as the OpenTelemetry SDKs do', () => {
    const [decoded] = decodeOtlpTraces(jsonRequest([validJsonSpan]), 'json', limits).spans;

    expect(decoded?.service).toBe('unknown_service');
  });

  it('accepts an empty protobuf request', () => {
    expect(decodeOtlpTraces(new Uint8Array(0), 'protobuf', limits)).toEqual({
      spans: [],
      rejected: 0,
      rejectionMessage: '',
    });
  });

  it('refuses bytes that are not an ExportTraceServiceRequest', () => {
    expectHotspotsError(() => decodeOtlpTraces(Uint8Array.of(0x0a, 0xff, 0xff), 'protobuf', limits), {
      status: 400,
      message: /^body is not an OTLP ExportTraceServiceRequest/,
    });
  });

  it('refuses invalid JSON', () => {
    expectHotspotsError(() => decodeOtlpTraces(Buffer.from('{"resourceSpans":'), 'json', limits), { status: 400 });
  });

  it('refuses resourceSpans that is not an array', () => {
    expectHotspotsError(() => decodeOtlpTraces(Buffer.from('{"resourceSpans":{}}'), 'json', limits), {
      message: 'request.resourceSpans must be an array',
    });
  });

  it('refuses more spans than the limit with 413', () => {
    const spans = Array.from({ length: 4 }, () => validJsonSpan);

    expectHotspotsError(() => decodeOtlpTraces(jsonRequest(spans), 'json', { ...limits, maxSpansPerPayload: 3 }), {
      status: 413,
      message: 'request has 4 spans, above the limit of 3',
    });
  });
});

describe('encodeOtlpResponse', () => {
  it('answers full success with an empty protobuf message', () => {
    const { body, contentType } = encodeOtlpResponse(0, '', 'protobuf');

    expect(contentType).toBe('application/x-protobuf');
    expect(body.length).toBe(0);
  });

  it('writes a partial success the OpenTelemetry JS protobuf deserializer reads', () => {
    const { body } = encodeOtlpResponse(2, '2 of 5 spans refused', 'protobuf');

    const answer = ProtobufTraceSerializer.deserializeResponse(body);

    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(2);
    expect(answer.partialSuccess?.errorMessage).toBe('2 of 5 spans refused');
  });

  it('writes a partial success the OpenTelemetry JS JSON deserializer reads', () => {
    const { body, contentType } = encodeOtlpResponse(1, 'bad id', 'json');

    const answer = JsonTraceSerializer.deserializeResponse(body);

    expect(contentType).toBe('application/json');
    expect(answer.partialSuccess).toEqual({ rejectedSpans: 1, errorMessage: 'bad id' });
  });
});
