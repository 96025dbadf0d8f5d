import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  connectCodecOf,
  connectErrorResponse,
  decodeConnectRequest,
  encodeConnectResponse,
} from '../../shared/platform/connect.js';
import { badRequest, HotspotsError, internal, unauthorized } from '../../shared/platform/errors.js';
import type { HttpRequest } from '../../shared/platform/lambda-http.js';
import { createLogger } from '../../shared/platform/logger.js';
import { messageType } from '../../shared/query/pyroscope/schema.js';

const requestType = messageType('querier.v1.SelectMergeStacktracesRequest');
const responseType = messageType('querier.v1.SelectMergeStacktracesResponse');
const limits = { maxRequestBytes: 4096 };
const logger = createLogger('error', {}, () => {});

function request(body: Buffer | string, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: 'POST',
    path: '/querier.v1.QuerierService/SelectMergeStacktraces',
    headers,
    query: new URLSearchParams(),
    pathParameters: {},
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    bodyIsBinary: true,
  };
}

function refusal(run: () => unknown): HotspotsError {
  try {
    run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('Connect unary codec', () => {
  const message = {
    profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    labelSelector: '{service_name="a"}',
    start: '1700000000000',
    end: '9007199254740993',
    maxNodes: '100',
    spanSelector: ['00000000000000ff'],
    format: 'PROFILE_FORMAT_FLAMEGRAPH',
  };

  it('reads the same request from binary protobuf and from JSON, int64 as decimal strings', () => {
    const bytes = Buffer.from(requestType.encode(requestType.fromObject(message)).finish());
    const fromProto = decodeConnectRequest(requestType, request(bytes), 'proto', limits);
    const fromJson = decodeConnectRequest(requestType, request(JSON.stringify(message)), 'json', limits);
    expect(fromProto).toEqual(fromJson);
    expect(fromJson).toMatchObject({ start: '1700000000000', end: '9007199254740993', maxNodes: '100' });
  });

  it('accepts proto field names, numbers for int64 and enum numbers in JSON', () => {
    const decoded = decodeConnectRequest(
      requestType,
      request(JSON.stringify({ label_selector: '{}', start: 5, format: 1 })),
      'json',
      limits,
    );
    expect(decoded).toMatchObject({ labelSelector: '{}', start: '5', format: 'PROFILE_FORMAT_FLAMEGRAPH' });
  });

  it('reads a gzip request body', () => {
    const decoded = decodeConnectRequest(
      requestType,
      request(gzipSync(JSON.stringify(message)), { 'content-encoding': 'gzip' }),
      'json',
      limits,
    );
    expect(decoded.labelSelector).toBe(message.labelSelector);
  });

  it.each([
    [{ start: 'yesterday' }, 'request.start must be an integer'],
    [{ start: '99999999999999999999' }, 'within int64'],
    [{ spanSelector: 'x' }, 'request.spanSelector must be an array'],
    [{ spanSelector: [1] }, 'request.spanSelector[0] must be a string'],
    [{ format: 'PROFILE_FORMAT_NOPE' }, 'must be one of'],
    [{ nope: 1 }, 'not a field of SelectMergeStacktracesRequest'],
    [[1, 2], 'must be a JSON object'],
  ])('refuses JSON %j with a 400 saying why', (body, reason) => {
    const error = refusal(() => decodeConnectRequest(requestType, request(JSON.stringify(body)), 'json', limits));
    expect([error.status, error.message]).toEqual([400, expect.stringContaining(reason)]);
  });

  it('refuses bodies above the limit (also once inflated), bad gzip and bad protobuf', () => {
    expect(refusal(() => decodeConnectRequest(requestType, request(Buffer.alloc(5000)), 'json', limits)).status).toBe(
      413,
    );
    const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
    expect(
      refusal(() => decodeConnectRequest(requestType, request(bomb, { 'content-encoding': 'gzip' }), 'json', limits))
        .status,
    ).toBe(413);
    expect(
      refusal(() =>
        decodeConnectRequest(requestType, request('not gzip', { 'content-encoding': 'gzip' }), 'json', limits),
      ).message,
    ).toContain('not valid gzip');
    expect(
      refusal(() => decodeConnectRequest(requestType, request(Buffer.from([0x0a, 0x40])), 'proto', limits)).message,
    ).toContain('not a valid SelectMergeStacktracesRequest');
  });

  it('knows the Connect content types and refuses others with 415', () => {
    expect(connectCodecOf('application/proto')).toBe('proto');
    expect(connectCodecOf('application/json; charset=utf-8')).toBe('json');
    expect(refusal(() => connectCodecOf('text/plain')).status).toBe(415);
    expect(refusal(() => connectCodecOf(undefined)).status).toBe(415);
  });

  it('encodes answers in the request’s codec', () => {
    const answer = {
      message: { flamegraph: { names: ['total'], levels: [{ values: ['0', '5', '5', '0'] }], total: '5' } },
    };
    const json = encodeConnectResponse(responseType, answer, 'json');
    expect([json.statusCode, json.headers?.['content-type']]).toEqual([200, 'application/json']);
    expect(JSON.parse(String(json.body))).toEqual({
      flamegraph: { names: ['total'], levels: [{ values: ['0', '5', '5', '0'] }], total: '5' },
    });
    const proto = encodeConnectResponse(responseType, answer, 'proto');
    expect(proto.isBase64Encoded).toBe(true);
    const decoded = responseType.toObject(responseType.decode(Buffer.from(String(proto.body), 'base64')), {
      longs: String,
    });
    expect(decoded.flamegraph.total).toBe('5');
  });

  it('answers errors as Connect JSON with the status of their code, internal ones without their message', () => {
    const cases: [unknown, number, string, string][] = [
      [badRequest('bad selector'), 400, 'invalid_argument', 'bad selector'],
      [unauthorized('invalid API key'), 401, 'unauthenticated', 'invalid API key'],
      [internal('secret SQL'), 500, 'internal', 'internal error'],
      [new Error('socket'), 500, 'internal', 'internal error'],
    ];
    for (const [error, status, code, message] of cases) {
      const answer = connectErrorResponse(error, logger);
      expect([answer.statusCode, JSON.parse(String(answer.body))]).toEqual([status, { code, message }]);
    }
  });
});
