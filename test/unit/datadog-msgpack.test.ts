import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { decodeDatadogTraces } from '../../shared/spans/datadog.js';
import type { SpanLimits } from '../../shared/spans/span.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { ddSpan, encodeV04, encodeV05 } from '../support/trace-payloads.js';

const limits: SpanLimits = { maxSpansPerPayload: 1000, maxTagsPerSpan: 64, maxStringBytes: 1000 };
const v04 = (bytes: Uint8Array, l: SpanLimits = limits) => decodeDatadogTraces(bytes, 'v0.4', l);
const v05 = (bytes: Uint8Array, l: SpanLimits = limits) => decodeDatadogTraces(bytes, 'v0.5', l);
const START = 1_700_000_000_123_456_789n;

describe('decodeDatadogTraces v0.4', () => {
  it('decodes every stored field of a span', () => {
    const span = ddSpan({ start: START, parent_id: 77n, error: 1 });

    const [decoded] = v04(encodeV04([[span]]));

    expect(decoded).toEqual({
      traceId: '000000000000000000000000000004d2',
      spanId: 5678n,
      parentId: 77n,
      service: 'checkout',
      name: 'http.request',
      resource: 'GET /users/{id}',
      type: 'web',
      env: 'prod',
      version: '1.2.3',
      runtimeId: 'rt-1',
      startNs: START,
      durationNs: 25_000_000n,
      error: 1,
      meta: new Map(Object.entries(span.meta)),
      metrics: new Map([['_sampling_priority_v1', 1]]),
    });
  });

  it('answers the tracer start-up empty array 0x90 with no spans', () => {
    expect(v04(new Uint8Array([0x90]))).toEqual([]);
  });

  it('keeps ids beyond 2^53 exact', () => {
    const [decoded] = v04(encodeV04([[ddSpan({ trace_id: 9_007_199_254_740_993n, span_id: 9_007_199_254_740_995n })]]));

    expect(decoded?.spanId).toBe(9_007_199_254_740_995n);
    expect(decoded?.traceId).toBe(`0000000000000000${9_007_199_254_740_993n.toString(16).padStart(16, '0')}`);
  });

  it('keeps ids beyond 2^63 exact', () => {
    const [decoded] = v04(encodeV04([[ddSpan({ span_id: 18_446_744_073_709_551_615n, parent_id: 2n ** 63n + 1n })]]));

    expect(decoded?.spanId).toBe(18_446_744_073_709_551_615n);
    expect(decoded?.parentId).toBe(9_223_372_036_854_775_809n);
  });

  it('reads signed ids as two’s complement, as the agent does for tracers without unsigned types', () => {
    const bytes = encode([[{ trace_id: 1, span_id: -1n, start: START }]], { useBigInt64: true });

    expect(v04(bytes)[0]?.spanId).toBe(18_446_744_073_709_551_615n);
  });

  it('decodes the compact integer widths tracers write (hand-assembled bytes)', () => {
    // [[{span_id: uint8 7, trace_id: uint16 0x1234, start: uint64, duration: int8 5, error: fixint 1}]]
    const hex = [
      '91',
      '91',
      '85',
      'a7',
      Buffer.from('span_id').toString('hex'),
      'cc07',
      'a8',
      Buffer.from('trace_id').toString('hex'),
      'cd1234',
      'a5',
      Buffer.from('start').toString('hex'),
      `cf${START.toString(16).padStart(16, '0')}`,
      'a8',
      Buffer.from('duration').toString('hex'),
      'd005',
      'a5',
      Buffer.from('error').toString('hex'),
      '01',
    ].join('');

    const [decoded] = v04(Buffer.from(hex, 'hex'));

    expect(decoded).toMatchObject({
      spanId: 7n,
      traceId: `${'0'.repeat(28)}1234`,
      startNs: START,
      durationNs: 5n,
      error: 1,
    });
  });

  it('takes the upper 64 trace id bits from _dd.p.tid for every span of the chunk', () => {
    const root = ddSpan({ span_id: 1n, meta: { '_dd.p.tid': '6650A3BE00000000' } });
    const child = ddSpan({ span_id: 2n, parent_id: 1n, meta: {} });

    const spans = v04(encodeV04([[root, child]]));

    expect(spans.map((s) => s.traceId)).toEqual([
      '6650a3be0000000000000000000004d2',
      '6650a3be0000000000000000000004d2',
    ]);
  });

  it('does not lend _dd.p.tid to a span of another chunk', () => {
    const root = ddSpan({ span_id: 1n, meta: { '_dd.p.tid': '6650a3be00000000' } });
    const other = ddSpan({ span_id: 2n, meta: {} });

    const spans = v04(encodeV04([[root], [other]]));

    expect(spans[1]?.traceId).toBe('000000000000000000000000000004d2');
  });

  it('ignores a malformed _dd.p.tid', () => {
    const spans = v04(encodeV04([[ddSpan({ meta: { '_dd.p.tid': 'not-hex' } })]]));

    expect(spans[0]?.traceId).toBe('000000000000000000000000000004d2');
  });

  it('reads binary strings as UTF-8', () => {
    const bytes = encode([[{ trace_id: 1, span_id: 2, start: START, service: new TextEncoder().encode('café') }]], {
      useBigInt64: true,
    });

    expect(v04(bytes)[0]?.service).toBe('café');
  });

  it('treats nil fields as empty', () => {
    const bytes = encode([[{ trace_id: 1, span_id: 2, start: START, meta: null, metrics: null, type: null }]], {
      useBigInt64: true,
    });

    expect(v04(bytes)[0]).toMatchObject({ type: '', meta: new Map(), metrics: new Map() });
  });

  it('skips fields it does not store, such as meta_struct', () => {
    const bytes = encode([[{ trace_id: 1, span_id: 2, start: START, meta_struct: { x: new Uint8Array([1]) } }]], {
      useBigInt64: true,
    });

    expect(v04(bytes)).toHaveLength(1);
  });

  it('drops non-finite metrics, which cannot be stored', () => {
    const spans = v04(
      encodeV04([[ddSpan({ metrics: { good: 1.5, bad: Number.NaN, worse: Number.POSITIVE_INFINITY } })]]),
    );

    expect(spans[0]?.metrics).toEqual(new Map([['good', 1.5]]));
  });

  it('truncates long strings without splitting a character', () => {
    const small: SpanLimits = { ...limits, maxStringBytes: 64 };
    const spans = v04(encodeV04([[ddSpan({ resource: `${'a'.repeat(63)}é and more` })]]), small);

    expect(spans[0]?.resource).toBe('a'.repeat(63));
  });

  it('refuses a body that is not msgpack', () => {
    expectHotspotsError(() => v04(new Uint8Array([0x91, 0xc1])), { status: 400 });
  });

  it('refuses trailing bytes after the payload', () => {
    expectHotspotsError(() => v04(new Uint8Array([0x90, 0x90])), { message: /not valid msgpack/ });
  });

  it('refuses a top-level map', () => {
    expectHotspotsError(() => v04(encode({ a: 1 })), { message: 'the body must be an array of traces, got a map' });
  });

  it('names the span and field of a wrongly typed id', () => {
    const bytes = encode(
      [
        [
          { trace_id: 1, span_id: 2, start: START },
          { trace_id: 1, span_id: 'x', start: START },
        ],
      ],
      {
        useBigInt64: true,
      },
    );

    expectHotspotsError(() => v04(bytes), {
      status: 400,
      message: 'trace 0 span 1.span_id must be an unsigned 64-bit integer, got a string',
    });
  });

  it('refuses a float where an integer belongs', () => {
    const bytes = encode([[{ trace_id: 1, span_id: 2, start: 1.5 }]]);

    expectHotspotsError(() => v04(bytes), { message: 'trace 0 span 0.start must be a 64-bit integer, got float 1.5' });
  });

  it('refuses a meta value that is not a string', () => {
    const bytes = encode([[{ trace_id: 1, span_id: 2, start: START, meta: { env: 3 } }]], { useBigInt64: true });

    expectHotspotsError(() => v04(bytes), { message: 'trace 0 span 0.meta.env must be a string, got integer 3' });
  });

  it('refuses a span that is not a map', () => {
    expectHotspotsError(() => v04(encode([[[1, 2]]])), { message: 'trace 0 span 0 must be a map, got an array' });
  });

  it('refuses a zero span id', () => {
    expectHotspotsError(() => v04(encodeV04([[ddSpan({ span_id: 0n })]])), {
      message: 'trace 0 span 0: span_id must not be 0',
    });
  });

  it('refuses a start before 2000', () => {
    expectHotspotsError(() => v04(encodeV04([[ddSpan({ start: 1_000n })]])), { message: /outside 2000-01-01/ });
  });

  it('refuses a negative duration', () => {
    expectHotspotsError(() => v04(encodeV04([[ddSpan({ duration: -1n })]])), { message: /negative/ });
  });

  it('refuses more spans than the limit with 413', () => {
    const spans = Array.from({ length: 4 }, (_, i) => ddSpan({ span_id: BigInt(i + 1) }));

    expectHotspotsError(
      () => v04(encodeV04([spans.slice(0, 2), spans.slice(2)]), { ...limits, maxSpansPerPayload: 3 }),
      {
        status: 413,
        message: 'payload has 4 spans, above the limit of 3',
      },
    );
  });

  it('accepts exactly the span limit', () => {
    const spans = Array.from({ length: 3 }, (_, i) => ddSpan({ span_id: BigInt(i + 1) }));

    expect(v04(encodeV04([spans]), { ...limits, maxSpansPerPayload: 3 })).toHaveLength(3);
  });

  it('refuses a span with more tags than the limit', () => {
    const meta = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v']));

    expectHotspotsError(() => v04(encodeV04([[ddSpan({ meta, metrics: {} })]]), { ...limits, maxTagsPerSpan: 4 }), {
      status: 400,
      message: 'trace 0 span 0 has 5 tags, above the limit of 4 per span',
    });
  });

  it('round-trips any uint64 ids exactly (property)', () => {
    const uint64 = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(uint64, uint64, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (traceId, spanId, parentId) => {
        const [decoded] = v04(encodeV04([[ddSpan({ trace_id: traceId, span_id: spanId, parent_id: parentId })]]));
        expect(decoded?.spanId).toBe(spanId);
        expect(decoded?.parentId).toBe(parentId);
        expect(BigInt(`0x${decoded?.traceId}`)).toBe(traceId);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but a 4xx on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          v04(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
          expect((error as HotspotsError).status).toBeGreaterThanOrEqual(400);
          expect((error as HotspotsError).status).toBeLessThan(500);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decodeDatadogTraces v0.5', () => {
  it('decodes the string-table form to the same spans as v0.4', () => {
    const traces = [
      [
        ddSpan({ span_id: 1n, start: START, meta: { env: 'staging', '_dd.p.tid': 'aaaaaaaa00000000' } }),
        ddSpan({ span_id: 2n ** 63n + 9n, parent_id: 1n, start: START + 5n, error: 1 }),
      ],
    ];

    expect(v05(encodeV05(traces))).toEqual(v04(encodeV04(traces)));
  });

  it('refuses a span that is not a 12-element array', () => {
    const bytes = encode([['', 'svc'], [[[1, 1, 1, 1, 1, 1, 1, 1, 1, {}, {}]]]]);

    expectHotspotsError(() => v05(bytes), {
      message: 'trace 0 span 0 must be an array of exactly 12 elements, got an array',
    });
  });

  it('refuses a string index outside the table', () => {
    const bytes = encode([['', 'svc'], [[[9, 1, 1, 1, 2, 0, START, 1, 0, {}, {}, 0]]]], { useBigInt64: true });

    expectHotspotsError(() => v05(bytes), {
      message: 'trace 0 span 0[0] service: string table index 9 is out of range (2 strings)',
    });
  });

  it('refuses a body that is not [string table, traces]', () => {
    expectHotspotsError(() => v05(encode([[]])), {
      message: 'a v0.5 body must be an array of [string table, traces], got an array',
    });
  });

  it('accepts an empty v0.5 payload', () => {
    expect(v05(encode([[], []]))).toEqual([]);
  });
});
