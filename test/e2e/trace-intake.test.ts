import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { testMaxBodyBytes } from '../support/global-setup.js';
import { testDeps, waitUntil } from '../support/services.js';
import {
  ddSpan,
  encodeV04,
  encodeV05,
  hrTime,
  hrTimeNs,
  otelSpans,
  otlpJson,
  otlpProtobuf,
} from '../support/trace-payloads.js';

/**
 * The trace intakes as tracers and OTLP exporters use them: HTTP through serverless offline, then
 * S3 → Kafka → the spans consumer → ClickHouse, read back the way queries read spans.
 */
const keyA = 'hotspots-test-key-a';
const keyB = 'hotspots-test-key-b';
let deps: Deps;
let s3: S3Client;

beforeAll(() => {
  deps = testDeps();
  s3 = new S3Client({
    region: deps.config.s3.region,
    forcePathStyle: deps.config.s3.forcePathStyle,
    ...(deps.config.s3.endpoint ? { endpoint: deps.config.s3.endpoint } : {}),
    ...(deps.config.s3.credentials ? { credentials: deps.config.s3.credentials } : {}),
  });
});
afterAll(async () => {
  s3.destroy();
  await deps.close();
});

interface Answer {
  status: number;
  contentType: string | null;
  bytes: Buffer;
  json(): unknown;
}

async function send(
  method: string,
  path: string,
  body: Uint8Array | undefined,
  headers: Record<string, string>,
): Promise<Answer> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, { method, headers, ...(body ? { body } : {}) });
  const bytes = Buffer.from(await answer.arrayBuffer());
  return {
    status: answer.status,
    contentType: answer.headers.get('content-type'),
    bytes,
    json: () => JSON.parse(bytes.toString('utf8')),
  };
}

const msgpack = (key = keyA) => ({ 'content-type': 'application/msgpack', 'dd-api-key': key });
const freshLow = () => BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n;
const ddTraceId = (low: bigint, high = '0000000000000000') => `${high}${low.toString(16).padStart(16, '0')}`;

/** Waits until `count` spans of the trace are readable (one row per span id, as queries read). */
async function spansOfTrace(tenant: string, traceId: string, count: number) {
  return waitUntil(`${count} spans of trace ${traceId} (tenant ${tenant}) in ClickHouse`, async () => {
    const rows = await deps.db.query<{
      span_id: string;
      parent_id: string;
      service: string;
      start_ns: string;
      error: number;
    }>(sql`
      SELECT span_id, parent_id, service, toString(start_ns) AS start_ns, error
      FROM spans WHERE tenant = ${tenant} AND trace_id = ${traceId}
      ORDER BY span_id LIMIT 1 BY span_id`);
    return rows.length === count ? rows : undefined;
  });
}

