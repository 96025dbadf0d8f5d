import protobuf from 'protobufjs';
import { badRequest, payloadTooLarge } from '../platform/errors.js';
import { type DecodedSpan, type SpanLimits, timeProblem, truncateUtf8 } from './span.js';

/**
 * OTLP/HTTP traces (https://opentelemetry.io/docs/specs/otlp/#otlphttp): an
 * ExportTraceServiceRequest as binary protobuf or as OTLP/JSON, answered with an
 * ExportTraceServiceResponse in the same encoding.
 *
 * The schema below is the subset of opentelemetry-proto (collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto) that spans need, with
 * the official field numbers; fields left out (events, links, trace_state, …) are skipped on the
 * wire by protobufjs. Enums are declared as int32, which has the same varint encoding.
 *
 * A malformed request is refused whole (400). A well-formed request whose spans are partly
 * unusable (bad ids, end before start, too many attributes) keeps the good spans and reports the
 * others as a partial success, as the OTLP specification asks.
 */
const schema = `
syntax = "proto3";
package hotspots.otlp;

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
}
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
`;

const root = protobuf.parse(schema, { keepCase: true }).root;
const RequestType = root.lookupType('hotspots.otlp.ExportTraceServiceRequest');
const ResponseType = root.lookupType('hotspots.otlp.ExportTraceServiceResponse');

export type OtlpEncoding = 'protobuf' | 'json';

export interface OtlpDecoded {
  spans: DecodedSpan[];
  rejected: number;
  /** Why spans were refused (the first few reasons), for the partial success answer. */
  rejectionMessage: string;
}

/** A problem that refuses one span, not the request. */
class SpanRefused extends Error {}

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** Field by its OTLP/JSON name (lowerCamelCase) or its proto name, which protobuf decoding yields. */
function field(o: Obj, camel: string, snake: string): unknown {
  const value = o[camel];
  return value === undefined ? o[snake] : value;
}

function list(o: Obj, camel: string, snake: string, where: string, fail: (m: string) => Error): unknown[] {
  const value = field(o, camel, snake);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail(`${where}.${camel} must be an array`);
  return value;
}

const MAX_DEPTH = 16;
const NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};
const kindNames = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Enums arrive as numbers (protobuf, and OTLP/JSON as the spec asks) or as names (proto3 JSON). */
function enumValue(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') return NAMES[value] ?? -1;
  return 0;
}

/** Unsigned 64-bit from a decimal string (protobuf longs, OTLP/JSON) or a JSON number. */
function uint64(value: unknown, what: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  // A bare JSON number above 2^53 has already lost precision in JSON.parse; it is kept as sent.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  throw new SpanRefused(`${what} must be an unsigned integer`);
}

function int64Text(value: unknown): string | undefined {
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  return undefined;
}

/** Ids: bytes in protobuf, hex strings in OTLP/JSON (the OTLP exception to proto3 JSON's base64). */
function idHex(value: unknown, bytes: number, what: string): string {
  let hex: string;
  if (value instanceof Uint8Array) hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  else if (typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value)) hex = value.toLowerCase();
  else if (value === undefined || value === null) hex = '';
  else throw new SpanRefused(`${what} must be ${bytes} bytes of hex`);
  if (hex.length !== bytes * 2) throw new SpanRefused(`${what} must be ${bytes} bytes (${bytes * 2} hex digits)`);
  return hex;
}

function binary(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  throw new SpanRefused('bytesValue must be base64');
}

function double(value: unknown): number {
  if (typeof value === 'number') return value;
  // proto3 JSON spells the non-finite doubles as strings.
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new SpanRefused('doubleValue must be a number');
}

/** An AnyValue as plain JSON-able data, for arrays and maps that are stored as JSON text. */
function plain(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new SpanRefused(`attribute values nest deeper than ${MAX_DEPTH} levels`);
  if (!isObj(value)) return null;
  const stringValue = field(value, 'stringValue', 'string_value');
  if (stringValue !== undefined) {
    if (typeof stringValue !== 'string') throw new SpanRefused('stringValue must be a string');
    return stringValue;
  }
  const boolValue = field(value, 'boolValue', 'bool_value');
  if (boolValue !== undefined) {
    if (typeof boolValue !== 'boolean') throw new SpanRefused('boolValue must be a boolean');
    return boolValue;
  }
  const intValue = field(value, 'intValue', 'int_value');
  if (intValue !== undefined) {
    const textValue = int64Text(intValue);
    if (textValue === undefined) throw new SpanRefused('intValue must be a 64-bit integer');
    const n = Number(textValue);
    return Number.isSafeInteger(n) ? n : textValue;
  }
  const doubleValue = field(value, 'doubleValue', 'double_value');
  if (doubleValue !== undefined) {
    const d = double(doubleValue);
    return Number.isFinite(d) ? d : String(d);
  }
  const bytesValue = field(value, 'bytesValue', 'bytes_value');
  if (bytesValue !== undefined) return binary(bytesValue).toString('base64');
  const arrayValue = field(value, 'arrayValue', 'array_value');
  if (arrayValue !== undefined) {
    if (!isObj(arrayValue)) throw new SpanRefused('arrayValue must be an object');
    return list(arrayValue, 'values', 'values', 'arrayValue', (m) => new SpanRefused(m)).map((v) =>
      plain(v, depth + 1),
    );
  }
  const kvlistValue = field(value, 'kvlistValue', 'kvlist_value');
  if (kvlistValue !== undefined) {
    if (!isObj(kvlistValue)) throw new SpanRefused('kvlistValue must be an object');
    const out: Record<string, unknown> = {};
    for (const kv of list(kvlistValue, 'values', 'values', 'kvlistValue', (m) => new SpanRefused(m))) {
      if (!isObj(kv) || typeof kv.key !== 'string') throw new SpanRefused('kvlistValue entries need a string key');
      Object.defineProperty(out, kv.key, { value: plain(kv.value, depth + 1), enumerable: true });
    }
    return out;
  }
  return null;
}

