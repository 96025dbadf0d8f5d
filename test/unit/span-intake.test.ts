import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notFound } from '../../shared/platform/errors.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../../shared/platform/ports.js';
import { datadogAgentRoute } from '../../shared/spans/datadog-agent-api.js';
import { encodeSpanEnvelope, parseSpanEnvelope, type SpanEnvelope } from '../../shared/spans/envelope.js';
import { ingestTraces, rawSpansKey } from '../../shared/spans/ingest-traces.js';
import { bodyEncodingOf, datadogFormat, decodeSpanPayload, otlpFormat } from '../../shared/spans/payload.js';
import { processSpanBatch } from '../../shared/spans/process-spans.js';
import { partitionOf, spanRow, timeProblem, truncateUtf8 } from '../../shared/spans/span.js';
import { expectHotspotsError, expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

const limits = { maxSpansPerPayload: 100, maxTagsPerSpan: 64, maxStringBytes: 1000, maxDecompressedBytes: 1 << 20 };
const START = 1_700_000_000_123_456_789n;

/** In-memory fakes of the storage ports (house style: fakes of our own ports, never module mocks). */
function memoryStore(): RawPayloadStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    async put(key, bytes) {
      objects.set(key, bytes);
    },
    async get(key) {
      const bytes = objects.get(key);
      if (!bytes) throw notFound(`no ${key}`);
      return bytes;
    },
    async ping() {},
  };
}

function memoryPublisher(): EnvelopePublisher & { sent: { topic: string; key: string; value: Buffer }[] } {
  const sent: { topic: string; key: string; value: Buffer }[] = [];
  return {
    sent,
    async publish(topic, key, value) {
      sent.push({ topic, key, value });
    },
    async ping() {},
  };
}

function ingestDeps(maxBodyBytes = 1 << 20) {
  const rawStore = memoryStore();
  const publisher = memoryPublisher();
  return {
    rawStore,
    publisher,
    deps: {
      rawStore,
      publisher,
      spansTopic: 'hotspots.spans.test',
      rawBucket: 'bucket',
      limits: { ...limits, maxBodyBytes },
      now: () => new Date('2026-03-04T05:06:07.890Z'),
      newId: () => 'batch-1',
    },
  };
}

describe('ingestTraces', () => {
  it('stores the raw body and publishes an envelope naming it', async () => {
    const { deps, rawStore, publisher } = ingestDeps();
    const body = encodeV04([[ddSpan({ span_id: 1n }), ddSpan({ span_id: 2n })]]);

    const result = await ingestTraces(deps, { tenant: 't1', format: 'datadog-v0.4', encoding: 'identity', body });

    expect(result).toEqual({ batchId: 'batch-1', accepted: 2, rejected: 0, rejectionMessage: '' });
    expect(rawStore.objects.get('raw/spans/t1/2026/03/04/batch-1.msgpack')).toBe(body);
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]?.topic).toBe('hotspots.spans.test');
    expect(parseSpanEnvelope(publisher.sent[0]?.value ?? Buffer.alloc(0))).toEqual({
      v: 1,
      kind: 'spans',
      batch_id: 'batch-1',
      tenant: 't1',
      format: 'datadog-v0.4',
      encoding: 'identity',
      received_at: '2026-03-04T05:06:07.890Z',
      s3: { bucket: 'bucket', key: 'raw/spans/t1/2026/03/04/batch-1.msgpack' },
      bytes: body.length,
      spans: 2,
    });
  });

  it('stores nothing for the tracer start-up empty array', async () => {
    const { deps, rawStore, publisher } = ingestDeps();

    const result = await ingestTraces(deps, {
      tenant: 't1',
      format: 'datadog-v0.4',
      encoding: 'identity',
      body: Uint8Array.of(0x90),
    });

    expect(result.batchId).toBeNull();
    expect(rawStore.objects.size + publisher.sent.length).toBe(0);
  });

  it('stores nothing when the body is refused', async () => {
    const { deps, rawStore, publisher } = ingestDeps();
    const body = encodeV04([[ddSpan(), ddSpan({ span_id: 0n })]]);

    await expectHotspotsErrorAsync(
      () => ingestTraces(deps, { tenant: 't1', format: 'datadog-v0.4', encoding: 'identity', body }),
      { status: 400 },
    );

    expect(rawStore.objects.size + publisher.sent.length).toBe(0);
  });

  it('refuses a body above the byte limit with 413 before decoding it', async () => {
    const { deps } = ingestDeps(1024);

    await expectHotspotsErrorAsync(
      () => ingestTraces(deps, { tenant: 't1', format: 'otlp-json', encoding: 'identity', body: new Uint8Array(1025) }),
      { status: 413, message: 'request body is 1025 bytes, above the limit of 1024' },
    );
  });

  it('refuses an empty msgpack body', async () => {
    const { deps } = ingestDeps();

    await expectHotspotsErrorAsync(
      () => ingestTraces(deps, { tenant: 't1', format: 'datadog-v0.4', encoding: 'identity', body: new Uint8Array(0) }),
      { status: 400, message: 'request body is empty' },
    );
  });
});

