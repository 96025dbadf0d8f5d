import { unprocessable } from '../platform/errors.js';
import { type BodyEncoding, type SpanFormat, spanFormats } from './payload.js';

/**
 * The Kafka message (topic `hotspots.spans`) a trace intake publishes after storing the raw body:
 * where the bytes are and how to decode them. The consumer validates it like any input (it may be
 * replayed by hand); anything malformed is poison, never retried.
 */
export interface SpanEnvelope {
  v: 1;
  kind: 'spans';
  batch_id: string;
  tenant: string;
  format: SpanFormat;
  encoding: BodyEncoding;
  received_at: string;
  s3: { bucket: string; key: string };
  /** Size of the stored body (as received, before any Content-Encoding is undone). */
  bytes: number;
  /** Spans the intake accepted, for logs and checks. */
  spans: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function need<T>(record: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const value = record[name];
  if (!check(value)) throw unprocessable(`span envelope field ${name} must be ${what}`);
  return value;
}

export function encodeSpanEnvelope(envelope: SpanEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

export function parseSpanEnvelope(bytes: Uint8Array): SpanEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw unprocessable('span envelope is not valid JSON', error);
  }
  if (!isRecord(parsed)) throw unprocessable('span envelope must be a JSON object');
  if (parsed.v !== 1) throw unprocessable(`unsupported span envelope version ${JSON.stringify(parsed.v)}`);
  if (parsed.kind !== 'spans') throw unprocessable(`unsupported span envelope kind ${JSON.stringify(parsed.kind)}`);
  const format = need(parsed, 'format', (v): v is SpanFormat => spanFormats.includes(v as SpanFormat), 'a span format');
  const encoding = need(
    parsed,
    'encoding',
    (v): v is BodyEncoding => v === 'gzip' || v === 'identity',
    'gzip or identity',
  );
  const receivedAt = need(parsed, 'received_at', isNonEmpty, 'an RFC 3339 time');
  if (!Number.isFinite(Date.parse(receivedAt))) throw unprocessable('span envelope field received_at is not a time');
  const s3 = parsed.s3;
  if (!isRecord(s3)) throw unprocessable('span envelope field s3 must be an object');
  return {
    v: 1,
    kind: 'spans',
    batch_id: need(parsed, 'batch_id', isNonEmpty, 'a non-empty string'),
    tenant: need(parsed, 'tenant', isNonEmpty, 'a non-empty string'),
    format,
    encoding,
    received_at: receivedAt,
    s3: {
      bucket: need(s3, 'bucket', isNonEmpty, 'a bucket name'),
      key: need(s3, 'key', isNonEmpty, 'an object key'),
    },
    bytes: need(parsed, 'bytes', isCount, 'a byte count'),
    spans: need(parsed, 'spans', isCount, 'a span count'),
  };
}