interface Tags {
  meta: Map<string, string>;
  metrics: Map<string, number>;
}

/**
 * Attributes become Datadog-style tags: strings and booleans in meta, numbers in metrics (integers
 * beyond 2^53 stay exact as meta text), bytes as base64 and arrays/maps as JSON text in meta.
 */
function addAttributes(into: Tags, attributes: unknown[], limits: SpanLimits, where: string) {
  for (const kv of attributes) {
    if (!isObj(kv) || typeof kv.key !== 'string') throw new SpanRefused(`${where} attributes need a string key`);
    const key = truncateUtf8(kv.key, limits.maxStringBytes);
    const value = plain(kv.value, 0);
    into.meta.delete(key);
    into.metrics.delete(key);
    if (typeof value === 'number') into.metrics.set(key, value);
    else if (typeof value === 'string') into.meta.set(key, truncateUtf8(value, limits.maxStringBytes));
    else if (typeof value === 'boolean') into.meta.set(key, String(value));
    else if (value !== null) into.meta.set(key, truncateUtf8(JSON.stringify(value), limits.maxStringBytes));
  }
}

function str(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new SpanRefused(`${what} must be a string`);
  return value;
}

function spanType(kind: number, tags: Tags): string {
  if (kind === 2) return 'web';
  if (kind === 3) return tags.meta.has('db.system') || tags.meta.has('db.system.name') ? 'db' : 'http';
  if (kind === 4 || kind === 5) return 'queue';
  return 'custom';
}

