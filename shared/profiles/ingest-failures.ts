import type { DeadLetter } from '../platform/dead-letters.js';
import type { SqlDatabase } from '../platform/ports.js';
import type { ProfileEnvelope } from './envelope.js';

/**
 * The consumer's record of the profiles it dead-lettered, by tenant, in ClickHouse's
 * `ingest_failures` (migration 0007): what `GET /v1/profiles/{id}` says of a profile that will
 * never be counted, and the web UI's list of a service's recent ingest errors. The dead letter in
 * S3 stays the full record; a row holds what a tenant may see (reason, time) and where that is.
 *
 * Rows are gathered while a batch runs and inserted once at its end: a flood of bad uploads makes
 * one insert per batch, not one per profile (each insert is a part for ClickHouse to merge).
 */
export interface IngestFailureRow {
  tenant: string;
  service: string;
  profile_id: string;
  reason_code: string;
  message: string;
  /** Unix seconds. */
  failed_at: number;
  dead_letter_key: string;
}

// Reasons are our own error messages, a line or two; a bound keeps a pathological one small.
const MAX_MESSAGE_CHARS = 2000;

export function ingestFailureRow(envelope: ProfileEnvelope, letter: DeadLetter): IngestFailureRow {
  return {
    tenant: envelope.tenant,
    service: envelope.service,
    profile_id: envelope.profile_id,
    reason_code: letter.reason.code,
    message: letter.reason.message.slice(0, MAX_MESSAGE_CHARS),
    failed_at: Math.floor(Date.parse(letter.failed_at) / 1000),
    dead_letter_key: letter.s3_key,
  };
}

export interface IngestFailureLog {
  add(envelope: ProfileEnvelope, letter: DeadLetter): void;
  /** Inserts what was added; a failure is thrown (retriable), so the batch comes back whole. */
  flush(): Promise<void>;
}

export function createIngestFailureLog(db: SqlDatabase): IngestFailureLog {
  let rows: IngestFailureRow[] = [];
  return {
    add(envelope, letter) {
      rows.push(ingestFailureRow(envelope, letter));
    },
    async flush() {
      if (rows.length === 0) return;
      await db.insert('ingest_failures', rows);
      rows = [];
    },
  };
}
