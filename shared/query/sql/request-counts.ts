import type { SqlDatabase } from '../../platform/ports.js';
import { emptySql, sql, tuple } from '../../platform/sql.js';
import { committedSamplesFilter, windowSeconds } from './committed.js';

/**
 * Requests served in a service window, from the endpoint hit counts profilers send beside their
 * profiles (dd-trace-go `endpoint_counts`), counted over committed profiles only, as the CPU is.
 * Narrowed to `endpoints` when given. 0 when the window holds no counts.
 */
export async function serviceRequestCount(
  db: SqlDatabase,
  tenant: string,
  window: { service: string; from: number; to: number; env?: string; version?: string; endpoints?: string[] },
): Promise<bigint> {
  const { fromSec, toSec } = windowSeconds(window.from, window.to);
  const env = window.env === undefined ? emptySql : sql` AND env = ${window.env}`;
  const version = window.version === undefined ? emptySql : sql` AND version = ${window.version}`;
  const endpoints =
    window.endpoints === undefined || window.endpoints.length === 0
      ? emptySql
      : sql` AND endpoint IN ${tuple(window.endpoints)}`;
  const rows = await db.query<{ requests: string }>(
    sql`SELECT toString(sum(count)) AS requests FROM endpoint_counts
      WHERE tenant = ${tenant} AND service = ${window.service}
        AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}${endpoints}
        AND ${committedSamplesFilter(tenant, window.service, fromSec, toSec)}`,
  );
  return BigInt(rows[0]?.requests ?? '0');
}
