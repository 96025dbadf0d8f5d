import { HotspotsError } from './errors.js';
import type { RawPayloadStore } from './ports.js';

/**
 * An upload receipt: a small JSON object the upload functions write next to a profile's raw bytes,
 * at a key made of the tenant and the profile id alone. `GET /v1/profiles/{id}` reads it to tell an
 * accepted profile the consumer has not reached yet (pending) from an id this tenant never
 * uploaded (unknown): the raw object cannot be found from the id, its key holds the receive date
 * and the encoding, and the upload functions talk to S3 and Kafka only, never to ClickHouse.
 *
 * Receipts are written before the envelope is published, like the raw bytes, so a profile the
 * consumer can see always has one. S3 expires them with the rest of a profile's status (30 days,
 * the `receipts/` lifecycle rule in serverless.yml).
 */
export interface UploadReceipt {
  v: 1;
  tenant: string;
  profile_id: string;
  service: string;
  accepted_at: string;
  /** The agent upload the profile came with (Datadog, Pyroscope). */
  upload_id?: string;
  /**
   * Digest of what an `Idempotency-Key` upload sent (shared/profiles/idempotency.ts): a retry must
   * send the same, and a key reused for another profile is refused rather than silently dropped.
   */
  fingerprint?: string;
}

/**
 * How long what became of a profile can be asked: receipts (S3 lifecycle), `ingest_failures` (TTL,
 * and readers' filter where the server has no TTL). Committed profiles stay answerable as long as
 * their `profiles` row lives.
 */
export const STATUS_RETENTION_DAYS = 30;

export const receiptKey = (tenant: string, profileId: string): string =>
  `receipts/profiles/${tenant}/${profileId}.json`;

export async function putReceipt(store: RawPayloadStore, receipt: UploadReceipt): Promise<void> {
  await store.put(
    receiptKey(receipt.tenant, receipt.profile_id),
    Buffer.from(JSON.stringify(receipt)),
    'application/json',
  );
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A receipt's JSON; undefined when the object is missing or not a JSON object. */
async function readJson(store: RawPayloadStore, key: string): Promise<Record<string, unknown> | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(key);
  } catch (error) {
    if (error instanceof HotspotsError && error.code === 'not_found') return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The receipt of a tenant's profile, or undefined when there is none (never accepted for this
 * tenant, or expired). S3 failures other than a missing object are thrown (retriable).
 */
export async function readReceipt(
  store: RawPayloadStore,
  tenant: string,
  profileId: string,
): Promise<UploadReceipt | undefined> {
  const parsed = await readJson(store, receiptKey(tenant, profileId));
  // The key names tenant and id already; a receipt that disagrees with its key is not trusted.
  if (parsed?.tenant !== tenant || parsed.profile_id !== profileId) return undefined;
  if (!isText(parsed.service) || !isText(parsed.accepted_at)) return undefined;
  return {
    v: 1,
    tenant,
    profile_id: profileId,
    service: parsed.service,
    accepted_at: parsed.accepted_at,
    ...(isText(parsed.upload_id) ? { upload_id: parsed.upload_id } : {}),
    ...(isText(parsed.fingerprint) ? { fingerprint: parsed.fingerprint } : {}),
  };
}

/**
 * The receipt of an agent upload (Datadog, Pyroscope): its `upload_id` is answered to the agent
 * too, and `GET /v1/profiles/{upload_id}` gives the status of each profile it holds.
 */
export interface AgentUploadReceipt {
  v: 1;
  tenant: string;
  upload_id: string;
  service: string;
  accepted_at: string;
  profiles: { profile_id: string; attachment: string }[];
}

export const uploadReceiptKey = (tenant: string, uploadId: string): string =>
  `receipts/uploads/${tenant}/${uploadId}.json`;

export async function putUploadReceipt(store: RawPayloadStore, receipt: AgentUploadReceipt): Promise<void> {
  await store.put(
    uploadReceiptKey(receipt.tenant, receipt.upload_id),
    Buffer.from(JSON.stringify(receipt)),
    'application/json',
  );
}

/** The receipt of a tenant's agent upload, or undefined (as readReceipt). */
export async function readUploadReceipt(
  store: RawPayloadStore,
  tenant: string,
  uploadId: string,
): Promise<AgentUploadReceipt | undefined> {
  const parsed = await readJson(store, uploadReceiptKey(tenant, uploadId));
  if (parsed?.tenant !== tenant || parsed.upload_id !== uploadId) return undefined;
  if (!isText(parsed.service) || !isText(parsed.accepted_at) || !Array.isArray(parsed.profiles)) return undefined;
  const profiles = (parsed.profiles as unknown[]).filter(
    (p): p is { profile_id: string; attachment: string } =>
      isText((p as Record<string, unknown>)?.profile_id) && isText((p as Record<string, unknown>)?.attachment),
  );
  return {
    v: 1,
    tenant,
    upload_id: uploadId,
    service: parsed.service,
    accepted_at: parsed.accepted_at,
    profiles: profiles.map(({ profile_id, attachment }) => ({ profile_id, attachment })),
  };
}
