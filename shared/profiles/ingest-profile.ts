import { type Encoding, sniffEncoding } from '../platform/compression.js';
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
  now: () => Date;
  newId: () => string;
}

export interface IngestProfileRequest {
  tenant: string;
  query: Record<string, string | undefined>;
  contentType: string | undefined;
  body: Uint8Array;
  /** The `Idempotency-Key` header: retries with one key get one profile id (idempotency.ts). */
  idempotencyKey?: string | undefined;
}

// Only octet-stream: API Gateway and serverless-offline pass it through as exact bytes, while other
// types (even application/x-protobuf) are text-decoded by serverless-offline and would arrive
// corrupted. Refusing them with a clear 415 beats storing mangled bytes.
const acceptedContentTypes = new Set(['application/octet-stream']);

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
  const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mediaType || !acceptedContentTypes.has(mediaType)) {
    throw unsupportedMediaType(
      `content type ${mediaType ?? '(none)'} is not accepted: send the pprof bytes (raw, gzip or zstd) as application/octet-stream`,
    );
  }
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
  const idempotencyKey = parseIdempotencyKey(request.idempotencyKey);

  const encoding = sniffEncoding(request.body);
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
