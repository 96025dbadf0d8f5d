import type { Encoding } from './compression.js';
import { unprocessable } from './errors.js';

/**
 * The small JSON message an upload publishes to Kafka: where the raw bytes are in S3 and who they
 * belong to. The consumer trusts nothing in it without validating (it may be replayed by hand).
 */
export interface ProfileEnvelope {
  v: 1;
  kind: 'profile';
  profile_id: string;
  tenant: string;
  service: string;
  env: string;
  version: string;
  tags: Record<string, string>;
  /** Window the agent declared (unix seconds); the pprof's own time wins when present. */
  start: number | null;
  end: number | null;
  received_at: string;
  s3: { bucket: string; key: string };
  bytes: number;
  encoding: Encoding;
  format: 'pprof';
}

const encodings: readonly string[] = ['gzip', 'zstd', 'identity'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(record: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const value = record[name];
  if (!check(value)) throw unprocessable(`envelope field ${name} must be ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isTime = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

export function encodeEnvelope(envelope: ProfileEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/** Parses and validates an envelope; anything malformed is poison (unprocessable), never retried. */
export function parseEnvelope(bytes: Uint8Array): ProfileEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw unprocessable('envelope is not valid JSON', error);
  }
  if (!isRecord(parsed)) throw unprocessable('envelope must be a JSON object');
  if (parsed.v !== 1) throw unprocessable(`unsupported envelope version ${JSON.stringify(parsed.v)}`);
  if (parsed.kind !== 'profile') throw unprocessable(`unsupported envelope kind ${JSON.stringify(parsed.kind)}`);
  const s3 = parsed.s3;
  if (!isRecord(s3)) throw unprocessable('envelope field s3 must be an object');
  const tags = parsed.tags;
  if (!isRecord(tags) || !Object.values(tags).every(isString)) {
    throw unprocessable('envelope field tags must map strings to strings');
  }
  const encoding = field(parsed, 'encoding', isString, 'a string');
  if (!encodings.includes(encoding)) throw unprocessable(`unknown envelope encoding ${JSON.stringify(encoding)}`);
  return {
    v: 1,
    kind: 'profile',
    profile_id: field(parsed, 'profile_id', isNonEmpty, 'a non-empty string'),
    tenant: field(parsed, 'tenant', isNonEmpty, 'a non-empty string'),
    service: field(parsed, 'service', isNonEmpty, 'a non-empty string'),
    env: field(parsed, 'env', isString, 'a string'),
    version: field(parsed, 'version', isString, 'a string'),
    tags: tags as Record<string, string>,
    start: field(parsed, 'start', isTime, 'a number or null'),
    end: field(parsed, 'end', isTime, 'a number or null'),
    received_at: field(parsed, 'received_at', isString, 'a string'),
    s3: {
      bucket: field(s3, 'bucket', isNonEmpty, 'a bucket name'),
      key: field(s3, 'key', isNonEmpty, 'an object key'),
    },
    bytes: field(parsed, 'bytes', (v): v is number => Number.isInteger(v), 'an integer'),
    encoding: encoding as Encoding,
    format: 'pprof',
  };
}
