import { emptySql, identifier, type Sql, sql, tuple } from '../sql.js';
import { committedByProfileIds, committedSamplesFilter, windowSeconds } from './committed.js';

/**
 * Which CPU samples a query reads, as a table plus a WHERE clause, chosen to follow a sort key:
 * - a service window reads `samples` (tenant, service, sample_type, ts);
 * - a span reads `samples_by_span` (tenant, span_id); a request (local root) `samples_by_root`;
 * - a trace reads `samples_by_span` for the span ids of that trace (from `spans`).
 * Every source counts committed ingest attempts only (see committed.ts).
 */
export type CpuSelector =
  | { kind: 'service'; service: string; from: number; to: number; env?: string; version?: string; endpoints?: string[] }
  | { kind: 'span'; spanId: string; endpoints?: string[] }
  | { kind: 'local_root'; localRootSpanId: string; endpoints?: string[] }
  | { kind: 'trace'; traceId: string; endpoints?: string[] };

export interface CpuSource {
  table: Sql;
  where: Sql;
}

function endpointFilter(endpoints: string[] | undefined): Sql {
  if (endpoints === undefined || endpoints.length === 0) return emptySql;
  // NULL (unlabelled) is never IN a list, so filtering by every endpoint drops unlabelled CPU.
  return sql` AND endpoint IN ${tuple(endpoints)}`;
}

/** Span ids of a trace, one row per span (spans is a ReplacingMergeTree: duplicates until merged). */
export function traceSpanIds(tenant: string, traceId: string): Sql {
  return sql`SELECT DISTINCT span_id FROM spans WHERE tenant = ${tenant} AND trace_id = ${traceId}`;
}

export function cpuSource(tenant: string, selector: CpuSelector): CpuSource {
  const endpoints = endpointFilter(selector.endpoints);
  switch (selector.kind) {
    case 'service': {
      const { fromSec, toSec } = windowSeconds(selector.from, selector.to);
      const env = selector.env === undefined ? emptySql : sql` AND env = ${selector.env}`;
      const version = selector.version === undefined ? emptySql : sql` AND version = ${selector.version}`;
      return {
        table: identifier('samples'),
        where: sql`tenant = ${tenant} AND service = ${selector.service}
          AND sample_type = 'cpu' AND sample_unit = 'nanoseconds'
          AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}${endpoints}
          AND ${committedSamplesFilter(tenant, selector.service, fromSec, toSec)}`,
      };
    }
    case 'span': {
      const key = sql`tenant = ${tenant} AND span_id = ${BigInt(selector.spanId)}`;
      return {
        table: identifier('samples_by_span'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_span WHERE ${key}`)}`,
      };
    }
    case 'local_root': {
      const key = sql`tenant = ${tenant} AND local_root_span_id = ${BigInt(selector.localRootSpanId)}`;
      return {
        table: identifier('samples_by_root'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_root WHERE ${key}`)}`,
      };
    }
    case 'trace': {
      const key = sql`tenant = ${tenant} AND span_id IN (${traceSpanIds(tenant, selector.traceId)})`;
      return {
        table: identifier('samples_by_span'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_span WHERE ${key}`)}`,
      };
    }
  }
}