function convertSpan(raw: unknown, resourceTags: Tags, scope: Obj, limits: SpanLimits): DecodedSpan {
  if (!isObj(raw)) throw new SpanRefused('a span must be an object');
  const traceId = idHex(field(raw, 'traceId', 'trace_id'), 16, 'traceId');
  if (/^0+$/.test(traceId)) throw new SpanRefused('traceId must not be all zeroes');
  const spanHex = idHex(field(raw, 'spanId', 'span_id'), 8, 'spanId');
  if (/^0+$/.test(spanHex)) throw new SpanRefused('spanId must not be all zeroes');
  const parentRaw = field(raw, 'parentSpanId', 'parent_span_id');
  const parentEmpty =
    parentRaw === undefined || parentRaw === null || parentRaw === '' || (parentRaw as Uint8Array).length === 0;
  const parentId = parentEmpty ? 0n : BigInt(`0x${idHex(parentRaw, 8, 'parentSpanId')}`);
  const start = uint64(field(raw, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const end = uint64(field(raw, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
  if (end < start) throw new SpanRefused('endTimeUnixNano is before startTimeUnixNano');
  const problem = timeProblem(start, end - start);
  if (problem !== undefined) throw new SpanRefused(problem);
  const kind = enumValue(raw.kind);
  const status = isObj(raw.status) ? raw.status : {};
  const statusCode = enumValue(status.code);
  const statusMessage = str(status.message, 'status.message');

  const tags: Tags = { meta: new Map(resourceTags.meta), metrics: new Map(resourceTags.metrics) };
  const scopeName = str(scope.name, 'scope.name');
  const scopeVersion = str(scope.version, 'scope.version');
  if (scopeName !== '') tags.meta.set('otel.scope.name', truncateUtf8(scopeName, limits.maxStringBytes));
  if (scopeVersion !== '') tags.meta.set('otel.scope.version', truncateUtf8(scopeVersion, limits.maxStringBytes));
  addAttributes(
    tags,
    list(raw, 'attributes', 'attributes', 'span', (m) => new SpanRefused(m)),
    limits,
    'span',
  );
  tags.meta.set('span.kind', kindNames[kind] ?? 'unspecified');
  if (statusCode === 1) tags.meta.set('otel.status_code', 'Ok');
  if (statusCode === 2) tags.meta.set('otel.status_code', 'Error');
  if (statusMessage !== '')
    tags.meta.set('otel.status_description', truncateUtf8(statusMessage, limits.maxStringBytes));
  for (const [key, value] of tags.metrics) {
    // JSON and ClickHouse cannot carry NaN or infinities through the insert: keep them as text.
    if (!Number.isFinite(value)) {
      tags.metrics.delete(key);
      tags.meta.set(key, String(value));
    }
  }
  const tagCount = tags.meta.size + tags.metrics.size;
  if (tagCount > limits.maxTagsPerSpan) {
    throw new SpanRefused(`span has ${tagCount} tags with its resource's, above the limit of ${limits.maxTagsPerSpan}`);
  }
  const name = truncateUtf8(str(raw.name, 'name'), limits.maxStringBytes);
  return {
    traceId,
    spanId: BigInt(`0x${spanHex}`),
    parentId,
    service: tags.meta.get('service.name') ?? 'unknown_service',
    name,
    // OTel span names are already low-cardinality operation names ("GET /users/:id"): the resource.
    resource: name,
    type: spanType(kind, tags),
    env: tags.meta.get('deployment.environment.name') ?? tags.meta.get('deployment.environment') ?? '',
    version: tags.meta.get('service.version') ?? '',
    runtimeId: tags.meta.get('runtime-id') ?? tags.meta.get('service.instance.id') ?? '',
    startNs: start,
    durationNs: end - start,
    error: statusCode === 2 ? 1 : 0,
    meta: tags.meta,
    metrics: tags.metrics,
  };
}

function parseBody(bytes: Uint8Array, encoding: OtlpEncoding): Obj {
  if (encoding === 'protobuf') {
    try {
      const message = RequestType.decode(bytes);
      // keepCase names; 64-bit integers as decimal strings, never JS numbers; bytes as Uint8Array.
      return RequestType.toObject(message, { longs: String, enums: Number, defaults: false });
    } catch (error) {
      throw badRequest(`body is not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`, error);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw badRequest(`body is not valid JSON: ${(error as Error).message}`, error);
  }
  if (!isObj(parsed)) throw badRequest('an OTLP/JSON body must be an ExportTraceServiceRequest object');
  return parsed;
}

/** Decodes an ExportTraceServiceRequest; throws 400 for a malformed request, 413 above the span limit. */
export function decodeOtlpTraces(bytes: Uint8Array, encoding: OtlpEncoding, limits: SpanLimits): OtlpDecoded {
  const request = parseBody(bytes, encoding);
  const fail = (message: string) => badRequest(message);
  const resourceSpans = list(request, 'resourceSpans', 'resource_spans', 'request', fail);
  const groups: { resource: Tags; scope: Obj; spans: unknown[] }[] = [];
  let total = 0;
  resourceSpans.forEach((rs, r) => {
    if (!isObj(rs)) throw fail(`resourceSpans[${r}] must be an object`);
    const resource = isObj(rs.resource) ? rs.resource : {};
    const resourceTags: Tags = { meta: new Map(), metrics: new Map() };
    try {
      addAttributes(resourceTags, list(resource, 'attributes', 'attributes', 'resource', fail), limits, 'resource');
    } catch (error) {
      if (error instanceof SpanRefused) throw fail(`resourceSpans[${r}].resource: ${error.message}`);
      throw error;
    }
    list(rs, 'scopeSpans', 'scope_spans', `resourceSpans[${r}]`, fail).forEach((ss, s) => {
      if (!isObj(ss)) throw fail(`resourceSpans[${r}].scopeSpans[${s}] must be an object`);
      const spans = list(ss, 'spans', 'spans', `resourceSpans[${r}].scopeSpans[${s}]`, fail);
      total += spans.length;
      groups.push({ resource: resourceTags, scope: isObj(ss.scope) ? ss.scope : {}, spans });
    });
  });
  if (total > limits.maxSpansPerPayload) {
    throw payloadTooLarge(`request has ${total} spans, above the limit of ${limits.maxSpansPerPayload}`);
  }
  const spans: DecodedSpan[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  let index = 0;
  for (const group of groups) {
    for (const raw of group.spans) {
      try {
        spans.push(convertSpan(raw, group.resource, group.scope, limits));
      } catch (error) {
        if (!(error instanceof SpanRefused)) throw error;
        rejected += 1;
        if (reasons.length < 3) reasons.push(`span ${index}: ${error.message}`);
      }
      index += 1;
    }
  }
  const more = rejected > reasons.length ? `; and ${rejected - reasons.length} more` : '';
  return {
    spans,
    rejected,
    rejectionMessage: rejected === 0 ? '' : `${rejected} of ${total} spans refused: ${reasons.join('; ')}${more}`,
  };
}

/** ExportTraceServiceResponse; `partial_success` only when spans were refused (empty message = full success). */
export function encodeOtlpResponse(
  rejected: number,
  message: string,
  encoding: OtlpEncoding,
): { body: Buffer; contentType: string } {
  if (encoding === 'json') {
    const body = rejected === 0 ? {} : { partialSuccess: { rejectedSpans: rejected, errorMessage: message } };
    return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
  }
  const payload = rejected === 0 ? {} : { partial_success: { rejected_spans: rejected, error_message: message } };
  const bytes = ResponseType.encode(ResponseType.fromObject(payload)).finish();
  return { body: Buffer.from(bytes), contentType: 'application/x-protobuf' };
}
