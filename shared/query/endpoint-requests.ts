import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql, uint64Set } from '../platform/sql.js';
import { parseTimeRange } from '../platform/time.js';
import type { EndpointRequest, EndpointRequestsResult } from './compare-answers.js';
import { CPU, isCpu, type Measure, parseMeasure } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { requestHeatmap } from './request-heatmap.js';
import { committedByProfileIds } from './sql/committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from './sql/cpu-sum.js';
import { type CpuSelector, lookupTables, measureSource } from './sql/measure-source.js';
import { checkMeasure } from './sql/scope-measures.js';
import { loadCpuTotal } from './sql/stacks.js';

/**
 * `GET /v1/endpoints/requests?service=&endpoint=&from=&to=[&env=&version=][&measure=][&limit=][&step=]`:
 * the requests (local roots) of one endpoint ranked by their CPU (or `measure=`) in the window,
 * each with its whole request's CPU — the `cpu_ns_with_children` of `/v1/spans/{id}/hotspots` —
 * its span's duration, trace id and span id (from the trace intake, else the samples' labels), and a
 * heatmap of request values over time with exemplars. Requests are known by the samples'
 * `local root span id` label; the endpoint's samples without one are `unattributed_value`.
 */
export interface EndpointRequestsQuery {
  tenant: string;
  selector: Extract<CpuSelector, { kind: 'service' }>;
  endpoint: string;
  measure: Measure;
  limit: number;
  stepSeconds: number;
}

export interface EndpointRequestsLimits {
  maxRangeSeconds: number;
  maxResultRows: number;
  maxEndpointRequests: number;
  maxTimeseriesPoints: number;
}

export const DEFAULT_REQUESTS_LISTED = 20;
export const DEFAULT_HEATMAP_SLOTS = 60;

export function parseEndpointRequestsQuery(
  tenant: string,
  query: URLSearchParams,
  limits: EndpointRequestsLimits,
): EndpointRequestsQuery {
  singleValuedParams(query);
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required');
  const endpoint = query.get('endpoint');
  if (endpoint === null || endpoint === '') throw badRequest('endpoint is required');
  const { from, to } = parseTimeRange(
    { from: query.get('from') ?? undefined, to: query.get('to') ?? undefined },
    limits.maxRangeSeconds,
  );
  const limitText = query.get('limit');
  let limit = DEFAULT_REQUESTS_LISTED;
  if (limitText !== null) {
    if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > limits.maxResultRows) {
      throw badRequest(`limit must be between 1 and ${limits.maxResultRows}`);
    }
    limit = Number(limitText);
  }
  const span = Math.max(1, Math.ceil(to - from));
  let stepSeconds = Math.max(1, Math.ceil(span / DEFAULT_HEATMAP_SLOTS));
  const stepText = query.get('step');
  if (stepText !== null) {
    if (!/^\d{1,9}$/.test(stepText) || Number(stepText) < 1)
      throw badRequest('step must be a whole number of seconds ≥ 1');
    stepSeconds = Number(stepText);
  }
  if (span / stepSeconds > limits.maxTimeseriesPoints) {
    throw badRequest(`step too small: at most ${limits.maxTimeseriesPoints} time slots`);
  }
  const env = query.get('env') || undefined;
  const version = query.get('version') || undefined;
  return {
    tenant,
    selector: {
      kind: 'service',
      service,
      from,
      to,
      ...(env ? { env } : {}),
      ...(version ? { version } : {}),
      endpoints: [endpoint],
    },
    endpoint,
    measure: parseMeasure(query.get('measure')),
    limit,
    stepSeconds,
  };
}

