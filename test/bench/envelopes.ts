import { randomUUID } from 'node:crypto';
import type { ProfileEnvelope } from '../../shared/profiles/envelope.js';

export interface BenchEnvelopeFields {
  tenant: string;
  service: string;
  bucket: string;
  key: string;
  bytes?: number;
  encoding?: ProfileEnvelope['encoding'];
  version?: string;
  profileId?: string;
  receivedAt?: Date;
}

/** A profile envelope as the upload route publishes it, for the benchmarks' own records. */
export function benchEnvelope(fields: BenchEnvelopeFields): ProfileEnvelope {
  return {
    v: 1,
    kind: 'profile',
    profile_id: fields.profileId ?? randomUUID(),
    tenant: fields.tenant,
    service: fields.service,
    env: 'bench',
    version: fields.version ?? '1',
    tags: {},
    start: null,
    end: null,
    received_at: (fields.receivedAt ?? new Date()).toISOString(),
    s3: { bucket: fields.bucket, key: fields.key },
    bytes: fields.bytes ?? 0,
    encoding: fields.encoding ?? 'gzip',
    format: 'pprof',
  };
}