describe('processSpanBatch', () => {
  it('inserts one block per month partition', async () => {
    const store = memoryStore();
    const inserts: { table: string; rows: readonly object[] }[] = [];
    const db: SqlDatabase = {
      async query() {
        return [];
      },
      async insert(table, rows) {
        inserts.push({ table, rows });
      },
      async insertRowBinary() {
        throw new Error('spans are inserted as JSON rows');
      },
      async command() {},
      async ping() {},
    };
    const month = 31n * 24n * 3600n * 1_000_000_000n;
    const spans = Array.from({ length: 6 }, (_, i) =>
      ddSpan({ span_id: BigInt(i + 1), start: START + BigInt(i % 3) * month }),
    );
    const body = encodeV04([spans]);
    await store.put('k', body, 'application/msgpack');
    const envelope: SpanEnvelope = {
      v: 1,
      kind: 'spans',
      batch_id: 'b',
      tenant: 't1',
      format: 'datadog-v0.4',
      encoding: 'identity',
      received_at: '2026-01-01T00:00:00.000Z',
      s3: { bucket: 'bucket', key: 'k' },
      bytes: body.length,
      spans: 6,
    };

    const count = await processSpanBatch(
      { rawStore: store, db, logger: silentLogger(), limits, deadLetterPrefix: 'dl/' },
      envelope,
    );

    expect(count).toBe(6);
    expect(inserts).toHaveLength(3);
    for (const insert of inserts) {
      expect(new Set(insert.rows.map((row) => partitionOf(row as ReturnType<typeof spanRow>))).size).toBe(1);
    }
  });
});

function silentLogger() {
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child: () => logger,
  };
  return logger;
}

describe('spanRow', () => {
  it('writes 64-bit values as decimal strings and the start second', () => {
    const [span] = decodeSpanPayload(
      encodeV04([[ddSpan({ span_id: 2n ** 64n - 1n, parent_id: 2n ** 63n, start: START })]]),
      'datadog-v0.4',
      'identity',
      limits,
    ).spans;
    if (!span) throw new Error('no span decoded');

    const row = spanRow('t1', span, 'datadog-v0.4', 5n);

    expect(row).toMatchObject({
      tenant: 't1',
      span_id: '18446744073709551615',
      parent_id: '9223372036854775808',
      start: 1_700_000_000,
      start_ns: '1700000000123456789',
      duration_ns: '25000000',
      env: 'prod',
      version: '1.2.3',
      runtime_id: 'rt-1',
      meta_keys: ['env', 'version', 'runtime-id'],
      meta_values: ['prod', '1.2.3', 'rt-1'],
      metric_keys: ['_sampling_priority_v1'],
      metric_values: [1],
      source: 'datadog-v0.4',
      ingested_ns: '5',
    });
  });
});

describe('truncateUtf8', () => {
  it('never exceeds the limit, never splits a character, and keeps a prefix (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 0, max: 400 }), (text, max) => {
        const cut = truncateUtf8(text, max);
        const bytes = Buffer.byteLength(cut, 'utf8');
        expect(bytes).toBeLessThanOrEqual(max);
        // Decoding the kept bytes gives back the same string: no character was cut in half.
        expect(Buffer.from(text, 'utf8').subarray(0, bytes).equals(Buffer.from(cut, 'utf8'))).toBe(true);
        if (Buffer.byteLength(text, 'utf8') <= max) expect(cut).toBe(text);
      }),
    );
  });
});

describe('timeProblem', () => {
  it('accepts a span of today', () => {
    expect(timeProblem(START, 1n)).toBeUndefined();
  });

  it('refuses a start past what ClickHouse DateTime holds', () => {
    expect(timeProblem(4_294_967_296n * 1_000_000_000n, 0n)).toMatch(/outside/);
  });
});

