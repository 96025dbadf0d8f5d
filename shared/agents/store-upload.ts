import { createHash } from 'node:crypto';
import type { EnvelopePublisher, RawPayloadStore } from '../platform/ports.js';
import { putReceipt, putUploadReceipt } from '../platform/upload-receipts.js';
import { encodeEndpointCounts, endpointCountsKey } from '../profiles/endpoint-counts.js';
import { encodeEnvelope, type ProfileEnvelope } from '../profiles/envelope.js';
import { rawProfileKey } from '../profiles/ingest-profile.js';
import type { AgentUpload } from './agent-upload.js';
import type { Attachment } from './attachment.js';

/**
 * Stores a validated agent upload: every attachment (and the endpoint counts) raw in S3 first,
 * then one envelope per pprof attachment on the profiles topic. Validation happened before
 * (nothing is stored for a refused upload); an envelope is published only once all objects are
 * durable, so none points at a missing object.
 *
 * Ids are derived from the content (tenant, source, window, tags, attachment name and bytes): an
 * agent that retries an upload after a timeout or a 5xx (dd-trace-go retries once) sends the same
 * bytes, gets the same profile ids, and the consumer skips the profiles it already committed. So
 * a failure between two publishes, followed by the agent's retry, never double counts.
 */
export interface StoreUploadDeps {
  rawStore: RawPayloadStore;
  publisher: EnvelopePublisher;
  profilesTopic: string;
  rawBucket: string;
  now: () => Date;
}

export interface StoredUpload {
  uploadId: string;
  profiles: { profileId: string; name: string; profileType: string | undefined; key: string }[];
  /** Attachments kept raw only (no envelope). */
  raw: { name: string; key: string }[];
}

/** A UUID-shaped id (RFC 9562 version 8: vendor-specific) from a SHA-256 digest. */
export function uuidFromDigest(digest: Buffer): string {
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uploadIdOf(tenant: string, source: string, upload: AgentUpload): string {
  const hash = createHash('sha256');
  const sortedTags = Object.entries(upload.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  hash.update(JSON.stringify([tenant, source, upload.service, upload.start, upload.end, sortedTags]));
  for (const attachment of upload.attachments) {
    hash.update(JSON.stringify([attachment.name, attachment.bytes.length]));
    hash.update(createHash('sha256').update(attachment.bytes).digest());
  }
  return uuidFromDigest(hash.digest());
}

export function profileIdOf(uploadId: string, attachmentName: string): string {
  return uuidFromDigest(createHash('sha256').update(`${uploadId}\u0000${attachmentName}`).digest());
}

/** Key of an attachment kept raw: raw/attachments/<tenant>/<yyyy>/<mm>/<dd>/<upload id>/<name>. */
export function rawAttachmentKey(tenant: string, receivedAt: Date, uploadId: string, name: string): string {
  const day = receivedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `raw/attachments/${tenant}/${day}/${uploadId}/${name}`;
}

const contentTypeOf = (attachment: Attachment): string =>
  attachment.name.endsWith('.json') && attachment.encoding === 'identity'
    ? 'application/json'
    : 'application/octet-stream';

/**
 * The attachment that carries endpoint_counts: the one holding CPU — `cpu.pprof` (Go), `wall.pprof`
 * (dd-trace-js: CPU beside wall), `profile.pprof` (ddtrace: every measure) — else the first pprof.
 */
function countsCarrier(attachments: readonly Attachment[]): Attachment | undefined {
  for (const type of ['cpu', 'wall', 'profile']) {
    const carrier = attachments.find((a) => a.kind === 'pprof' && a.profileType === type);
    if (carrier) return carrier;
  }
  return attachments.find((a) => a.kind === 'pprof');
}

const PUT_CONCURRENCY = 4;

export async function storeAgentUpload(
  deps: StoreUploadDeps,
  tenant: string,
  source: string,
  upload: AgentUpload,
): Promise<StoredUpload> {
  const receivedAt = deps.now();
  const uploadId = uploadIdOf(tenant, source, upload);
  const planned = upload.attachments.map((attachment) => {
    if (attachment.kind === 'raw') {
      return { attachment, key: rawAttachmentKey(tenant, receivedAt, uploadId, attachment.name), profileId: undefined };
    }
    const profileId = profileIdOf(uploadId, attachment.name);
    return { attachment, key: rawProfileKey(tenant, receivedAt, profileId, attachment.encoding), profileId };
  });

  for (let i = 0; i < planned.length; i += PUT_CONCURRENCY) {
    await Promise.all(
      planned.slice(i, i + PUT_CONCURRENCY).map(({ attachment, key, profileId }) =>
        Promise.all([
          deps.rawStore.put(key, attachment.bytes, contentTypeOf(attachment)),
          // What GET /v1/profiles/{id} reads while the profile is pending (upload-receipts.ts).
          profileId === undefined
            ? undefined
            : putReceipt(deps.rawStore, {
                v: 1,
                tenant,
                profile_id: profileId,
                service: upload.service,
                accepted_at: receivedAt.toISOString(),
                upload_id: uploadId,
              }),
        ]),
      ),
    );
  }

  // The counts go to S3 with the attachments, and the envelope names them: inline, 10,000 counts
  // (the documented maximum) make an envelope larger than the broker's max.message.bytes.
  const carrier = upload.endpointCounts ? countsCarrier(upload.attachments) : undefined;
  const countsKey = carrier && upload.endpointCounts ? endpointCountsKey(tenant, receivedAt, uploadId) : undefined;
  if (countsKey !== undefined) {
    await deps.rawStore.put(countsKey, encodeEndpointCounts(upload.endpointCounts ?? {}), 'application/json');
  }

  await putUploadReceipt(deps.rawStore, {
    v: 1,
    tenant,
    upload_id: uploadId,
    service: upload.service,
    accepted_at: receivedAt.toISOString(),
    profiles: planned.flatMap(({ attachment, profileId }) =>
      profileId === undefined ? [] : [{ profile_id: profileId, attachment: attachment.name }],
    ),
  });

  const stored: StoredUpload = { uploadId, profiles: [], raw: [] };
  for (const { attachment, key, profileId } of planned) {
    if (profileId === undefined) {
      stored.raw.push({ name: attachment.name, key });
      continue;
    }
    const envelope: ProfileEnvelope = {
      v: 1,
      kind: 'profile',
      profile_id: profileId,
      tenant,
      service: upload.service,
      env: upload.env,
      version: upload.version,
      tags: upload.tags,
      start: upload.start,
      end: upload.end,
      received_at: receivedAt.toISOString(),
      s3: { bucket: deps.rawBucket, key },
      bytes: attachment.bytes.length,
      encoding: attachment.encoding,
      format: 'pprof',
      ...(attachment.profileType === undefined ? {} : { profile_type: attachment.profileType }),
      upload_id: uploadId,
      ...(attachment === carrier && countsKey !== undefined ? { endpoint_counts_key: countsKey } : {}),
    };
    await deps.publisher.publish(deps.profilesTopic, profileId, encodeEnvelope(envelope));
    stored.profiles.push({ profileId, name: attachment.name, profileType: attachment.profileType, key });
  }
  return stored;
}
