import { type Sql, sql } from '../../platform/sql.js';

/**
 * Restricts samples to committed ingest attempts: the profile row is written after all of a
 * profile's samples, and holds the ingest id that won. Rows of an interrupted or repeated attempt
 * are never counted. argMax on (committed_ns, ingest_id) picks one attempt deterministically even
 * before ReplacingMergeTree has merged duplicate commits away. Ingest ids are random UUIDs, one
 * per attempt, so matching the ingest id alone is exact — and about twice as fast over 10 M rows
 * as matching (profile_id, ingest_id) tuples (measured on ClickHouse 18.16).
 */
export function committedSamplesFilter(tenant: string, service: string, fromSec: number, toSec: number): Sql {
  return committedServicesFilter(tenant, sql`service = ${service}`, fromSec, toSec);
}

/** The same filter over the services a predicate on the `service` column picks. */
export function committedServicesFilter(tenant: string, services: Sql, fromSec: number, toSec: number): Sql {
  return sql`ingest_id IN (
    SELECT argMax(ingest_id, (committed_ns, ingest_id))
    FROM profiles
    WHERE tenant = ${tenant} AND ${services} AND start >= toDateTime(${fromSec}) AND start < toDateTime(${toSec})
    GROUP BY profile_id)`;
}

/**
 * The same filter for lookups that start from span ids: the candidate profile ids come from the
 * rows themselves (`profileIds`, a subquery), and the commits are read by profile id from the
 * profile_commits view, which is sorted that way.
 */
export function committedByProfileIds(tenant: string, profileIds: Sql): Sql {
  return sql`ingest_id IN (
    SELECT argMax(ingest_id, (committed_ns, ingest_id))
    FROM profile_commits
    WHERE tenant = ${tenant} AND profile_id IN (${profileIds})
    GROUP BY profile_id)`;
}

/** Whole seconds covering [from, to): samples are stamped with their profile's start second. */
export function windowSeconds(from: number, to: number): { fromSec: number; toSec: number } {
  return { fromSec: Math.floor(from), toSec: Math.ceil(to) };
}