describe('content types and encodings', () => {
  it('accepts msgpack on the Datadog routes', () => {
    expect(datadogFormat('v0.5', 'application/msgpack; charset=binary')).toBe('datadog-v0.5');
  });

  it('refuses JSON on the Datadog routes with 415', () => {
    expectHotspotsError(() => datadogFormat('v0.4', 'application/json'), {
      status: 415,
      message: 'content type application/json is not accepted on /v0.4/traces: send msgpack as application/msgpack',
    });
  });

  it('picks the OTLP encoding from the content type', () => {
    expect([otlpFormat('application/x-protobuf'), otlpFormat('application/json; charset=utf-8')]).toEqual([
      'otlp-protobuf',
      'otlp-json',
    ]);
  });

  it('refuses other content types on /v1/traces with 415', () => {
    expectHotspotsError(() => otlpFormat(undefined), { status: 415 });
  });

  it('refuses content encodings other than gzip', () => {
    expectHotspotsError(() => bodyEncodingOf('br'), { status: 415 });
  });

  it('decodes a gzip body', () => {
    const body = gzipSync(encodeV04([[ddSpan()]]));

    expect(decodeSpanPayload(body, 'datadog-v0.4', 'gzip', limits).spans).toHaveLength(1);
  });

  it('refuses a body declared gzip that is not', () => {
    expectHotspotsError(() => decodeSpanPayload(Uint8Array.of(0x90), 'datadog-v0.4', 'gzip', limits), { status: 400 });
  });

  it('refuses a gzip bomb as payload_too_large (413), like a body over the limit', () => {
    const bomb = gzipSync(Buffer.alloc(4 << 20));

    const error = expectHotspotsError(() => decodeSpanPayload(bomb, 'datadog-v0.4', 'gzip', limits));

    expect(error.status).toBe(413);
  });

  it('stops a gzip bomb at the decompression limit', () => {
    const bomb = gzipSync(Buffer.alloc(4 << 20));

    expectHotspotsError(() => decodeSpanPayload(bomb, 'otlp-json', 'gzip', limits), { message: /exceeds the limit/ });
  });

  it('names raw objects by tenant, day, batch and format', () => {
    expect(rawSpansKey('t1', new Date('2026-12-31T23:59:59Z'), 'b', 'otlp-protobuf', 'gzip')).toBe(
      'raw/spans/t1/2026/12/31/b.otlp.pb.gz',
    );
  });
});

describe('span envelope', () => {
  const envelope: SpanEnvelope = {
    v: 1,
    kind: 'spans',
    batch_id: 'b',
    tenant: 't',
    format: 'otlp-json',
    encoding: 'gzip',
    received_at: '2026-01-01T00:00:00.000Z',
    s3: { bucket: 'x', key: 'y' },
    bytes: 3,
    spans: 1,
  };

  it('round-trips', () => {
    expect(parseSpanEnvelope(encodeSpanEnvelope(envelope))).toEqual(envelope);
  });

  it('refuses an unknown format as unprocessable', () => {
    expectHotspotsError(() => parseSpanEnvelope(Buffer.from(JSON.stringify({ ...envelope, format: 'zipkin' }))), {
      status: 422,
      message: 'span envelope field format must be a span format',
    });
  });

  it('refuses a profile envelope', () => {
    expectHotspotsError(() => parseSpanEnvelope(Buffer.from(JSON.stringify({ ...envelope, kind: 'profile' }))), {
      status: 422,
    });
  });
});

describe('datadogAgentRoute', () => {
  it('strips the key prefix', () => {
    expect(datadogAgentRoute('/k/some-key/v0.5/traces')).toEqual({ kind: 'traces', version: 'v0.5' });
  });

  it('routes any telemetry path', () => {
    expect(datadogAgentRoute('/telemetry/proxy/api/v2/apmtelemetry')).toEqual({ kind: 'telemetry' });
  });

  it('names the calls for features Hotspots lacks: remote configuration unsupported, the others discarded', () => {
    expect(datadogAgentRoute('/v0.7/config')).toEqual({ kind: 'unsupported', feature: 'remote configuration' });
    expect(datadogAgentRoute('/k/some-key/v0.7/config')).toMatchObject({ kind: 'unsupported' });
    for (const path of ['/dogstatsd/v2/proxy', '/v0.6/stats', '/debugger/v1/input', '/k/x/debugger/v2/input']) {
      expect(datadogAgentRoute(path).kind, path).toBe('discarded');
    }
  });

  it('answers 404 for other paths', () => {
    for (const path of ['/v0.1/pipeline_stats', '/v0.7/config/x', '/debugger/v3/input', '/dogstatsd/v1/proxy']) {
      expectHotspotsError(() => datadogAgentRoute(path), { status: 404 });
    }
  });
});

