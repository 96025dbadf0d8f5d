import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { emptySql, sql } from '../platform/sql.js';
import { parseTimeRange } from '../platform/time.js';
import type { ChangesResult, EndpointChange, FunctionMove, SideFigure, VersionChange } from './compare-answers.js';
import { ratio } from './flame-tree/diff-tree.js';
import { functionTotals } from './flame-tree/tree.js';
import { weightedStacks } from './flamegraph.js';
import { CPU } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { committedSamplesFilter, windowSeconds } from './sql/committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from './sql/cpu-sum.js';
import { type CpuSelector, measureSource } from './sql/measure-source.js';
import { loadCpuStacks } from './sql/stacks.js';

/**
 * `GET /v1/changes?service=&from=&to=[&env=]`: what each version change of the window did to each
 * endpoint's CPU. Versions are ordered by their first profile; each consecutive pair is a change
 * (before = the older version's profiles in the window, after = the newer's). Per endpoint: CPU per
 * request where both sides have endpoint counts (dd-trace-go `endpoint_counts`), else CPU share of
 * the side's CPU; with the requests and profiles behind each figure, and whether the change
 * exceeds the noise (`NOISE_RULE`). For changed endpoints, the functions whose self CPU per request
 * (or share) moved most. Endpoints found on one side only are `appeared` / `vanished`.
 */
export const SIGMAS = 3;
export const DEFAULT_PERIOD_NS = 10_000_000n;
export const NOISE_RULE =
  'changed when |after − before| > 3·√(σ_before² + σ_after² + σ_profiles²) and |after − before| ≥ min_relative_change · before; ' +
  'σ_side = figure/√n is the Poisson error of a figure built from n = CPU/period samples; ' +
  'σ_profiles is the standard deviation of the before-version’s figure across its profiles (0 with fewer than 2)';

export interface ChangesQuery {
  tenant: string;
  service: string;
  from: number;
  to: number;
  env?: string;
}

export interface ChangesLimits {
  maxRangeSeconds: number;
  maxVersions: number;
  maxStacks: number;
  topFunctions: number;
  /** Smallest relative change reported as a change, in percent. */
  minChangePercent: number;
}

export function parseChangesQuery(tenant: string, query: URLSearchParams, maxRangeSeconds: number): ChangesQuery {
  singleValuedParams(query);
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required');
  const { from, to } = parseTimeRange(
    { from: query.get('from') ?? undefined, to: query.get('to') ?? undefined },
    maxRangeSeconds,
  );
  const env = query.get('env') || undefined;
  return { tenant, service, from, to, ...(env ? { env } : {}) };
}

interface VersionRow {
  version: string;
  first_seen: string | number;
  last_seen: string | number;
  profiles: string | number;
  period: string | number;
}

interface Side {
  version: string;
  periodNs: bigint;
  total: bigint;
  /** endpoint → CPU and requests, whole and per profile attempt. */
  endpoints: Map<string, { cpu: bigint; requests: bigint; perProfile: Map<string, { cpu: bigint; requests: bigint }> }>;
  /** profile attempt → its CPU (every endpoint, unlabelled included). */
  profileTotals: Map<string, bigint>;
}

function selectorOf(query: ChangesQuery, version: string, endpoints?: string[]): CpuSelector {
  return {
    kind: 'service',
    service: query.service,
    from: query.from,
    to: query.to,
    version,
    ...(query.env ? { env: query.env } : {}),
    ...(endpoints ? { endpoints } : {}),
  };
}

async function loadSide(db: SqlDatabase, query: ChangesQuery, version: string, periodNs: bigint): Promise<Side> {
  const source = measureSource(query.tenant, selectorOf(query, version), CPU, 'endpoint');
  const { fromSec, toSec } = windowSeconds(query.from, query.to);
  const env = query.env ? sql` AND env = ${query.env}` : emptySql;
  const [cpuRows, countRows] = await Promise.all([
    db.query<{ ingest_id: string; endpoint_label: string | null } & CpuSumRow<'cpu'>>(
      sql`SELECT ingest_id, ${source.endpoint} AS endpoint_label, ${cpuSumColumns('cpu')}
        FROM ${source.table} WHERE ${source.where} GROUP BY ingest_id, endpoint_label`,
    ),
    db.query<{ ingest_id: string; endpoint: string; requests: string }>(
      sql`SELECT ingest_id, endpoint, toString(sum(count)) AS requests FROM endpoint_counts
        WHERE tenant = ${query.tenant} AND service = ${query.service} AND version = ${version}
          AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${env}
          AND ${committedSamplesFilter(query.tenant, query.service, fromSec, toSec)}
        GROUP BY ingest_id, endpoint`,
    ),
  ]);
  const side: Side = { version, periodNs, total: 0n, endpoints: new Map(), profileTotals: new Map() };
  const entry = (endpoint: string, ingestId: string) => {
    let e = side.endpoints.get(endpoint);
    if (!e) {
      e = { cpu: 0n, requests: 0n, perProfile: new Map() };
      side.endpoints.set(endpoint, e);
    }
    let p = e.perProfile.get(ingestId);
    if (!p) {
      p = { cpu: 0n, requests: 0n };
      e.perProfile.set(ingestId, p);
    }
    return { e, p };
  };
  for (const row of cpuRows) {
    const cpu = cpuSumOf(row, 'cpu');
    side.total += cpu;
    side.profileTotals.set(row.ingest_id, (side.profileTotals.get(row.ingest_id) ?? 0n) + cpu);
    if (row.endpoint_label === null) continue;
    const { e, p } = entry(row.endpoint_label, row.ingest_id);
    e.cpu += cpu;
    p.cpu += cpu;
  }
  for (const row of countRows) {
    const { e, p } = entry(row.endpoint, row.ingest_id);
    e.requests += BigInt(row.requests);
    p.requests += BigInt(row.requests);
  }
  return side;
}

