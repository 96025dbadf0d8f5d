import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import { STATUS_RETENTION_DAYS } from '../platform/upload-receipts.js';
import type { IngestErrors } from './ingest-answers.js';
import { statusCutoff } from './profile-status.js';

/**
 * `GET /v1/ingest-errors[?service=][&limit=]`: the latest profiles of a service (or of the whole
 * tenant) that the consumer dead-lettered, newest first, each with its reason — what the web UI's
 * service view lists. One row per profile (a retried batch records a dead letter again), and
 * none for a profile committed since (a dead letter replayed after a fix).
 */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

function limitOf(text: string | null): number {
  if (text === null || text.trim() === '') return DEFAULT_LIMIT;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text.slice(0, 32))}`);
  }
  return value;
}

export async function ingestErrors(db: SqlDatabase, tenant: string, query: URLSearchParams): Promise<IngestErrors> {
  const service = query.get('service')?.trim() || null;
  const limit = limitOf(query.get('limit'));
  const scope =
    service === null
      ? sql`tenant = ${tenant} AND failed_at >= ${statusCutoff()}`
      : sql`tenant = ${tenant} AND service = ${service} AND failed_at >= ${statusCutoff()}`;
  const rows = await db.query<{
    service: string;
    profile_id: string;
    reason_code: string;
    message: string;
    failed_s: string;
  }>(
    // The seconds get an alias apart from the column: ClickHouse reads aliases in WHERE too.
    sql`SELECT service, profile_id, reason_code, message, toString(toUInt32(failed_at)) AS failed_s
    FROM ingest_failures
    WHERE ${scope}
      AND profile_id NOT IN (
        SELECT profile_id FROM profile_commits
        WHERE tenant = ${tenant} AND profile_id IN (SELECT profile_id FROM ingest_failures WHERE ${scope}))
    ORDER BY failed_at DESC, profile_id
    LIMIT 1 BY profile_id
    LIMIT ${limit + 1}`,
  );
  return {
    service,
    since: new Date(Date.now() - STATUS_RETENTION_DAYS * 24 * 3600 * 1000).toISOString(),
    errors: rows.slice(0, limit).map((row) => ({
      profile_id: row.profile_id,
      service: row.service,
      reason: { code: row.reason_code, message: row.message },
      failed_at: new Date(Number(row.failed_s) * 1000).toISOString(),
    })),
    truncated: rows.length > limit,
  };
}
