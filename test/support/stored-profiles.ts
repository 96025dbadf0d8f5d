import { randomUUID } from 'node:crypto';
import type { RawPayloadStore } from '../../shared/platform/ports.js';
import type { ProfileEnvelope } from '../../shared/profiles/envelope.js';

/** The envelope an upload would publish for a raw pprof stored at `key` (identity encoding). */
export function profileEnvelope(
  where: { tenant: string; service: string; bucket: string; key: string; bytes: number; profileId?: string },
  extra: Partial<ProfileEnvelope> = {},
): ProfileEnvelope {
  return {
    v: 1,
    kind: 'profile',
    profile_id: where.profileId ?? randomUUID(),
    tenant: where.tenant,
    service: where.service,
    env: '',
    version: '',
    tags: {},
    start: null,
    end: null,
    received_at: new Date().toISOString(),
    s3: { bucket: where.bucket, key: where.key },
    bytes: where.bytes,
    encoding: 'identity',
    format: 'pprof',
    ...extra,
  };
}

/** Stores `bytes` as a tenant's raw profile, as an upload does, and returns its envelope. */
export async function storeRawProfile(
  store: RawPayloadStore,
  bucket: string,
  where: { tenant: string; service: string },
  bytes: Uint8Array,
  extra: Partial<ProfileEnvelope> = {},
): Promise<ProfileEnvelope> {
  const profileId = randomUUID();
  const key = `raw/profiles/${where.tenant}/test/${profileId}.pprof`;
  await store.put(key, bytes, 'application/octet-stream');
  return profileEnvelope({ ...where, bucket, key, bytes: bytes.length, profileId }, extra);
}
