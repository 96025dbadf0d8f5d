import { badRequest } from '../errors.js';
import type { SqlDatabase } from '../ports.js';
import { committedSamplesFilter, windowSeconds } from '../queries/committed.js';
import { emptySql, type Sql, sql } from '../sql.js';
import { parseTimeRange } from '../time.js';

/**
 * `GET /v1/endpoints/cpu`: a service's CPU split by the endpoint label over a window.
 * Unlabelled CPU is one entry with `endpoint: null`, never dropped (DESIGN.md "Semantics").
 */
export interface EndpointCpuQuery {
  tenant: string;
  service: string;
  from: number;
  to: number;
  env?: string | undefined;
  version?: string | undefined;
}

export interface EndpointCpu {
  endpoint: string | null;
  cpu_ns: bigint;
  share: number;
}

export interface EndpointCpuResult {
  service: string;
  from: string;
  to: string;
  sample_type: 'cpu/nanoseconds';
  total_cpu_ns: bigint;
  endpoints: EndpointCpu[];
  truncated: boolean;
}

export function parseEndpointCpuQuery(
  tenant: string,
  params: Record<string, string | undefined>,
  maxRangeSeconds: number,
): EndpointCpuQuery {
  const service = params.service?.trim();
  if (!service) throw badRequest('service is required');
  const { from, to } = parseTimeRange(params, maxRangeSeconds);
  return { tenant, service, from, to, env: params.env || undefined, version: params.version || undefined };
}

function filters(query: EndpointCpuQuery): Sql {
  const { fromSec, toSec } = windowSeconds(query.from, query.to);
  const env = query.env === undefined ? emptySql : sql` AND env = ${query.env}`;
  const version = query.version === undefined ? emptySql : sql` AND version = ${query.version}`;
  return sql`tenant = ${query.tenant} AND service = ${query.service}
    AND sample_type = 'cpu' AND sample_unit = 'nanoseconds'
    AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}${version}
    AND ${committedSamplesFilter(query.tenant, query.service, fromSec, toSec)}`;
}

export function endpointCpuStatements(query: EndpointCpuQuery, limit: number): { byEndpoint: Sql; total: Sql } {
  const where = filters(query);
  return {
    byEndpoint: sql`SELECT endpoint, toString(sum(value)) AS cpu_ns
      FROM samples WHERE ${where}
      GROUP BY endpoint ORDER BY sum(value) DESC, endpoint LIMIT ${limit + 1}`,
    total: sql`SELECT toString(sum(value)) AS cpu_ns FROM samples WHERE ${where}`,
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
  const statements = endpointCpuStatements(query, maxRows);
  const [rows, totals] = await Promise.all([
    db.query<{ endpoint: string | null; cpu_ns: string }>(statements.byEndpoint),
    db.query<{ cpu_ns: string }>(statements.total),
  ]);
  const total = BigInt(totals[0]?.cpu_ns ?? '0');
  return {
    service: query.service,
    from: new Date(query.from * 1000).toISOString(),
    to: new Date(query.to * 1000).toISOString(),
    sample_type: 'cpu/nanoseconds',
    total_cpu_ns: total,
    endpoints: rows.slice(0, maxRows).map((row) => {
      const cpu = BigInt(row.cpu_ns);
      return { endpoint: row.endpoint, cpu_ns: cpu, share: shareOf(cpu, total) };
    }),
    truncated: rows.length > maxRows,
  };
}
