import { decompressBounded, sniffEncoding } from '../platform/compression.js';
import { badRequest, unsupportedMediaType } from '../platform/errors.js';
import { decodeDatadogTraces } from './datadog.js';
import { decodeOtlpTraces } from './otlp.js';
import type { DecodedSpan, SpanLimits, SpanSource } from './span.js';

/**
 * The trace payload formats, and the one decoding entry point both the intake (to validate and
 * answer 4xx) and the consumer (to build rows) use, so they always agree on what a payload holds.
 */
export type SpanFormat = 'datadog-v0.4' | 'datadog-v0.5' | 'otlp-protobuf' | 'otlp-json';
export const spanFormats: readonly SpanFormat[] = ['datadog-v0.4', 'datadog-v0.5', 'otlp-protobuf', 'otlp-json'];

/** Content-Encoding of the stored bytes (OTLP exporters may gzip; tracers send identity). */
export type BodyEncoding = 'gzip' | 'identity';

export const sourceOf: Record<SpanFormat, SpanSource> = {
  'datadog-v0.4': 'datadog-v0.4',
  'datadog-v0.5': 'datadog-v0.5',
  'otlp-protobuf': 'otlp',
  'otlp-json': 'otlp',
};

/** Suffix of the raw object key: raw/spans/<tenant>/<yyyy>/<mm>/<dd>/<batch id><suffix>. */
export function rawSuffix(format: SpanFormat, encoding: BodyEncoding): string {
  const base = {
    'datadog-v0.4': '.msgpack',
    'datadog-v0.5': '.v05.msgpack',
    'otlp-protobuf': '.otlp.pb',
    'otlp-json': '.otlp.json',
  }[format];
  return encoding === 'gzip' ? `${base}.gz` : base;
}

function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
}

// dd-trace-go, -java, -py and -js send application/msgpack; the other spellings are registered or common.
const msgpackTypes = new Set(['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']);

/** Datadog `/v0.4|v0.5/traces`: msgpack only (the agent's JSON fallback is for tracers long retired). */
export function datadogFormat(version: 'v0.4' | 'v0.5', contentType: string | undefined): SpanFormat {
  const media = mediaTypeOf(contentType);
  if (!msgpackTypes.has(media)) {
    throw unsupportedMediaType(
      `content type ${media || '(none)'} is not accepted on /${version}/traces: send msgpack as application/msgpack`,
    );
  }
  return version === 'v0.4' ? 'datadog-v0.4' : 'datadog-v0.5';
}

/** OTLP/HTTP: binary protobuf or JSON, by Content-Type as the specification defines. */
export function otlpFormat(contentType: string | undefined): SpanFormat {
  const media = mediaTypeOf(contentType);
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'otlp-protobuf';
  if (media === 'application/json') return 'otlp-json';
  throw unsupportedMediaType(
    `content type ${media || '(none)'} is not accepted on /v1/traces: send application/x-protobuf or application/json`,
  );
}

export function bodyEncodingOf(contentEncoding: string | undefined): BodyEncoding {
  const value = contentEncoding?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip') return 'gzip';
  throw unsupportedMediaType(
    `content encoding ${JSON.stringify(value.slice(0, 64))} is not accepted: use gzip or none`,
  );
}

export interface DecodedPayload {
  spans: DecodedSpan[];
  rejected: number;
  rejectionMessage: string;
}

export function decodeSpanPayload(
  bytes: Uint8Array,
  format: SpanFormat,
  encoding: BodyEncoding,
  limits: SpanLimits & { maxDecompressedBytes: number },
): DecodedPayload {
  let body = bytes;
  if (encoding === 'gzip') {
    if (sniffEncoding(bytes) !== 'gzip') throw badRequest('Content-Encoding is gzip but the body is not gzip');
    body = decompressBounded(bytes, limits.maxDecompressedBytes).data;
  }
  switch (format) {
    case 'datadog-v0.4':
      return { spans: decodeDatadogTraces(body, 'v0.4', limits), rejected: 0, rejectionMessage: '' };
    case 'datadog-v0.5':
      return { spans: decodeDatadogTraces(body, 'v0.5', limits), rejected: 0, rejectionMessage: '' };
    case 'otlp-protobuf':
      return decodeOtlpTraces(body, 'protobuf', limits);
    case 'otlp-json':
      return decodeOtlpTraces(body, 'json', limits);
  }
}
