import { checkDeclaredSize, type Encoding, sniffEncoding } from '../platform/compression.js';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '../platform/errors.js';
import type { EnvelopePublisher, RawPayloadStore } from '../platform/ports.js';
import { parseTime } from '../platform/time.js';
import { putReceipt, type UploadReceipt } from '../platform/upload-receipts.js';
import { encodeEnvelope, type ProfileEnvelope } from './envelope.js';
import { idempotentProfileId, parseIdempotencyKey, refuseReusedKey, uploadFingerprint } from './idempotency.js';

/**
 * `POST /v1/profiles`: store the payload unchanged in S3, publish an envelope, answer with the
 * profile id. It sniffs the compression but never decodes the pprof: that is the consumer's job,
 * so uploads stay cheap and a bad profile cannot hurt the upload path.
 */
export interface IngestProfileDeps {
  rawStore: RawPayloadStore;
  publisher: EnvelopePublisher;
  profilesTopic: string;
  rawBucket: string;
  maxBodyBytes: number;
  /** What the consumer will inflate a profile to: a gzip body declaring more is refused at once. */
  maxDecompressedBytes: number;
  now: () => Date;
  newId: () => string;
}

export interface IngestProfileRequest {
  tenant: string;
  query: Record<string, string | undefined>;
  contentType: string | undefined;
  body: Uint8Array;
  /** Whether the gateway passed the body as exact bytes (isBase64Encoded), not as decoded text. */
  bodyIsBinary: boolean;
  /** The `Idempotency-Key` header: retries with one key get one profile id (idempotency.ts). */
  idempotencyKey?: string | undefined;
}

/**
 * The media types a pprof is sent with. pprof has no registered type, so clients use the generic
 * binary one, the protobuf ones (a pprof is a protobuf message) or their compression's (gzip,
 * RFC 6713; zstd, RFC 8878), as Pyroscope's ingest accepts them. A missing type is taken too: RFC
 * 9110 §8.3 lets a recipient read it as application/octet-stream, and Node's fetch sends none for
 * a Buffer. None is text, so API Gateway passes their bodies as exact bytes.
 */
export const profileMediaTypes: readonly string[] = [
  'application/octet-stream',
  'application/x-protobuf',
  'application/protobuf',
  'application/vnd.google.protobuf',
  'application/gzip',
  'application/x-gzip',
  'application/zstd',
];

/**
 * What `curl --data-binary @cpu.pprof` sends without -H. API Gateway HTTP APIs pass such bodies
 * base64-encoded, byte for byte, so a form-typed body that arrived as bytes and is a profile is
 * taken as one. A real form, or a body some gateway decoded as text, is refused (415).
 */
const formMediaType = 'application/x-www-form-urlencoded';

const acceptedTypes = `send the pprof bytes (raw, gzip or zstd) with no Content-Type or as ${profileMediaTypes.join(', ')}`;

function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function checkMediaType(request: IngestProfileRequest): void {
  const media = mediaTypeOf(request.contentType);
  if (media !== undefined && media !== formMediaType && !profileMediaTypes.includes(media)) {
    throw unsupportedMediaType(`content type ${media} is not accepted: ${acceptedTypes}`);
  }
  // An empty body has no bytes to corrupt (and gateways flag none as base64): it gets its own 400.
  if (request.body.length === 0) return;
  if (!request.bodyIsBinary) {
    throw unsupportedMediaType(
      `the body reached the function as text (content type ${media ?? '(none)'}), which corrupts binary profiles: ${acceptedTypes}`,
    );
  }
  if (media === formMediaType && profileEncodingOf(request.body) === undefined) {
    throw unsupportedMediaType(
      `content type ${formMediaType} (curl's default) is taken only for a body that is a profile, and this one is not: ${acceptedTypes}`,
    );
  }
}

const MAX_NAME = 200;
const MAX_TAGS = 64;
// Printable text only: names end up in S3 metadata, logs and the UI.
const namePattern = /^[^\u0000-\u001f\u007f]*$/;

function name(value: string | undefined, field: string, required: boolean): string {
  const text = value?.trim() ?? '';
  if (required && text === '') throw badRequest(`${field} is required`);
  if (text.length > MAX_NAME) throw badRequest(`${field} is longer than ${MAX_NAME} characters`);
  if (!namePattern.test(text)) throw badRequest(`${field} contains control characters`);
  return text;
}

/** `tags=k:v,k2:v2` (the Datadog convention). */
export function parseTags(raw: string | undefined): Record<string, string> {
  // Built as entries: assigning `__proto__` on a plain object would silently drop that tag.
  const tags: [string, string][] = [];
  if (raw === undefined || raw.trim() === '') return {};
  const items = raw.split(',').filter((item) => item.trim() !== '');
  if (items.length > MAX_TAGS) throw badRequest(`at most ${MAX_TAGS} tags are accepted`);
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw badRequest(`tag ${JSON.stringify(item.slice(0, 64))} must be key:value`);
    tags.push([name(item.slice(0, colon), 'tag key', true), name(item.slice(colon + 1), 'tag value', false)]);
  }
  return Object.fromEntries(tags);
}