function figure(side: Side, endpoint: string, basis: EndpointChange['basis']): SideFigure {
  const e = side.endpoints.get(endpoint) ?? { cpu: 0n, requests: 0n, perProfile: new Map() };
  const value = basis === 'cpu_per_request' ? ratio(e.cpu, e.requests) : ratio(e.cpu, side.total);
  const samples = ratio(e.cpu, side.periodNs);
  return {
    cpu_ns: e.cpu,
    requests: e.requests > 0n ? e.requests : null,
    profiles: [...e.perProfile.values()].filter((p) => p.cpu > 0n || p.requests > 0n).length,
    value,
    sampling_error: samples > 0 ? value / Math.sqrt(samples) : 0,
  };
}

/** Standard deviation of a side's figure across its profiles (those with a defined figure). */
function profileStddev(side: Side, endpoint: string, basis: EndpointChange['basis']): number {
  const e = side.endpoints.get(endpoint);
  if (!e) return 0;
  const values: number[] = [];
  for (const [ingestId, p] of e.perProfile) {
    if (basis === 'cpu_per_request') {
      if (p.requests > 0n) values.push(ratio(p.cpu, p.requests));
    } else {
      const total = side.profileTotals.get(ingestId) ?? 0n;
      if (total > 0n) values.push(ratio(p.cpu, total));
    }
  }
  if (values.length < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

/**
 * The noise rule (NOISE_RULE): a change counts when it exceeds 3 combined standard errors —
 * both sides' sampling errors and the before-period's spread across its profiles — and is at least
 * `minRelative` of the before figure.
 */
export function noiseVerdict(
  before: Pick<SideFigure, 'value' | 'sampling_error'>,
  after: Pick<SideFigure, 'value' | 'sampling_error'>,
  beforeStddev: number,
  minRelative: number,
): Pick<EndpointChange, 'status' | 'delta' | 'relative_change' | 'threshold'> {
  const delta = after.value - before.value;
  const threshold = SIGMAS * Math.sqrt(before.sampling_error ** 2 + after.sampling_error ** 2 + beforeStddev ** 2);
  const relative = before.value > 0 ? delta / before.value : null;
  const changed = Math.abs(delta) > threshold && (relative === null || Math.abs(relative) >= minRelative);
  return {
    status: changed ? (delta > 0 ? 'increased' : 'decreased') : 'unchanged',
    delta,
    relative_change: relative,
    threshold,
  };
}

async function functionMoves(
  db: SqlDatabase,
  query: ChangesQuery,
  before: Side,
  after: Side,
  endpoint: string,
  basis: EndpointChange['basis'],
  limits: ChangesLimits,
): Promise<FunctionMove[]> {
  const totals = async (side: Side) => {
    const loaded = await loadCpuStacks(
      db,
      query.tenant,
      measureSource(query.tenant, selectorOf(query, side.version, [endpoint]), CPU, 'stack'),
      limits.maxStacks,
    );
    const e = side.endpoints.get(endpoint);
    const divisor = basis === 'cpu_per_request' ? (e?.requests ?? 0n) : side.total;
    return new Map(
      functionTotals(weightedStacks(loaded.stacks, loaded.remainder_ns)).map((f) => [
        f.function,
        { self: ratio(f.self_ns, divisor), total: ratio(f.total_ns, divisor) },
      ]),
    );
  };
  const [b, a] = await Promise.all([totals(before), totals(after)]);
  const names = new Set([...b.keys(), ...a.keys()]);
  return [...names]
    .map((name) => {
      const x = b.get(name) ?? { self: 0, total: 0 };
      const y = a.get(name) ?? { self: 0, total: 0 };
      return {
        function: name,
        before_self: x.self,
        after_self: y.self,
        delta_self: y.self - x.self,
        before_total: x.total,
        after_total: y.total,
        delta_total: y.total - x.total,
      };
    })
    .sort((p, q) => Math.abs(q.delta_self) - Math.abs(p.delta_self) || (p.function < q.function ? -1 : 1))
    .slice(0, limits.topFunctions);
}

async function compare(
  db: SqlDatabase,
  query: ChangesQuery,
  before: Side,
  after: Side,
  limits: ChangesLimits,
): Promise<Omit<VersionChange, 'from_version' | 'to_version' | 'at'>> {
  const minRelative = limits.minChangePercent / 100;
  const present = (side: Side, endpoint: string) => {
    const e = side.endpoints.get(endpoint);
    return e !== undefined && (e.cpu > 0n || e.requests > 0n);
  };
  const names = [...new Set([...before.endpoints.keys(), ...after.endpoints.keys()])].sort();
  const endpoints: EndpointChange[] = [];
  const appeared: VersionChange['appeared'] = [];
  const vanished: VersionChange['vanished'] = [];
  for (const endpoint of names) {
    const inBefore = present(before, endpoint);
    const inAfter = present(after, endpoint);
    if (!inBefore && !inAfter) continue;
    if (!inBefore) {
      appeared.push({ endpoint, after: figure(after, endpoint, 'cpu_share') });
      continue;
    }
    if (!inAfter) {
      vanished.push({ endpoint, before: figure(before, endpoint, 'cpu_share') });
      continue;
    }
    const counted =
      (before.endpoints.get(endpoint)?.requests ?? 0n) > 0n && (after.endpoints.get(endpoint)?.requests ?? 0n) > 0n;
    const basis = counted ? 'cpu_per_request' : 'cpu_share';
    const b = figure(before, endpoint, basis);
    const a = figure(after, endpoint, basis);
    const stddev = profileStddev(before, endpoint, basis);
    endpoints.push({
      endpoint,
      basis,
      ...noiseVerdict(b, a, stddev, minRelative),
      before: b,
      after: a,
      before_profiles_stddev: stddev,
      functions: [],
    });
  }
  await Promise.all(
    endpoints
      .filter((e) => e.status !== 'unchanged')
      .map(async (e) => {
        e.functions = await functionMoves(db, query, before, after, e.endpoint, e.basis, limits);
      }),
  );
  endpoints.sort((x, y) => Math.abs(y.relative_change ?? 0) - Math.abs(x.relative_change ?? 0));
  return { endpoints, appeared, vanished };
}

export async function changes(db: SqlDatabase, query: ChangesQuery, limits: ChangesLimits): Promise<ChangesResult> {
  const { fromSec, toSec } = windowSeconds(query.from, query.to);
  const env = query.env ? sql` AND env = ${query.env}` : emptySql;
  const rows = await db.query<VersionRow>(
    sql`SELECT version, toUnixTimestamp(min(start)) AS first_seen, toUnixTimestamp(max(start)) AS last_seen,
        uniqExact(profile_id) AS profiles, max(if(startsWith(period_type, 'cpu'), period, 0)) AS period
      FROM profiles
      WHERE tenant = ${query.tenant} AND service = ${query.service}
        AND start >= toDateTime(${fromSec}) AND start < toDateTime(${toSec})${env}
      GROUP BY version ORDER BY first_seen, version LIMIT ${limits.maxVersions + 1}`,
  );
  const truncated = rows.length > limits.maxVersions;
  const versions = rows.slice(0, limits.maxVersions);
  const sides = await Promise.all(
    versions.map((v) => loadSide(db, query, v.version, BigInt(v.period) > 0n ? BigInt(v.period) : DEFAULT_PERIOD_NS)),
  );
  const changesFound: VersionChange[] = [];
  for (let i = 1; i < sides.length; i += 1) {
    const before = sides[i - 1] as Side;
    const after = sides[i] as Side;
    const at = new Date(Number(versions[i]?.first_seen) * 1000).toISOString();
    changesFound.push({
      from_version: before.version,
      to_version: after.version,
      at,
      ...(await compare(db, query, before, after, limits)),
    });
  }
  return {
    service: query.service,
    from: new Date(query.from * 1000).toISOString(),
    to: new Date(query.to * 1000).toISOString(),
    rule: NOISE_RULE,
    min_relative_change: limits.minChangePercent / 100,
    versions: versions.map((v) => ({
      version: v.version,
      first_seen: new Date(Number(v.first_seen) * 1000).toISOString(),
      last_seen: new Date(Number(v.last_seen) * 1000).toISOString(),
      profiles: Number(v.profiles),
    })),
    changes: changesFound,
    truncated,
  };
}
