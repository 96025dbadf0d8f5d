import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { badRequest, HotspotsError, unavailable } from '../../shared/platform/errors.js';
import {
  errorResponse,
  handleHttp,
  jsonResponse,
  parseHttpEvent,
  queryRecord,
} from '../../shared/platform/lambda-http.js';
import type { Logger } from '../../shared/platform/logger.js';

const RUNS = { numRuns: 200 };

/** A logger that records what it was asked to write. */
function createRecordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }> = [];
  const logger: Logger = {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
    child: () => logger,
  };
  return { logger, lines };
}

/** An API Gateway HTTP API (payload format 2.0) event, as documented by AWS. */
function httpEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/profiles',
    rawPath: '/v1/profiles',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/v1/profiles', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: 'POST /v1/profiles',
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_514_400_000,
    },
    ...overrides,
  };
}

const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? 'null') as unknown;

describe('parseHttpEvent', () => {
  it('decodes a base64 body to exactly the bytes sent', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const event = httpEvent({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true });

        expect(parseHttpEvent(event).body.equals(Buffer.from(bytes))).toBe(true);
      }),
      RUNS,
    );
  });

  it('keeps bytes that are not valid UTF-8 in a base64 body', () => {
    const bytes = Uint8Array.of(0x1f, 0x8b, 0xff, 0xfe, 0x00, 0xc3, 0x28);

    const { body } = parseHttpEvent(httpEvent({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true }));

    expect([...body]).toEqual([...bytes]);
  });

  it('encodes a text body as UTF-8', () => {
    const { body } = parseHttpEvent(httpEvent({ body: '{"a":"é"}', isBase64Encoded: false }));

    expect(body.toString('utf8')).toBe('{"a":"é"}');
  });

  it('gives an empty body when the event has none', () => {
    expect(parseHttpEvent(httpEvent()).body.length).toBe(0);
  });

  it('keeps repeated query keys', () => {
    const { query } = parseHttpEvent(httpEvent({ rawQueryString: 'endpoint=a&endpoint=b%2Cc&service=x' }));

    expect(query.getAll('endpoint')).toEqual(['a', 'b,c']);
  });

  it('decodes percent-encoded query values', () => {
    const { query } = parseHttpEvent(httpEvent({ rawQueryString: 'endpoint=GET%20%2Fcart%3Fx%3D1&tag=%F0%9F%9A%80' }));

    expect([query.get('endpoint'), query.get('tag')]).toEqual(['GET /cart?x=1', '🚀']);
  });

  it('lower-cases header names', () => {
    const { headers } = parseHttpEvent(
      httpEvent({ headers: { 'Content-Type': 'application/octet-stream', 'DD-API-KEY': 'k' } }),
    );

    expect(headers).toEqual({ 'content-type': 'application/octet-stream', 'dd-api-key': 'k' });
  });

  it('keeps header values as sent', () => {
    const { headers } = parseHttpEvent(httpEvent({ headers: { Authorization: 'Bearer MiXeD-Key' } }));

    expect(headers.authorization).toBe('Bearer MiXeD-Key');
  });

  it('refuses two Content-Type headers, which API Gateway joins with a comma, as bad_request', () => {
    const event = httpEvent({ headers: { 'content-type': 'application/json,application/octet-stream' } });

    let refusal: unknown;
    try {
      parseHttpEvent(event);
    } catch (error) {
      refusal = error;
    }

    expect(refusal).toMatchObject({ code: 'bad_request', message: expect.stringContaining('one Content-Type') });
  });

  it('keeps a comma inside a quoted parameter of the Content-Type', () => {
    const contentType = 'multipart/form-data; boundary="a,b\\",c"';

    expect(parseHttpEvent(httpEvent({ headers: { 'content-type': contentType } })).headers['content-type']).toBe(
      contentType,
    );
  });

  it('reads the method, path and path parameters', () => {
    const event = httpEvent({ rawPath: '/v1/spans/42/hotspots', pathParameters: { spanId: '42' } });

    const { method, path, pathParameters } = parseHttpEvent(event);

    expect({ method, path, pathParameters }).toEqual({
      method: 'POST',
      path: '/v1/spans/42/hotspots',
      pathParameters: { spanId: '42' },
    });
  });

  it('tolerates an event without headers or query string', () => {
    const event = httpEvent();
    const bare = { ...event, headers: undefined, rawQueryString: undefined } as unknown as APIGatewayProxyEventV2;

    const request = parseHttpEvent(bare);

    expect([request.headers, [...request.query]]).toEqual([{}, []]);
  });
});