describe('offline binary bodies plugin', () => {
  const plugin = createRequire(import.meta.url)('../../infra/serverless/offline-binary-bodies.cjs') as {
    isText(contentType: string): boolean;
    markBinary(req: { headers: Record<string, string | undefined> }): void;
    joinRepeatedHeaders(req: { rawHeaders: string[] }): void;
    markMissingContentType(req: { headers: Record<string, string | undefined>; rawHeaders: string[] }): void;
    withoutInventedContentType(event: { headers: Record<string, string> }): { headers: Record<string, string> };
  };

  it('marks msgpack and protobuf bodies binary for serverless offline', () => {
    const msgpack = { headers: { 'content-type': 'application/msgpack' } };
    const protobuf = { headers: { 'content-type': 'application/x-protobuf' } };

    plugin.markBinary(msgpack);
    plugin.markBinary(protobuf);

    expect([msgpack.headers['content-type'], protobuf.headers['content-type']]).toEqual([
      'application/octet-stream',
      'application/octet-stream',
    ]);
  });

  it('leaves multipart content types as they are, since serverless offline already passes them as bytes', () => {
    const multipart = { headers: { 'content-type': 'multipart/form-data; boundary=abc' } };

    plugin.markBinary(multipart);

    expect(multipart.headers['content-type']).toBe('multipart/form-data; boundary=abc');
  });

  it('marks a JSON body with a Content-Encoding binary, since compressed bytes are not text', () => {
    const gzipJson = { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } };
    const plainJson = { headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } };

    plugin.markBinary(gzipJson);
    plugin.markBinary(plainJson);

    expect([gzipJson.headers['content-type'], plainJson.headers['content-type']]).toEqual([
      'application/octet-stream',
      'application/json',
    ]);
  });

  it('joins repeated headers with commas as API Gateway does, keeping their order and cookies apart', () => {
    const req = {
      rawHeaders: [
        'Content-Type',
        'application/json',
        'Authorization',
        'Bearer k',
        'content-type',
        'application/octet-stream',
        'Cookie',
        'a=1',
        'Cookie',
        'b=2',
      ],
    };

    plugin.joinRepeatedHeaders(req);

    expect(req.rawHeaders).toEqual([
      'Content-Type',
      'application/json,application/octet-stream',
      'Authorization',
      'Bearer k',
      'Cookie',
      'a=1',
      'Cookie',
      'b=2',
    ]);
  });

  it('marks form-urlencoded bodies (curl --data-binary without -H) and bodies without a type binary, as API Gateway passes them', () => {
    const form = { headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const none: { headers: Record<string, string | undefined> } = { headers: {} };

    plugin.markBinary(form);
    plugin.markBinary(none);

    expect([form.headers['content-type'], none.headers['content-type']]).toEqual([
      'application/octet-stream',
      'application/octet-stream',
    ]);
  });

  it('keeps a missing Content-Type missing in the event, where serverless offline writes application/json', () => {
    const req = { headers: {}, rawHeaders: ['Host', 'localhost'] };
    plugin.markMissingContentType(req);
    const event = { headers: Object.fromEntries([req.rawHeaders.slice(0, 2), req.rawHeaders.slice(2)]) };
    event.headers['content-type'] = 'application/json';

    expect(plugin.withoutInventedContentType(event).headers).toEqual({ Host: 'localhost' });
  });

  it('leaves the Content-Type of a request that has one', () => {
    const req = {
      headers: { 'content-type': 'application/x-protobuf' },
      rawHeaders: ['Content-Type', 'application/x-protobuf'],
    };
    plugin.markMissingContentType(req);
    const event = { headers: { 'content-type': 'application/x-protobuf' } };

    expect([req.rawHeaders, plugin.withoutInventedContentType(event).headers]).toEqual([
      ['Content-Type', 'application/x-protobuf'],
      { 'content-type': 'application/x-protobuf' },
    ]);
  });

  it('leaves text bodies as text', () => {
    expect(['application/json; charset=utf-8', 'text/plain', 'application/vnd.api+json'].map(plugin.isText)).toEqual([
      true,
      true,
      true,
    ]);
  });
});
