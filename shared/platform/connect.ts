import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { badRequest, httpErrorOf, payloadTooLarge, unsupportedMediaType } from './errors.js';
import type { HttpRequest, HttpResponse } from './lambda-http.js';
import type { Logger } from './logger.js';

/**
 * Connect's unary protocol over HTTP (https://connectrpc.com/docs/protocol): `POST
 * <base>/<package.Service>/<Method>` with the request message as the body, binary protobuf
 * (`application/proto`) or the protobuf JSON mapping (`application/json`: camelCase names, int64
 * as strings); the answer in the same codec with status 200, or a JSON error body
 * `{"code": "...", "message": "..."}` with the HTTP status the protocol gives that code.
 */
export type ConnectCodec = 'proto' | 'json';

export function connectCodecOf(contentType: string | undefined): ConnectCodec {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/proto' || media === 'application/protobuf' || media === 'application/x-protobuf')
    return 'proto';
  if (media === 'application/json') return 'json';
  throw unsupportedMediaType(
    `Content-Type must be application/proto or application/json (Connect unary), got ${JSON.stringify(contentType ?? '')}`,
  );
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** A JSON value as the protobuf JSON mapping allows for a scalar of `type` (a 400 otherwise). */
function checkScalar(type: string, value: unknown, path: string): void {
  const fail = (what: string) => {
    throw badRequest(`${path} must be ${what}`);
  };
  if (type === 'string') {
    if (typeof value !== 'string') fail('a string');
  } else if (type === 'bool') {
    if (typeof value !== 'boolean') fail('true or false');
  } else if (type === 'double' || type === 'float') {
    if (typeof value === 'number') return;
    if (typeof value !== 'string' || !/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|NaN|-?Infinity)$/.test(value)) fail('a number');
  } else if (INT_TYPES.has(type) || LONG_TYPES.has(type)) {
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !/^-?\d{1,20}$/.test(text)) fail('an integer (int64 as a decimal string)');
    const n = BigInt(text as string);
    const unsigned = type.startsWith('u') || type === 'fixed32' || type === 'fixed64';
    const bits = INT_TYPES.has(type) ? 32n : 64n;
    const [min, max] = unsigned ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
    if (n < min || n > max) fail(`an integer within ${type}`);
  } else if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) fail('base64 bytes');
  }
}

/**
 * Checks a JSON request against the message type before protobufjs converts it (protobufjs'
 * fromObject coerces what it does not understand rather than refusing it). Accepts the JSON name
 * (lowerCamelCase) and the proto field name; unknown fields are refused, as protojson does.
 */
function checkJson(type: protobuf.Type, value: unknown, path: string): Json {
  if (!isObject(value)) throw badRequest(`${path} must be a JSON object`);
  const out: Json = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fields[protobuf.util.camelCase(key)];
    if (!field) throw badRequest(`${path}.${key} is not a field of ${type.name}`);
    if (fieldValue === null) continue;
    const where = `${path}.${field.name}`;
    const check = (item: unknown, at: string): unknown => {
      field.resolve();
      if (field.resolvedType instanceof protobuf.Type) return checkJson(field.resolvedType, item, at);
      if (field.resolvedType instanceof protobuf.Enum) {
        const known =
          typeof item === 'string'
            ? item in field.resolvedType.values
            : Number.isInteger(item) && Object.values(field.resolvedType.values).includes(item as number);
        if (!known) throw badRequest(`${at} must be one of ${Object.keys(field.resolvedType.values).join(', ')}`);
        return item;
      }
      checkScalar(field.type, item, at);
      return item;
    };
    if (field.repeated) {
      if (!Array.isArray(fieldValue)) throw badRequest(`${where} must be an array`);
      out[field.name] = fieldValue.map((item, i) => check(item, `${where}[${i}]`));
    } else out[field.name] = check(fieldValue, where);
  }
  return out;
}

export interface ConnectLimits {
  maxRequestBytes: number;
}

function requestBytes(request: HttpRequest, limits: ConnectLimits): Buffer {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const tooBig = () => payloadTooLarge(`request body above ${limits.maxRequestBytes} bytes`);
  if (request.body.length > limits.maxRequestBytes) throw tooBig();
  if (encoding === 'identity' || encoding === '') return request.body;
  if (encoding !== 'gzip') throw unsupportedMediaType(`Content-Encoding must be gzip or identity, got ${encoding}`);
  try {
    return gunzipSync(request.body, { maxOutputLength: limits.maxRequestBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig();
    throw badRequest('request body is not valid gzip');
  }
}

/** The request message as a plain object (longs as decimal strings, enums as names). */
export function decodeConnectRequest(
  type: protobuf.Type,
  request: HttpRequest,
  codec: ConnectCodec,
  limits: ConnectLimits,
): Json {
  const bytes = requestBytes(request, limits);
  let message: protobuf.Message;
  if (codec === 'proto') {
    try {
      message = type.decode(bytes);
    } catch (error) {
      throw badRequest(`request is not a valid ${type.name} message: ${(error as Error).message}`);
    }
  } else {
    let json: unknown;
    try {
      json = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
    } catch {
      throw badRequest('request body is not valid JSON');
    }
    message = type.fromObject(checkJson(type, json, 'request'));
  }
  return type.toObject(message, { longs: String, enums: String, defaults: true, arrays: true, oneofs: false });
}

/** A response message: a plain object (int64 as decimal strings) or a message already encoded. */
export type ConnectAnswer = { message: Json } | { encoded: Uint8Array };

export function encodeConnectResponse(type: protobuf.Type, answer: ConnectAnswer, codec: ConnectCodec): HttpResponse {
  const headers = { 'content-type': `application/${codec}`, 'cache-control': 'no-store' };
  if (codec === 'proto') {
    const bytes = 'encoded' in answer ? answer.encoded : type.encode(type.fromObject(answer.message)).finish();
    return { statusCode: 200, headers, isBase64Encoded: true, body: Buffer.from(bytes).toString('base64') };
  }
  const message = 'encoded' in answer ? type.decode(answer.encoded) : type.fromObject(answer.message);
  const json = type.toObject(message, { longs: String, enums: String, bytes: String, json: true });
  return { statusCode: 200, headers, body: JSON.stringify(json) };
}

/** Connect error codes and the HTTP status the protocol pairs with each. */
const connectCodes: Record<string, { code: string; status: number }> = {
  bad_request: { code: 'invalid_argument', status: 400 },
  unprocessable: { code: 'invalid_argument', status: 400 },
  unsupported_media_type: { code: 'invalid_argument', status: 415 },
  unauthorized: { code: 'unauthenticated', status: 401 },
  forbidden: { code: 'permission_denied', status: 403 },
  not_found: { code: 'unimplemented', status: 404 },
  payload_too_large: { code: 'resource_exhausted', status: 413 },
  too_many_requests: { code: 'resource_exhausted', status: 429 },
  unavailable: { code: 'unavailable', status: 503 },
  internal: { code: 'internal', status: 500 },
};

/** The Connect error answer of any error (internal ones without their message, as everywhere). */
export function connectErrorResponse(error: unknown, logger: Logger): HttpResponse {
  const { status, code, message } = httpErrorOf(error);
  if (status >= 500) logger.error('request failed', { status, code, error: (error as Error)?.message });
  const mapped = connectCodes[code] ?? { code: 'internal', status: 500 };
  return {
    statusCode: mapped.status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(mapped.status === 503 || mapped.status === 429 ? { 'retry-after': '5' } : {}),
    },
    body: JSON.stringify({ code: mapped.code, message }),
  };
}
