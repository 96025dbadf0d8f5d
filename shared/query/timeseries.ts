import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import { parseTimeRange } from '../platform/time.js';
import type { GroupBy, Series, TimeseriesResult } from './answers.js';
import { CPU, isCpu, type Measure, parseMeasure } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { windowSeconds } from './sql/committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from './sql/cpu-sum.js';
import { measureSource, serviceSelector } from './sql/measure-source.js';
import { checkMeasure } from './sql/scope-measures.js';
import { parseEndpoints } from './sql/selector-params.js';

/**
 * `GET /v1/endpoints/timeseries`: a service's CPU (or another measure, `measure=`) per step, by endpoint or by version (to see what
 * a deploy changed). Buckets start at `from` and are `step` seconds wide; a sample falls in the
 * bucket of its profile's start second, so the sum of every point equals the endpoint view's
 * total over the same window. Beyond `maxSeries`, the smallest series are summed into one
 * series marked `other: true`, keeping totals exact.
 */

export interface TimeseriesQuery {
  tenant: string;
  service: string;
  from: number;
  to: number;
  step: number;
  groupBy: GroupBy;
  env?: string;
  version?: string;
  endpoints?: string[];
  /** CPU when absent. */
  measure?: Measure;
}

export interface TimeseriesLimits {
  maxRangeSeconds: number;
  maxPoints: number;
  maxSeries: number;
}

export function parseTimeseriesQuery(
  tenant: string,
  query: URLSearchParams,
  limits: TimeseriesLimits,
): TimeseriesQuery {
  singleValuedParams(query, ['endpoint']);
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required');
  const range = parseTimeRange(
    { from: query.get('from') ?? undefined, to: query.get('to') ?? undefined },
    limits.maxRangeSeconds,
  );
  const { fromSec, toSec } = windowSeconds(range.from, range.to);
  const stepText = query.get('step') ?? String(Math.max(60, Math.ceil((toSec - fromSec) / 100)));
  if (!/^\d{1,9}$/.test(stepText) || Number(stepText) < 1)
    throw badRequest('step must be a whole number of seconds ≥ 1');
  const step = Number(stepText);
  const points = Math.ceil((toSec - fromSec) / step);
  if (points > limits.maxPoints) {
    throw badRequest(
      `step ${step} s gives ${points} points over this range, more than the limit of ${limits.maxPoints}`,
    );
  }
  const groupBy = (query.get('group_by') ?? 'endpoint') as GroupBy;
  if (groupBy !== 'endpoint' && groupBy !== 'version') throw badRequest('group_by must be endpoint or version');
  const env = query.get('env') || undefined;
  const version = query.get('version') || undefined;
  const endpoints = parseEndpoints(query);
  return {
    tenant,
    service,
    from: fromSec,
    to: toSec,
    step,
    groupBy,
    ...(env ? { env } : {}),
    ...(version ? { version } : {}),
    ...(endpoints ? { endpoints } : {}),
    measure: parseMeasure(query.get('measure')),
  };
}

export async function timeseries(
  db: SqlDatabase,
  query: TimeseriesQuery,
  limits: TimeseriesLimits,
): Promise<TimeseriesResult> {
  const measure = query.measure ?? CPU;
  const selector = serviceSelector(query);
  await checkMeasure(db, query.tenant, selector, measure);
  const source = measureSource(query.tenant, selector, measure, 'endpoint');
  const key = query.groupBy === 'endpoint' ? source.endpoint : sql`version`;
  const rows = await db.query<{ t: number | string; k: string | null } & CpuSumRow<'cpu'>>(
    sql`SELECT ${query.from} + intDiv(toUInt32(ts) - ${query.from}, ${query.step}) * ${query.step} AS t, ${key} AS k,
        ${cpuSumColumns('cpu')}
      FROM ${source.table} WHERE ${source.where}
      GROUP BY t, k ORDER BY t, k`,
  );
  const timestamps: number[] = [];
  for (let t = query.from; t < query.to; t += query.step) timestamps.push(t);

  const byKey = new Map<string | null, Series>();
  for (const row of rows) {
    const k = row.k;
    let series = byKey.get(k);
    if (!series) {
      series = { key: k, total_value: 0n, points: [] };
      byKey.set(k, series);
    }
    const value = cpuSumOf(row, 'cpu');
    series.total_value += value;
    series.points.push({ t: Number(row.t), value });
  }
  const ranked = [...byKey.values()].sort((a, b) =>
    a.total_value !== b.total_value ? (a.total_value > b.total_value ? -1 : 1) : String(a.key) < String(b.key) ? -1 : 1,
  );
  let series = ranked;
  if (ranked.length > limits.maxSeries) {
    const rest = ranked.slice(limits.maxSeries - 1);
    const other = new Map<number, bigint>();
    for (const s of rest) for (const p of s.points) other.set(p.t, (other.get(p.t) ?? 0n) + p.value);
    series = [
      ...ranked.slice(0, limits.maxSeries - 1),
      {
        key: null,
        other: true,
        total_value: rest.reduce((sum, s) => sum + s.total_value, 0n),
        points: [...other].sort(([a], [b]) => a - b).map(([t, value]) => ({ t, value })),
      },
    ];
  }
  const total = ranked.reduce((sum, s) => sum + s.total_value, 0n);
  // CPU answers keep their cpu_ns names beside the neutral ones (clients read them).
  const cpu = isCpu(measure);
  return {
    service: query.service,
    from: query.from,
    to: query.to,
    step: query.step,
    group_by: query.groupBy,
    measure: measure.name,
    unit: measure.unit,
    timestamps,
    total_value: total,
    ...(cpu ? { total_cpu_ns: total } : {}),
    series: cpu
      ? series.map((s) => ({
          ...s,
          total_cpu_ns: s.total_value,
          points: s.points.map((p) => ({ ...p, cpu_ns: p.value })),
        }))
      : series,
  };
}