/** Magic numbers of compressions that are not gzip or zstd, so the refusal can name them. */
const otherCompressions: { name: string; magic: readonly number[] }[] = [
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'snappy (framed)', magic: [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59] },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04] },
];

/**
 * First byte of an uncompressed pprof: the key of one of Profile's fields 1–14 in profile.proto
 * (field << 3 | wire type): length-delimited for the messages, string table, period type and a
 * packed comment list; varint for drop/keep_frames, time, duration, period, comment and
 * default_sample_type. Anything else cannot start a Profile message.
 */
const profileFieldKeys = new Set([
  0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x38, 0x40, 0x48, 0x50, 0x5a, 0x60, 0x68, 0x6a, 0x70,
]);

/**
 * What bytes can be as a profile, told without decoding them (uploads never decode pprof): gzip
 * or zstd by their magic bytes, a plain pprof when the first byte can start a Profile message;
 * undefined when they can be no profile the consumer could read.
 */
export function profileEncodingOf(bytes: Uint8Array): Encoding | undefined {
  const encoding = sniffEncoding(bytes);
  if (encoding !== 'identity') return encoding;
  return bytes.length > 0 && profileFieldKeys.has(bytes[0] as number) ? 'identity' : undefined;
}

/**
 * The checks every profile upload gets before anything is stored, none of which decodes the
 * profile: another compression is named (415), bytes that can be no profile are a 400, and a gzip
 * body whose trailer declares more than the consumer will inflate is a 413 at once. `what` names
 * the bytes in the message ("the request body", "attachment cpu.pprof").
 */
export function checkProfileBytes(bytes: Uint8Array, what: string, maxDecompressedBytes: number): Encoding {
  const encoding = profileEncodingOf(bytes);
  if (encoding === undefined) {
    const other = otherCompressions.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte));
    if (other) throw unsupportedMediaType(`${what} is compressed with ${other.name}: send it raw, gzip or zstd`);
    throw badRequest(
      `${what} is neither gzip, zstd nor an uncompressed pprof profile (a first byte of 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')} starts no field of profile.proto's Profile)`,
    );
  }
  checkDeclaredSize(bytes, maxDecompressedBytes);
  return encoding;
}

const suffixByEncoding: Record<Encoding, string> = { gzip: '.pprof.gz', zstd: '.pprof.zst', identity: '.pprof' };

/** Key scheme: raw/profiles/<tenant>/<yyyy>/<mm>/<dd>/<profile id>.pprof[.gz|.zst] (UTC receive date). */
export function rawProfileKey(tenant: string, receivedAt: Date, profileId: string, encoding: Encoding): string {
  const day = receivedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `raw/profiles/${tenant}/${day}/${profileId}${suffixByEncoding[encoding]}`;
}

export async function ingestProfile(
  deps: IngestProfileDeps,
  request: IngestProfileRequest,
): Promise<{ profileId: string; envelope: ProfileEnvelope }> {
  checkMediaType(request);
  if (request.body.length === 0) throw badRequest('request body is empty: send one pprof profile');
  if (request.body.length > deps.maxBodyBytes) {
    throw payloadTooLarge(`request body is ${request.body.length} bytes, above the limit of ${deps.maxBodyBytes}`);
  }
  const { query } = request;
  const service = name(query.service, 'service', true);
  const env = name(query.env, 'env', false);
  const version = name(query.version, 'version', false);
  const start = query.start ? parseTime(query.start, 'start') : null;
  const end = query.end ? parseTime(query.end, 'end') : null;
  if (start !== null && end !== null && end < start) throw badRequest('end must not be before start');
  const tags = parseTags(query.tags);
  const encoding = checkProfileBytes(request.body, 'the request body', deps.maxDecompressedBytes);
  const idempotencyKey = parseIdempotencyKey(request.idempotencyKey);

  const receivedAt = deps.now();
  const profileId = idempotencyKey === undefined ? deps.newId() : idempotentProfileId(request.tenant, idempotencyKey);
  const key = rawProfileKey(request.tenant, receivedAt, profileId, encoding);

  const envelope: ProfileEnvelope = {
    v: 1,
    kind: 'profile',
    profile_id: profileId,
    tenant: request.tenant,
    service,
    env,
    version,
    tags,
    start,
    end,
    received_at: receivedAt.toISOString(),
    s3: { bucket: deps.rawBucket, key },
    bytes: request.body.length,
    encoding,
    format: 'pprof',
  };
  // What GET /v1/profiles/{id} reads while the profile is pending (upload-receipts.ts).
  const receipt: UploadReceipt = {
    v: 1,
    tenant: request.tenant,
    profile_id: profileId,
    service,
    accepted_at: receivedAt.toISOString(),
    ...(idempotencyKey === undefined ? {} : { fingerprint: uploadFingerprint(envelope, request.body) }),
  };
  if (idempotencyKey !== undefined) await refuseReusedKey(deps.rawStore, receipt);
  await Promise.all([
    deps.rawStore.put(key, request.body, 'application/octet-stream'),
    putReceipt(deps.rawStore, receipt),
  ]);
  // Only after the raw bytes are durable: an envelope must never point at a missing object.
  await deps.publisher.publish(deps.profilesTopic, profileId, encodeEnvelope(envelope));
  return { profileId, envelope };
}
