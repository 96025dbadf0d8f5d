import { emptySql, identifier, type Sql, sql, tuple, uint64Set } from '../../platform/sql.js';
import { CPU, isCpu, type Measure } from '../measures.js';
import { committedByProfileIds, committedSamplesFilter, windowSeconds } from './committed.js';

/**
 * Which samples of a measure a query reads, as a table plus a WHERE clause, chosen to follow a
 * sort key:
 * - a service window reads `samples` (tenant, service, sample_type, ts), or a CPU roll-up;
 * - a span reads a span lookup (tenant, span_id); a request (local root) a root lookup;
 * - a trace reads the span lookup for the span ids of that trace (from `spans`).
 * CPU has its own lookups (migration 0005: samples_by_span, samples_by_root) and roll-ups (0006);
 * every other measure reads measures_by_span / measures_by_root (0008), narrowed to its sample
 * type and unit, and service windows from `samples` (the roll-ups hold CPU only).
 * Every source counts committed ingest attempts only (see committed.ts).
 */
export type CpuSelector =
  | { kind: 'service'; service: string; from: number; to: number; env?: string; version?: string; endpoints?: string[] }
  | { kind: 'span'; spanId: string; endpoints?: string[] }
  | { kind: 'local_root'; localRootSpanId: string; endpoints?: string[] }
  | { kind: 'trace'; traceId: string; endpoints?: string[] }
  /** Spans of one request found through the span tree (samples without local root labels). */
  | { kind: 'span_set'; spanIds: readonly string[]; endpoints?: string[] };

export type ServiceSelector = Extract<CpuSelector, { kind: 'service' }>;

/** A service's window as a selector: an empty env, version or endpoint list selects all. */
export function serviceSelector(scope: {
  service: string;
  from: number;
  to: number;
  env?: string | undefined;
  version?: string | undefined;
  endpoints?: string[] | undefined;
}): ServiceSelector {
  return {
    kind: 'service',
    service: scope.service,
    from: scope.from,
    to: scope.to,
    ...(scope.env ? { env: scope.env } : {}),
    ...(scope.version ? { version: scope.version } : {}),
    ...(scope.endpoints ? { endpoints: scope.endpoints } : {}),
  };
}

export interface CpuSource {
  table: Sql;
  where: Sql;
  /** The endpoint label as a Nullable(String) expression over `table` (NULL = unlabelled). */
  endpoint: Sql;
}

/**
 * Service-window reads of CPU can come from a roll-up (migration 0006): `endpoint` sums per
 * (profile attempt, endpoint), `stack` per (profile attempt, endpoint, stack). Same figures, fewer
 * rows. Other measures have no roll-up and read `samples` whatever is asked.
 */
export type Rollup = 'none' | 'endpoint' | 'stack';

const rollupTables: Record<Rollup, Sql> = {
  none: identifier('samples'),
  endpoint: identifier('cpu_by_endpoint'),
  stack: identifier('cpu_by_stack'),
};

/** The lookup tables of a measure: by span id and by local root span id. */
export function lookupTables(measure: Measure): { bySpan: Sql; byRoot: Sql; type: Sql } {
  if (isCpu(measure)) {
    return { bySpan: identifier('samples_by_span'), byRoot: identifier('samples_by_root'), type: emptySql };
  }
  return {
    bySpan: identifier('measures_by_span'),
    byRoot: identifier('measures_by_root'),
    type: sql` AND sample_type = ${measure.type} AND sample_unit = ${measure.unit}`,
  };
}

function endpointFilter(endpoints: string[] | undefined, rolledUp: boolean): Sql {
  if (endpoints === undefined || endpoints.length === 0) return emptySql;
  if (rolledUp) return sql` AND labelled = 1 AND endpoint_name IN ${tuple(endpoints)}`;
  // NULL (unlabelled) is never IN a list, so filtering by every endpoint drops unlabelled samples.
  return sql` AND endpoint IN ${tuple(endpoints)}`;
}

/** Span ids of a trace, one row per span (spans is a ReplacingMergeTree: duplicates until merged). */
export function traceSpanIds(tenant: string, traceId: string): Sql {
  return sql`SELECT DISTINCT span_id FROM spans WHERE tenant = ${tenant} AND trace_id = ${traceId}`;
}

/** A lookup read: `key` picks rows by id; the committed filter reads the profile ids of those rows. */
function lookup(tenant: string, table: Sql, key: Sql, endpoints: Sql): CpuSource {
  return {
    table,
    where: sql`${key}${endpoints} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM ${table} WHERE ${key}`)}`,
    endpoint: sql`endpoint`,
  };
}

export function measureSource(
  tenant: string,
  selector: CpuSelector,
  measure: Measure,
  rollup: Rollup = 'none',
): CpuSource {
  const cpu = isCpu(measure);
  const rolledUp = selector.kind === 'service' && rollup !== 'none' && cpu;
  const endpoints = endpointFilter(selector.endpoints, rolledUp);
  const tables = lookupTables(measure);
  switch (selector.kind) {
    case 'service': {
      const { fromSec, toSec } = windowSeconds(selector.from, selector.to);
      const env = selector.env === undefined ? emptySql : sql` AND env = ${selector.env}`;
      const version = selector.version === undefined ? emptySql : sql` AND version = ${selector.version}`;
      // Roll-ups hold CPU rows only; the raw table needs the sample type filter.
      const type = rolledUp ? emptySql : sql` AND sample_type = ${measure.type} AND sample_unit = ${measure.unit}`;
      return {
        table: rollupTables[rolledUp ? rollup : 'none'],
        where: sql`tenant = ${tenant} AND service = ${selector.service}${type}
          AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}${endpoints}
          AND ${committedSamplesFilter(tenant, selector.service, fromSec, toSec)}`,
        endpoint: rolledUp ? sql`if(labelled = 1, endpoint_name, NULL)` : sql`endpoint`,
      };
    }
    case 'span':
      return lookup(
        tenant,
        tables.bySpan,
        sql`tenant = ${tenant} AND span_id = ${BigInt(selector.spanId)}${tables.type}`,
        endpoints,
      );
    case 'local_root':
      return lookup(
        tenant,
        tables.byRoot,
        sql`tenant = ${tenant} AND local_root_span_id = ${BigInt(selector.localRootSpanId)}${tables.type}`,
        endpoints,
      );
    case 'span_set':
      // A request can hold any number of spans: sent as a table, never as SQL text.
      return lookup(
        tenant,
        tables.bySpan,
        sql`tenant = ${tenant} AND span_id IN ${uint64Set(selector.spanIds.map((id) => BigInt(id)))}${tables.type}`,
        endpoints,
      );
    case 'trace':
      return lookup(
        tenant,
        tables.bySpan,
        sql`tenant = ${tenant} AND span_id IN (${traceSpanIds(tenant, selector.traceId)})${tables.type}`,
        endpoints,
      );
  }
}

/** The CPU source (the measure every route reads by default). */
export function cpuSource(tenant: string, selector: CpuSelector, rollup: Rollup = 'none'): CpuSource {
  return measureSource(tenant, selector, CPU, rollup);
}
