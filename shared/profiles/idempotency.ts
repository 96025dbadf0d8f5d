import { createHash } from 'node:crypto';
import { badRequest, unprocessable } from '../platform/errors.js';
import type { RawPayloadStore } from '../platform/ports.js';
import { readReceipt, type UploadReceipt } from '../platform/upload-receipts.js';
import { nameBasedUuid } from '../platform/uuids.js';
import type { ProfileEnvelope } from './envelope.js';

/**
 * `Idempotency-Key` on `POST /v1/profiles` (draft-ietf-httpapi-idempotency-key-header): a client
 * that retries an upload after a timeout or a 5xx sends the same key, and the retry must count
 * once. No state is kept for it: the profile id is derived from (tenant, key), so a retry gets the
 * id of the first attempt and the consumer, which skips profile ids already committed, counts the
 * second delivery as a duplicate.
 */
const MAX_KEY_LENGTH = 255;
// Printable ASCII, as the draft's examples (UUIDs, opaque tokens); spaces inside only.
const keyPattern = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The key of an `Idempotency-Key` header, or undefined without one. The draft makes the value a
 * Structured Field string (`"…"`, RFC 8941 §3.3.3); most clients send the bare token, so both are
 * read.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    key = key.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (key === '') throw badRequest('Idempotency-Key is empty: send a unique key per upload, e.g. a UUID');
  if (key.length > MAX_KEY_LENGTH) {
    throw badRequest(`Idempotency-Key is ${key.length} characters long, above the limit of ${MAX_KEY_LENGTH}`);
  }
  if (!keyPattern.test(key)) {
    throw badRequest('Idempotency-Key must be printable ASCII characters (no control or non-ASCII characters)');
  }
  return key;
}

/** The profile id of every upload with this key; the tenant is part of it, so tenants never collide. */
export const idempotentProfileId = (tenant: string, key: string): string =>
  nameBasedUuid(['hotspots POST /v1/profiles Idempotency-Key', tenant, key]);

/** What a retry must repeat: the profile's bytes and what the query string said about them. */
export function uploadFingerprint(envelope: ProfileEnvelope, body: Uint8Array): string {
  const tags = Object.entries(envelope.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const { service, env, version, start, end } = envelope;
  return createHash('sha256')
    .update(JSON.stringify([service, env, version, start, end, tags]))
    .update(createHash('sha256').update(body).digest())
    .digest('hex');
}

/**
 * Refuses a key whose first upload sent something else (the draft's 422): counting the second
 * profile as a retry of the first would drop it without a word. Best effort: two different
 * uploads racing with one key can both pass, and then only one of them counts. A receipt that
 * cannot be read is taken as none: the upload function may read receipts but not list the bucket
 * (serverless.yml), so on AWS a missing one answers 403, not 404; and an S3 outage fails the
 * writes that follow anyway.
 */
export async function refuseReusedKey(store: RawPayloadStore, receipt: UploadReceipt): Promise<void> {
  const previous = await readReceipt(store, receipt.tenant, receipt.profile_id).catch(() => undefined);
  if (previous?.fingerprint !== undefined && previous.fingerprint !== receipt.fingerprint) {
    throw unprocessable(
      'this Idempotency-Key was used for an upload with other content or parameters: use a new key for a new profile',
    );
  }
}