describe('queryRecord', () => {
  it('keeps the last value of a repeated key', () => {
    expect(queryRecord(new URLSearchParams('a=1&a=2&b=3'))).toEqual({ a: '2', b: '3' });
  });
});

describe('jsonResponse', () => {
  it('writes bigints with every digit', () => {
    const response = jsonResponse(200, { total_cpu_ns: 2n ** 64n - 1n });

    expect(response.body).toBe('{"total_cpu_ns":18446744073709551615}');
  });

  it('sets a JSON content type and forbids caching', () => {
    expect(jsonResponse(200, {}).headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
  });
});

describe('errorResponse', () => {
  it('exposes a HotspotsError with its status, code and message', () => {
    const { logger } = createRecordingLogger();

    const response = errorResponse(badRequest('from must be before to'), logger);

    expect([response.statusCode, bodyOf(response)]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'from must be before to' } },
    ]);
  });

  it('answers any other error with a generic 500 internal', () => {
    const { logger } = createRecordingLogger();

    const response = errorResponse(new Error('connect ECONNREFUSED 10.0.0.7:8123 password=hunter2'), logger);

    expect([response.statusCode, bodyOf(response)]).toEqual([
      500,
      { error: { code: 'internal', message: 'internal error' } },
    ]);
  });

  it('does not leak the message of a non-Hotspots error', () => {
    const { logger } = createRecordingLogger();

    const response = errorResponse(new TypeError('secret detail'), logger);

    expect(response.body).not.toContain('secret detail');
  });

  it('answers a thrown non-error value with a generic 500', () => {
    const { logger } = createRecordingLogger();

    expect(errorResponse('boom', logger).statusCode).toBe(500);
  });

  it('asks the client to retry a 503 later', () => {
    const { logger } = createRecordingLogger();

    const response = errorResponse(unavailable('ClickHouse is down'), logger);

    expect([response.statusCode, response.headers?.['retry-after']]).toEqual([503, '5']);
  });

  it('asks the client to retry a 429 later', () => {
    const { logger } = createRecordingLogger();

    const response = errorResponse(new HotspotsError('too_many_requests', 'slow down'), logger);

    expect(response.headers?.['retry-after']).toBe('5');
  });

  it('sends no retry-after for client errors', () => {
    const { logger } = createRecordingLogger();

    expect(errorResponse(badRequest('x'), logger).headers?.['retry-after']).toBeUndefined();
  });

  it('logs server errors', () => {
    const { logger, lines } = createRecordingLogger();

    errorResponse(new Error('disk full'), logger);

    expect(lines.map(({ level, fields }) => [level, fields?.status])).toEqual([['error', 500]]);
  });

  it('does not log client errors', () => {
    const { logger, lines } = createRecordingLogger();

    errorResponse(badRequest('x'), logger);

    expect(lines).toEqual([]);
  });
});

describe('handleHttp', () => {
  it('returns what the handler returns', async () => {
    const { logger } = createRecordingLogger();

    const response = await handleHttp(httpEvent(), logger, async () => jsonResponse(202, { ok: true }));

    expect(response.statusCode).toBe(202);
  });

  it('hands the handler the parsed request', async () => {
    const { logger } = createRecordingLogger();
    const event = httpEvent({ body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true });

    const response = await handleHttp(event, logger, async (request) => jsonResponse(200, [...request.body]));

    expect(bodyOf(response)).toEqual([0, 255]);
  });

  it('answers two joined Content-Type headers with 400 before the handler runs', async () => {
    const { logger } = createRecordingLogger();
    const event = httpEvent({ headers: { 'content-type': 'text/plain, application/octet-stream' } });
    let ran = false;

    const response = await handleHttp(event, logger, async () => {
      ran = true;
      return jsonResponse(202, {});
    });

    expect([response.statusCode, ran]).toEqual([400, false]);
  });

  it('maps a thrown HotspotsError to its status', async () => {
    const { logger } = createRecordingLogger();

    const response = await handleHttp(httpEvent(), logger, async () => {
      throw new HotspotsError('unsupported_media_type', 'send application/octet-stream');
    });

    expect(response.statusCode).toBe(415);
  });

  it('maps any other thrown error to a generic 500', async () => {
    const { logger } = createRecordingLogger();

    const response = await handleHttp(httpEvent(), logger, async () => {
      throw new Error('internal detail');
    });

    expect([response.statusCode, bodyOf(response)]).toEqual([
      500,
      { error: { code: 'internal', message: 'internal error' } },
    ]);
  });
});