/** A measure's sum per local root over the root lookup, committed attempts only. */
async function wholeRequests(
  db: SqlDatabase,
  tenant: string,
  roots: readonly string[],
  measure: Measure,
): Promise<Map<string, { value: bigint; traceId: string }>> {
  if (roots.length === 0) return new Map();
  const { byRoot, type } = lookupTables(measure);
  const key = sql`tenant = ${tenant} AND local_root_span_id IN ${uint64Set(roots.map((r) => BigInt(r)))}${type}`;
  const rows = await db.query<{ root: string; trace_id: string } & CpuSumRow<'v'>>(
    sql`SELECT toString(local_root_span_id) AS root, max(trace_id) AS trace_id, ${cpuSumColumns('v')}
      FROM ${byRoot}
      WHERE ${key} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM ${byRoot} WHERE ${key}`)}
      GROUP BY root`,
  );
  return new Map(rows.map((r) => [r.root, { value: cpuSumOf(r, 'v'), traceId: r.trace_id }]));
}

async function rootSpans(db: SqlDatabase, tenant: string, roots: readonly string[]) {
  if (roots.length === 0) return new Map<string, EndpointRequest['span'] & { trace_id: string }>();
  const ids = uint64Set(roots.map((r) => BigInt(r)));
  // Aliases must not shadow columns the WHERE reads (ClickHouse resolves aliases first).
  const rows = await db.query<{
    sid: string;
    trace_id: string;
    name: string;
    resource: string;
    start_ns: string;
    duration_ns: string;
  }>(
    sql`SELECT toString(span_id) AS sid, trace_id, name, resource, toString(start_ns) AS start_ns,
        toString(duration_ns) AS duration_ns FROM spans
      WHERE tenant = ${tenant}
        AND trace_id IN (SELECT trace_id FROM span_index WHERE tenant = ${tenant} AND span_id IN ${ids})
        AND span_id IN ${ids}
      ORDER BY ingested_ns DESC LIMIT 1 BY span_id`,
  );
  return new Map(rows.map((r) => [r.sid, r]));
}

export async function endpointRequests(
  db: SqlDatabase,
  query: EndpointRequestsQuery,
  limits: EndpointRequestsLimits,
): Promise<EndpointRequestsResult> {
  await checkMeasure(db, query.tenant, query.selector, query.measure);
  const source = measureSource(query.tenant, query.selector, query.measure);
  const [points, total] = await Promise.all([
    db.query<{ root: string; first_ts: string | number } & CpuSumRow<'v'>>(
      sql`SELECT toString(local_root_span_id) AS root, toUnixTimestamp(min(ts)) AS first_ts, ${cpuSumColumns('v')}
        FROM ${source.table} WHERE ${source.where} AND local_root_span_id != 0
        GROUP BY root LIMIT ${limits.maxEndpointRequests + 1}`,
    ),
    loadCpuTotal(db, source),
  ]);
  if (points.length > limits.maxEndpointRequests) {
    throw badRequest(
      `more than ${limits.maxEndpointRequests} requests of this endpoint in the window (HOTSPOTS_MAX_ENDPOINT_REQUESTS): narrow the window`,
    );
  }
  const requests = points
    .map((p) => ({ root: p.root, t: Number(p.first_ts) * 1000, value: cpuSumOf(p, 'v') }))
    .sort((a, b) => (a.value !== b.value ? (a.value > b.value ? -1 : 1) : a.root < b.root ? -1 : 1));
  const listed = requests.slice(0, query.limit);
  const roots = listed.map((r) => r.root);
  const [cpu, measured, spans] = await Promise.all([
    wholeRequests(db, query.tenant, roots, CPU),
    isCpu(query.measure) ? undefined : wholeRequests(db, query.tenant, roots, query.measure),
    rootSpans(db, query.tenant, roots),
  ]);
  const requestsValue = requests.reduce((sum, r) => sum + r.value, 0n);
  const { from, to } = query.selector;
  return {
    service: query.selector.service,
    endpoint: query.endpoint,
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
    measure: query.measure.name,
    unit: query.measure.unit,
    total_value: total,
    requests_value: requestsValue,
    unattributed_value: total - requestsValue,
    request_count: requests.length,
    requests: listed.map((r) => {
      const span = spans.get(r.root);
      const whole = cpu.get(r.root);
      return {
        local_root_span_id: r.root,
        trace_id: span?.trace_id || whole?.traceId || null,
        value_in_window: r.value,
        value: (measured ?? cpu).get(r.root)?.value ?? 0n,
        cpu_ns: whole?.value ?? 0n,
        span: span
          ? { name: span.name, resource: span.resource, start_ns: span.start_ns, duration_ns: span.duration_ns }
          : null,
      };
    }),
    truncated: requests.length > listed.length,
    heatmap: requestHeatmap(
      requests.map((r) => ({ timestamp: r.t, value: r.value, spanId: r.root })),
      { startMs: Math.floor(from) * 1000, endMs: Math.ceil(to) * 1000, stepMs: query.stepSeconds * 1000 },
    ),
  };
}