async function rawSpanObjects(tenant: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: deps.config.s3.bucket,
        Prefix: `raw/spans/${tenant}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const item of page.Contents ?? []) out.push({ key: item.Key ?? '', size: item.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

describe('Datadog agent API', () => {
  it('answers /info with the trace and profiling endpoints and client_drop_p0s false', async () => {
    const answer = await send('GET', '/info', undefined, {});

    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      endpoints: [
        '/v0.4/traces',
        '/v0.5/traces',
        '/profiling/v1/input',
        '/telemetry/proxy/',
        '/debugger/v1/input',
        '/debugger/v2/input',
        '/debugger/v1/diagnostics',
      ],
      client_drop_p0s: false,
    });
  });

  it('answers remote configuration polls with 404, as an agent without it, and does not advertise it or stats', async () => {
    for (const [method, path] of [
      ['POST', '/v0.7/config'],
      ['GET', '/v0.7/config'],
      ['POST', `/k/${keyA}/v0.7/config`],
    ] as const) {
      const answer = await send(method, path, method === 'GET' ? undefined : Buffer.from('{"client":{}}'), {
        'content-type': 'application/json',
      });
      expect([answer.status, answer.json()], path).toMatchObject([404, { error: { code: 'not_found' } }]);
    }
    const info = (await send('GET', '/info', undefined, {})).json() as { endpoints: string[] };
    expect(info.endpoints.filter((e) => /config|stats|dogstatsd/.test(e))).toEqual([]);
  });

  it('accepts and drops DogStatsD, stats and debugger uploads with 202, without a key', async () => {
    for (const [method, path] of [
      ['POST', '/dogstatsd/v2/proxy'],
      ['PUT', '/v0.6/stats'],
      ['POST', '/v0.6/stats'],
      ['POST', '/debugger/v1/input'],
      ['POST', '/debugger/v2/input'],
      ['POST', '/debugger/v1/diagnostics'],
      ['POST', `/k/${keyA}/dogstatsd/v2/proxy`],
    ] as const) {
      const answer = await send(method, path, Buffer.from('runtime.node.heap:1|g'), { 'content-type': 'text/plain' });
      expect(answer.status, `${method} ${path}`).toBe(202);
    }
  });

  it('answers /info under the key prefix too', async () => {
    expect((await send('GET', `/k/${keyA}/info`, undefined, {})).status).toBe(200);
  });

  it('accepts and ignores telemetry with 202', async () => {
    const answer = await send(
      'POST',
      '/telemetry/proxy/api/v2/apmtelemetry',
      Buffer.from('{"request_type":"app-started"}'),
      {
        'content-type': 'application/json',
      },
    );

    expect(answer.status).toBe(202);
  });

  it('stores a v0.4 payload byte for byte and writes its spans with exact ids beyond 2^63', async () => {
    const low = freshLow();
    const root = ddSpan({ trace_id: low, span_id: 2n ** 64n - 2n, meta: { '_dd.p.tid': '6650a3be00000000' } });
    const child = ddSpan({ trace_id: low, span_id: 2n ** 63n + 5n, parent_id: 2n ** 64n - 2n, error: 1 });
    const body = encodeV04([[root, child]]);

    const answer = await send('PUT', '/v0.4/traces', body, { ...msgpack(), 'x-datadog-trace-count': '1' });

    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ rate_by_service: { 'service:,env:': 1 } });
    const rows = await spansOfTrace('test-a', ddTraceId(low, '6650a3be00000000'), 2);
    expect(rows.map((r) => [r.span_id, r.parent_id, r.start_ns, r.error])).toEqual([
      ['9223372036854775813', '18446744073709551614', child.start.toString(), 1],
      ['18446744073709551614', '0', root.start.toString(), 0],
    ]);
    // The stored object is the request body unchanged (serverless offline must not text-decode it).
    const candidates = (await rawSpanObjects('test-a')).filter(
      (o) => o.size === body.length && o.key.endsWith('.msgpack'),
    );
    const contents = await Promise.all(
      candidates.map(async (o) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: deps.config.s3.bucket, Key: o.key }));
        return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      }),
    );
    expect(contents.some((c) => c.equals(Buffer.from(body)))).toBe(true);
  });

  it('writes a v0.5 payload sent with POST', async () => {
    const low = freshLow();
    const body = encodeV05([
      [ddSpan({ trace_id: low, span_id: 11n }), ddSpan({ trace_id: low, span_id: 12n, parent_id: 11n })],
    ]);

    const answer = await send('POST', '/v0.5/traces', body, msgpack());

    expect(answer.status).toBe(200);
    expect((await spansOfTrace('test-a', ddTraceId(low), 2)).map((r) => r.span_id)).toEqual(['11', '12']);
  });

  it('files spans under the tenant of a key given in the URL path, with no auth header', async () => {
    const low = freshLow();

    const answer = await send('PUT', `/k/${keyB}/v0.4/traces`, encodeV04([[ddSpan({ trace_id: low })]]), {
      'content-type': 'application/msgpack',
    });

    expect(answer.status).toBe(200);
    expect(await spansOfTrace('test-b', ddTraceId(low), 1)).toHaveLength(1);
  });

  it('answers the tracer start-up empty array with 200 and stores nothing', async () => {
    const before = (await rawSpanObjects('test-b')).length;

    const answer = await send('PUT', `/k/${keyB}/v0.4/traces`, Uint8Array.of(0x90), {
      'content-type': 'application/msgpack',
    });

    expect(answer.status).toBe(200);
    expect((await rawSpanObjects('test-b')).length).toBe(before);
  });

  it('refuses traces without a key with 401', async () => {
    const answer = await send('PUT', '/v0.4/traces', encodeV04([[ddSpan()]]), {
      'content-type': 'application/msgpack',
    });

    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses an unknown key in the path with 401', async () => {
    const answer = await send('PUT', '/k/not-a-real-key/v0.4/traces', encodeV04([[ddSpan()]]), {
      'content-type': 'application/msgpack',
    });

    expect(answer.status).toBe(401);
  });

  it('refuses JSON traces with 415', async () => {
    const answer = await send('PUT', '/v0.4/traces', Buffer.from('[]'), {
      'content-type': 'application/json',
      'dd-api-key': keyA,
    });

    expect(answer.status).toBe(415);
    expect(answer.json()).toEqual({
      error: {
        code: 'unsupported_media_type',
        message: 'content type application/json is not accepted on /v0.4/traces: send msgpack as application/msgpack',
      },
    });
  });

  it('refuses bytes that are not msgpack with 400 and the reason', async () => {
    const answer = await send('PUT', '/v0.4/traces', Uint8Array.of(0x91, 0xc1), msgpack());

    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({
      error: { code: 'bad_request', message: expect.stringMatching(/not valid msgpack/) },
    });
  });

  it('refuses a wrongly typed field with 400 naming it', async () => {
    const low = freshLow();
    const body = encodeV04([
      [ddSpan({ trace_id: low }), { ...ddSpan({ trace_id: low }), service: 7 as unknown as string }],
    ]);

    const answer = await send('PUT', '/v0.4/traces', body, msgpack());

    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({
      error: { code: 'bad_request', message: 'trace 0 span 1.service must be a string, got integer 7' },
    });
  });

  it('refuses a body above the limit with 413', async () => {
    const answer = await send('PUT', '/v0.4/traces', new Uint8Array(testMaxBodyBytes + 1), msgpack());

    expect(answer.status).toBe(413);
  });
});

describe('OTLP/HTTP /v1/traces', () => {
  const bearer = { authorization: `Bearer ${keyA}` };

  it('stores protobuf spans and answers with an empty ExportTraceServiceResponse', async () => {
    const traceId = randomBytes(16).toString('hex');
    const start = hrTime(4000, 321);
    const spans = await otelSpans(traceId, { 'service.name': 'otlp-e2e' }, [
      { name: 'GET /a', spanId: 'ffffffffffffff01', kind: SpanKind.SERVER, startTime: start, endTime: hrTime(3000) },
      {
        name: 'child',
        spanId: '0000000000000042',
        parentSpanId: 'ffffffffffffff01',
        startTime: start,
        endTime: hrTime(3500),
      },
    ]);

    const answer = await send('POST', '/v1/traces', otlpProtobuf(spans), {
      ...bearer,
      'content-type': 'application/x-protobuf',
    });

    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/x-protobuf/);
    expect(ProtobufTraceSerializer.deserializeResponse(answer.bytes).partialSuccess).toBeUndefined();
    const rows = await spansOfTrace('test-a', traceId, 2);
    expect(rows).toEqual([
      {
        span_id: '66',
        parent_id: '18446744073709551361',
        service: 'otlp-e2e',
        start_ns: hrTimeNs(start).toString(),
        error: 0,
      },
      {
        span_id: '18446744073709551361',
        parent_id: '0',
        service: 'otlp-e2e',
        start_ns: hrTimeNs(start).toString(),
        error: 0,
      },
    ]);
  });

  it('accepts a gzip-encoded protobuf request', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spans = await otelSpans(traceId, { 'service.name': 'otlp-gzip' }, [
      { name: 'op', spanId: '00000000000000aa', startTime: hrTime(2000), endTime: hrTime(1000) },
    ]);

    const answer = await send('POST', `/k/${keyA}/v1/traces`, gzipSync(otlpProtobuf(spans)), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });

    expect(answer.status).toBe(200);
    expect(await spansOfTrace('test-a', traceId, 1)).toHaveLength(1);
  });

  it('accepts a gzip-encoded JSON request', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spans = await otelSpans(traceId, { 'service.name': 'otlp-json-gzip' }, [
      { name: 'op', spanId: '00000000000000ab', startTime: hrTime(2000), endTime: hrTime(1000) },
    ]);

    const answer = await send('POST', '/v1/traces', gzipSync(otlpJson(spans)), {
      ...bearer,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });

    expect([answer.status, answer.json()]).toEqual([200, {}]);
    expect(await spansOfTrace('test-a', traceId, 1)).toHaveLength(1);
  });

  it('stores JSON spans and answers {}', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spans = await otelSpans(traceId, { 'service.name': 'otlp-json' }, [
      { name: 'op', spanId: '00000000000000bb', startTime: hrTime(2000), endTime: hrTime(1000), error: 'boom' },
    ]);

    const answer = await send('POST', '/v1/traces', otlpJson(spans), { ...bearer, 'content-type': 'application/json' });

    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({});
    expect((await spansOfTrace('test-a', traceId, 1))[0]).toMatchObject({ span_id: '187', error: 1 });
  });

  it('answers a partial success naming the refused span and stores the good one', async () => {
    const traceId = randomBytes(16).toString('hex');
    const good = {
      traceId,
      spanId: '00000000000000cc',
      name: 'good',
      startTimeUnixNano: hrTimeNs(hrTime(2000)).toString(),
      endTimeUnixNano: hrTimeNs(hrTime(1000)).toString(),
    };
    const body = Buffer.from(
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [good, { ...good, spanId: 'not-hex' }] }] }] }),
    );

    const answer = await send('POST', '/v1/traces', body, { ...bearer, 'content-type': 'application/json' });

    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: '1 of 2 spans refused: span 1: spanId must be 8 bytes of hex' },
    });
    expect(await spansOfTrace('test-a', traceId, 1)).toHaveLength(1);
  });

  it('refuses bytes that are not an ExportTraceServiceRequest with 400', async () => {
    const answer = await send('POST', '/v1/traces', Uint8Array.of(0x0a, 0xff, 0xff), {
      ...bearer,
      'content-type': 'application/x-protobuf',
    });

    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it.each([
    ['/v1/traces', 'application/x-protobuf'],
    ['/v1/traces', 'application/json'],
    ['/v0.4/traces', 'application/msgpack'],
  ])('refuses a gzip bomb on %s (%s) with 413, as the docs promise', async (path, contentType) => {
    // 80 MiB of zeros in ~80 KiB: past the 64 MiB decompressed limit, well under the body limit.
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });

    const answer = await send('POST', path, bomb, {
      ...bearer,
      'content-type': contentType,
      'content-encoding': 'gzip',
    });

    expect([answer.status, answer.json()]).toEqual([
      413,
      { error: { code: 'payload_too_large', message: expect.stringContaining('exceeds the limit') } },
    ]);
  });

  it('refuses other content types with 415', async () => {
    const answer = await send('POST', '/v1/traces', Buffer.from('x'), { ...bearer, 'content-type': 'text/plain' });

    expect(answer.status).toBe(415);
  });

  it('refuses requests without a key with 401', async () => {
    const answer = await send('POST', '/v1/traces', Buffer.from('{}'), { 'content-type': 'application/json' });

    expect(answer.status).toBe(401);
  });
});

describe('real client payloads (test/fixtures/agents)', () => {
  const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents');
  const fixture = (path: string) => readFileSync(join(fixtures, path));
  const recorded = (path: string) => {
    const sidecar = JSON.parse(fixture(path).toString()) as { headers: Record<string, string> };
    const { 'content-length': _length, ...headers } = sidecar.headers;
    return headers;
  };
  const requests = (path: string) =>
    (JSON.parse(fixture(path).toString()) as { requests: { span_id: string; trace_id: string }[] }).requests;

  /** The fixtures' ids repeat on every run: wait for rows written by this run (a newer ingested_ns). */
  async function storedSince(tenant: string, spanIds: string[], sinceMs: number) {
    return waitUntil(`spans ${spanIds.join(', ')} re-ingested after ${sinceMs}`, async () => {
      const rows = await deps.db.query<{ span_id: string; trace_id: string }>(sql`
        SELECT span_id, trace_id FROM spans
        WHERE tenant = ${tenant} AND has(${spanIds.map((id) => BigInt(id))}, span_id)
          AND ingested_ns >= ${BigInt(sinceMs) * 1_000_000n}
        ORDER BY span_id LIMIT 1 BY span_id`);
      return rows.length === spanIds.length ? rows : undefined;
    });
  }

  it('stores the dd-trace-go v2.12.0 payload sent with its recorded headers', async () => {
    const expected = requests('dd-trace-go/requests.json');
    const since = Date.now() - 1000;

    const answer = await send('POST', `/k/${keyB}/v0.4/traces`, fixture('dd-trace-go/v0.4-traces.msgpack'), {
      ...recorded('dd-trace-go/v0.4-traces.json'),
    });

    expect(answer.status).toBe(200);
    const rows = await storedSince(
      'test-b',
      expected.map((r) => r.span_id),
      since,
    );
    expect(new Map(rows.map((r) => [r.span_id, r.trace_id]))).toEqual(
      new Map(expected.map((r) => [r.span_id, r.trace_id])),
    );
  });

  it('stores the OpenTelemetry Go exporter payload sent with its recorded headers', async () => {
    const expected = requests('pyroscope/requests.json');
    const since = Date.now() - 1000;

    const answer = await send('POST', `/k/${keyB}/v1/traces`, fixture('otlp/traces.pb'), recorded('otlp/traces.json'));

    expect(answer.status).toBe(200);
    const rows = await storedSince(
      'test-b',
      expected.map((r) => BigInt(`0x${r.span_id}`).toString()),
      since,
    );
    expect(rows.map((r) => r.trace_id).sort()).toEqual(expected.map((r) => r.trace_id).sort());
  });
});
