import type { Encoding } from '../platform/compression.js';
import { unprocessable } from '../platform/errors.js';

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
  /** `otlp-profiles`: the object is a whole OTLP ExportProfilesServiceRequest; `otlp` says which profile. */
  format: EnvelopeFormat;
  otlp?: OtlpProfileRef;
  /**
   * Optional, from the agent intakes. `profile_type`: the attachment's name without `.pprof`
   * (`cpu`, `delta-heap`, `goroutines`, …). `upload_id`: groups the attachments of one agent
   * upload. `endpoint_counts_key`: the object, in the bucket of `s3`, holding the hits per endpoint
   * over the upload's window (shared/profiles/endpoint-counts.ts); named by one envelope of the
   * upload only (the CPU profile's), so that they are counted once.
   */
  profile_type?: string;
  upload_id?: string;
  endpoint_counts_key?: string;
  /**
   * The counts inline, as envelopes written before `endpoint_counts_key` carried them: still read
   * (records of that form may wait in Kafka or in dead letters), never written, since 10,000
   * counts can make an envelope larger than the broker accepts.
   */
  endpoint_counts?: Record<string, number>;
}

/** One profile of a stored OTLP request: the body's format and the profile's position in it. */
export interface OtlpProfileRef {
  body: 'protobuf' | 'json';
  resource: number;
  scope: number;
  profile: number;
  /** Only the samples of this sample-level service.name ('' = none); absent: every sample. */
  service?: string;
}

export type EnvelopeFormat = 'pprof' | 'otlp-profiles';

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
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The optional fields, validated only when present: envelopes written before them stay valid. */
function optionalFields(parsed: Record<string, unknown>): Partial<ProfileEnvelope> {
  const out: Partial<ProfileEnvelope> = {};
  if (parsed.profile_type !== undefined) {
    out.profile_type = field(parsed, 'profile_type', isNonEmpty, 'a non-empty string');
  }
  if (parsed.upload_id !== undefined) out.upload_id = field(parsed, 'upload_id', isNonEmpty, 'a non-empty string');
  if (parsed.endpoint_counts_key !== undefined) {
    out.endpoint_counts_key = field(parsed, 'endpoint_counts_key', isNonEmpty, 'an object key');
  }
  if (parsed.endpoint_counts !== undefined) {
    const counts = parsed.endpoint_counts;
    if (!isRecord(counts) || !Object.values(counts).every(isCount)) {
      throw unprocessable('envelope field endpoint_counts must map endpoints to non-negative integers');
    }
    out.endpoint_counts = counts as Record<string, number>;
  }
  return out;
}

function otlpRef(parsed: Record<string, unknown>): OtlpProfileRef {
  const ref = parsed.otlp;
  if (!isRecord(ref)) throw unprocessable('envelope field otlp must be an object for format otlp-profiles');
  if (ref.body !== 'protobuf' && ref.body !== 'json')
    throw unprocessable('envelope field otlp.body must be protobuf or json');
  return {
    body: ref.body,
    resource: field(ref, 'resource', isCount, 'a non-negative integer'),
    scope: field(ref, 'scope', isCount, 'a non-negative integer'),
    profile: field(ref, 'profile', isCount, 'a non-negative integer'),
    ...(ref.service === undefined ? {} : { service: field(ref, 'service', isString, 'a string') }),
  };
}

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
  if (parsed.format !== 'pprof' && parsed.format !== 'otlp-profiles') {
    throw unprocessable(`unsupported envelope format ${JSON.stringify(parsed.format)}`);
  }
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
    bytes: field(
      parsed,
      'bytes',
      (v): v is number => Number.isInteger(v) && (v as number) >= 0,
      'a non-negative integer',
    ),
    encoding: encoding as Encoding,
    format: parsed.format,
    ...(parsed.format === 'otlp-profiles' ? { otlp: otlpRef(parsed) } : {}),
    ...optionalFields(parsed),
  };
}
