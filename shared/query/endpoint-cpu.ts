import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { emptySql, type Sql, sql } from '../platform/sql.js';
import { parseTimeRange } from '../platform/time.js';
import type { EndpointCpu, EndpointCpuResult } from './answers.js';
import { CPU, isCpu, type Measure, parseMeasure } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { committedSamplesFilter, windowSeconds } from './sql/committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf, largestCpuSumFirst } from './sql/cpu-sum.js';
import { measureSource, serviceSelector } from './sql/measure-source.js';
import { checkMeasure } from './sql/scope-measures.js';

/**
 * `GET /v1/endpoints/cpu`: a service's CPU (or another measure, `measure=`) split by the endpoint
 * label over a window.
 * Unlabelled CPU is one entry with `endpoint: null`, never dropped (DESIGN.md "Semantics").
 * Where the profiler sent endpoint hit counts (dd-trace-go `endpoint_counts`), each endpoint also
 * gets `requests` and `cpu_ns_per_request`, both from the same committed profiles.
 */
export interface EndpointCpuQuery {
  tenant: string;
  service: string;
  from: number;
  to: number;
  env?: string | undefined;
  version?: string | undefined;
  /** CPU when absent. */
  measure?: Measure | undefined;
}

export function parseEndpointCpuQuery(
  tenant: string,
  query: URLSearchParams,
  maxRangeSeconds: number,
): EndpointCpuQuery {
  singleValuedParams(query);
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required');
  const { from, to } = parseTimeRange(
    { from: query.get('from') ?? undefined, to: query.get('to') ?? undefined },
    maxRangeSeconds,
  );
  return {
    tenant,
    service,
    from,
    to,
    env: query.get('env') || undefined,
    version: query.get('version') || undefined,
    measure: parseMeasure(query.get('measure')),
  };
}

function source(query: EndpointCpuQuery) {
  return measureSource(query.tenant, serviceSelector(query), query.measure ?? CPU, 'endpoint');
}

export function endpointCpuStatements(
  query: EndpointCpuQuery,
  limit: number,
): { byEndpoint: Sql; total: Sql; requests: Sql } {
  const { table, where, endpoint } = source(query);
  const { fromSec, toSec } = windowSeconds(query.from, query.to);
  const env = query.env ? sql` AND env = ${query.env}` : emptySql;
  const version = query.version ? sql` AND version = ${query.version}` : emptySql;
  return {
    byEndpoint: sql`SELECT ${endpoint} AS endpoint_label, ${cpuSumColumns('cpu_ns')}
      FROM ${table} WHERE ${where}
      GROUP BY endpoint_label ORDER BY ${largestCpuSumFirst}, endpoint_label LIMIT ${limit + 1}`,
    total: sql`SELECT ${cpuSumColumns('cpu_ns')} FROM ${table} WHERE ${where}`,
    requests: sql`SELECT endpoint, toString(sum(count)) AS requests FROM endpoint_counts
      WHERE tenant = ${query.tenant} AND service = ${query.service}
        AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}
        AND ${committedSamplesFilter(query.tenant, query.service, fromSec, toSec)}
      GROUP BY endpoint`,
  };
}

/** value/total as a fraction, computed in integers so that huge totals keep their precision. */
export function shareOf(value: bigint, total: bigint): number {
  if (total === 0n) return 0;
  return Number((value * 1_000_000_000n) / total) / 1_000_000_000;
}

export async function endpointCpu(
  db: SqlDatabase,
  query: EndpointCpuQuery,
  maxRows: number,
): Promise<EndpointCpuResult> {
  const measure = query.measure ?? CPU;
  await checkMeasure(db, query.tenant, serviceSelector(query), measure);
  const cpu = isCpu(measure);
  const statements = endpointCpuStatements(query, maxRows);
  const [rows, totals, counts] = await Promise.all([
    db.query<{ endpoint_label: string | null } & CpuSumRow<'cpu_ns'>>(statements.byEndpoint),
    db.query<CpuSumRow<'cpu_ns'>>(statements.total),
    db.query<{ endpoint: string; requests: string }>(statements.requests),
  ]);
  const requestsByEndpoint = new Map(counts.map((c) => [c.endpoint, BigInt(c.requests)]));
  const total = totals[0] ? cpuSumOf(totals[0], 'cpu_ns') : 0n;
  return {
    service: query.service,
    from: new Date(query.from * 1000).toISOString(),
    to: new Date(query.to * 1000).toISOString(),
    measure: measure.name,
    unit: measure.unit,
    sample_type: `${measure.type}/${measure.unit}`,
    total_value: total,
    ...(cpu ? { total_cpu_ns: total } : {}),
    endpoints: rows.slice(0, maxRows).map((row) => {
      const value = cpuSumOf(row, 'cpu_ns');
      const entry: EndpointCpu = {
        endpoint: row.endpoint_label,
        value,
        ...(cpu ? { cpu_ns: value } : {}),
        share: shareOf(value, total),
      };
      const requests = row.endpoint_label === null ? undefined : requestsByEndpoint.get(row.endpoint_label);
      if (requests !== undefined && requests > 0n) {
        entry.requests = requests;
        entry.value_per_request = Number((value * 1000n) / requests) / 1000;
        if (cpu) entry.cpu_ns_per_request = entry.value_per_request;
      }
      return entry;
    }),
    truncated: rows.length > maxRows,
  };
}
