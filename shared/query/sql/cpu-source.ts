import { emptySql, identifier, type Sql, sql, tuple, uint64Set } from '../../platform/sql.js';
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
  | { kind: 'trace'; traceId: string; endpoints?: string[] }
  /** Spans of one request found through the span tree (samples without local root labels). */
  | { kind: 'span_set'; spanIds: readonly string[]; endpoints?: string[] };

export interface CpuSource {
  table: Sql;
  where: Sql;
  /** The endpoint label as a Nullable(String) expression over `table` (NULL = unlabelled). */
  endpoint: Sql;
}

/**
 * Service-window reads can come from a roll-up (migration 0006): `endpoint` sums per (profile
 * attempt, endpoint), `stack` per (profile attempt, endpoint, stack). Same figures, fewer rows.
 */
export type Rollup = 'none' | 'endpoint' | 'stack';

const rollupTables: Record<Rollup, Sql> = {
  none: identifier('samples'),
  endpoint: identifier('cpu_by_endpoint'),
  stack: identifier('cpu_by_stack'),
};

function endpointFilter(endpoints: string[] | undefined, rolledUp: boolean): Sql {
  if (endpoints === undefined || endpoints.length === 0) return emptySql;
  if (rolledUp) return sql` AND labelled = 1 AND endpoint_name IN ${tuple(endpoints)}`;
  // NULL (unlabelled) is never IN a list, so filtering by every endpoint drops unlabelled CPU.
  return sql` AND endpoint IN ${tuple(endpoints)}`;
}

/** Span ids of a trace, one row per span (spans is a ReplacingMergeTree: duplicates until merged). */
export function traceSpanIds(tenant: string, traceId: string): Sql {
  return sql`SELECT DISTINCT span_id FROM spans WHERE tenant = ${tenant} AND trace_id = ${traceId}`;
}

export function cpuSource(tenant: string, selector: CpuSelector, rollup: Rollup = 'none'): CpuSource {
  const rolledUp = selector.kind === 'service' && rollup !== 'none';
  const endpoints = endpointFilter(selector.endpoints, rolledUp);
  const plainEndpoint = sql`endpoint`;
  switch (selector.kind) {
    case 'service': {
      const { fromSec, toSec } = windowSeconds(selector.from, selector.to);
      const env = selector.env === undefined ? emptySql : sql` AND env = ${selector.env}`;
      const version = selector.version === undefined ? emptySql : sql` AND version = ${selector.version}`;
      // Roll-ups hold CPU rows only; the raw table needs the sample type filter.
      const type = rolledUp ? emptySql : sql` AND sample_type = 'cpu' AND sample_unit = 'nanoseconds'`;
      return {
        table: rollupTables[rollup],
        where: sql`tenant = ${tenant} AND service = ${selector.service}${type}
          AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}${endpoints}
          AND ${committedSamplesFilter(tenant, selector.service, fromSec, toSec)}`,
        endpoint: rolledUp ? sql`if(labelled = 1, endpoint_name, NULL)` : plainEndpoint,
      };
    }
    case 'span': {
      const key = sql`tenant = ${tenant} AND span_id = ${BigInt(selector.spanId)}`;
      return {
        table: identifier('samples_by_span'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_span WHERE ${key}`)}`,
        endpoint: plainEndpoint,
      };
    }
    case 'local_root': {
      const key = sql`tenant = ${tenant} AND local_root_span_id = ${BigInt(selector.localRootSpanId)}`;
      return {
        table: identifier('samples_by_root'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_root WHERE ${key}`)}`,
        endpoint: plainEndpoint,
      };
    }
    case 'span_set': {
      // A request can hold any number of spans: sent as a table, never as SQL text.
      const key = sql`tenant = ${tenant} AND span_id IN ${uint64Set(selector.spanIds.map((id) => BigInt(id)))}`;
      return {
        table: identifier('samples_by_span'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_span WHERE ${key}`)}`,
        endpoint: plainEndpoint,
      };
    }
    case 'trace': {
      const key = sql`tenant = ${tenant} AND span_id IN (${traceSpanIds(tenant, selector.traceId)})`;
      return {
        table: identifier('samples_by_span'),
        where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM samples_by_span WHERE ${key}`)}`,
        endpoint: plainEndpoint,
      };
    }
  }
}
