import { badRequest } from '../platform/errors.js';
import { storedSampleTypeNames } from '../platform/measure-names.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import { parseTimeRange } from '../platform/time.js';
import type { ServiceEntry } from './answers.js';
import { endpointCpu } from './endpoint-cpu.js';
import { measureOfSampleType, parseMeasure, sortMeasures } from './measures.js';

const DAY = 24 * 3600;

function window(query: URLSearchParams, defaultSeconds: number, maxRangeSeconds: number) {
  if (!query.has('from') && !query.has('to')) {
    const now = Math.floor(Date.now() / 1000);
    return { from: now - defaultSeconds, to: now + 60 };
  }
  return parseTimeRange({ from: query.get('from') ?? undefined, to: query.get('to') ?? undefined }, maxRangeSeconds);
}

const iso = (seconds: number | string | null) =>
  seconds === null || Number(seconds) === 0 ? null : new Date(Number(seconds) * 1000).toISOString();

export async function listServices(
  db: SqlDatabase,
  tenant: string,
  query: URLSearchParams,
  maxRangeSeconds: number,
  maxRows: number,
): Promise<{ from: string; to: string; services: ServiceEntry[] }> {
  const { from, to } = window(query, 7 * DAY, maxRangeSeconds);
  // Redelivery (a consumer crash, a rebalance between two consumers) writes a profile's or a span's
  // row again, and ReplacingMergeTree keeps both until a merge that may never come: count ids, not
  // rows. uniqExact for profiles, a few per service and minute; for spans uniq, as blind to repeats
  // and within about 1 % (exact while small), where uniqExact would hold every span id of the window.
  const [profiles, spans] = await Promise.all([
    db.query<{ service: string; n: string; last: string; types: string[][] }>(
      sql`SELECT service, toString(uniqExact(profile_id)) AS n, toString(toUInt32(max(start))) AS last,
          groupUniqArray(sample_types) AS types FROM profiles
        WHERE tenant = ${tenant} AND start >= toDateTime(${Math.floor(from)}) AND start < toDateTime(${Math.ceil(to)})
        GROUP BY service ORDER BY service LIMIT ${maxRows}`,
    ),
    db.query<{ service: string; n: string; last: string }>(
      sql`SELECT service, toString(uniq(trace_id, span_id)) AS n, toString(toUInt32(max(start))) AS last FROM spans
        WHERE tenant = ${tenant} AND start >= toDateTime(${Math.floor(from)}) AND start < toDateTime(${Math.ceil(to)})
        GROUP BY service ORDER BY service LIMIT ${maxRows}`,
    ),
  ]);
  const byName = new Map<string, ServiceEntry>();
  const entry = (service: string) => {
    let found = byName.get(service);
    if (!found) {
      found = { service, measures: [], profiles: 0, last_profile_at: null, spans: 0, last_span_at: null };
      byName.set(service, found);
    }
    return found;
  };
  for (const row of profiles)
    Object.assign(entry(row.service), {
      measures: sortMeasures(row.types.flatMap(storedSampleTypeNames).map(measureOfSampleType)).map((m) => m.name),
      profiles: Number(row.n),
      last_profile_at: iso(row.last),
    });
  for (const row of spans) Object.assign(entry(row.service), { spans: Number(row.n), last_span_at: iso(row.last) });
  return {
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
    services: [...byName.values()].sort((a, b) => (a.service < b.service ? -1 : 1)).slice(0, maxRows),
  };
}

export async function listEndpoints(
  db: SqlDatabase,
  tenant: string,
  query: URLSearchParams,
  maxRangeSeconds: number,
  maxRows: number,
) {
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required');
  const { from, to } = window(query, DAY, maxRangeSeconds);
  const measure = parseMeasure(query.get('measure'));
  const answer = await endpointCpu(db, { tenant, service, from, to, measure }, maxRows);
  return {
    service,
    from: answer.from,
    to: answer.to,
    measure: answer.measure,
    unit: answer.unit,
    endpoints: answer.endpoints.map((e) => ({
      endpoint: e.endpoint,
      value: e.value,
      ...(e.cpu_ns === undefined ? {} : { cpu_ns: e.cpu_ns }),
    })),
    truncated: answer.truncated,
  };
}
