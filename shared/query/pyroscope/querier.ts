import { badRequest } from '../../platform/errors.js';
import { storedSampleTypeNames } from '../../platform/measure-names.js';
import type { SqlDatabase } from '../../platform/ports.js';
import { identifier, type Sql, sql } from '../../platform/sql.js';
import { MAX_DATETIME_SECONDS } from '../../platform/time.js';
import { encodePprof } from '../flame-tree/pprof-export.js';
import { boundFlameTree, buildFlameTree } from '../flame-tree/tree.js';
import { weightedStacks } from '../flamegraph.js';
import type { Measure } from '../measures.js';
import { windowSeconds } from '../sql/committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from '../sql/cpu-sum.js';
import {
  type LabelMatcher,
  type LabelSelection,
  labelSelectionWhere,
  labelSource,
  labelValue,
  SERVICE_LABEL,
  sanitisedLabelKeys,
} from '../sql/label-source.js';
import { type CpuSource, measureSource } from '../sql/measure-source.js';
import { parseTraceId } from '../sql/selector-params.js';
import { loadCpuStacks } from '../sql/stacks.js';
import { toFlameBearer } from './flamebearer.js';
import { type HeatmapInput, heatmapSeries } from './heatmap.js';
import { parseLabelSelector } from './label-selector.js';
import {
  PROFILE_TYPE_LABEL_NAMES,
  type ProfileTypeRow,
  profileTypeLabels,
  profileTypeOf,
  profileTypeOfMeasure,
  typeMatches,
  typesMatching,
} from './profile-types.js';
import { pprofMessage } from './schema.js';

/**
 * The Pyroscope query API's methods (grafana/pyroscope api/querier/v1/querier.proto) over
 * Hotspots' samples. Requests and answers are plain objects in the protobuf JSON mapping's shape
 * (camelCase, int64 as decimal strings), as connect.ts decodes and encodes them. Times are unix
 * milliseconds; CPU values nanoseconds.
 */
export interface QuerierLimits {
  maxRangeSeconds: number;
  maxResultRows: number;
  maxNodes: number;
  maxStacks: number;
  maxPoints: number;
  maxSeries: number;
  maxSelectorBytes: number;
  maxMatchers: number;
  maxSpanSelectors: number;
  maxTraceSelectors: number;
  maxHeatmapPoints: number;
}

type Request = Record<string, unknown>;
type Message = Record<string, unknown>;

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The window of a request that gives none (start = end = 0): the last hour, as Pyroscope answers. */
const DEFAULT_WINDOW_MS = 3_600_000;

/**
 * A [from, to) window in unix seconds from start/end in milliseconds. Older Grafana versions call
 * ProfileTypes with neither (grafana/grafana#110211); Pyroscope then reads the last hour.
 */
function windowOf(request: Request, limits: QuerierLimits): { from: number; to: number } {
  const unset = Number(request.start ?? 0) === 0 && Number(request.end ?? 0) === 0;
  const now = Date.now();
  const start = unset ? now - DEFAULT_WINDOW_MS : Number(request.start ?? 0);
  const end = unset ? now : Number(request.end ?? 0);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw badRequest(`start and end must be unix milliseconds with 0 <= start < end (got start=${start}, end=${end})`);
  }
  const from = start / 1000;
  const to = end / 1000;
  if (to > MAX_DATETIME_SECONDS)
    throw badRequest('end is past 2106-02-07T06:28:15Z, the last time ClickHouse can store');
  if (to - from > limits.maxRangeSeconds) {
    throw badRequest(`the window [start, end) is wider than the limit of ${limits.maxRangeSeconds} seconds`);
  }
  return { from, to };
}

function selectorsOf(texts: readonly string[], limits: QuerierLimits): LabelMatcher[][] {
  if (texts.length > limits.maxMatchers) throw badRequest(`at most ${limits.maxMatchers} selectors`);
  const selectors = texts.filter((t) => t.trim() !== '').map((t) => parseLabelSelector(t, limits));
  return selectors.length > 0 ? selectors : [[]];
}

/**
 * The profile types of the measures profiles in the window hold, by id. `profiles.sample_types`
 * keeps the names a profile declared; the measures its samples are stored under follow from them
 * by the writer's rule (storedSampleTypeNames), per profile.
 */
async function typesWithData(db: SqlDatabase, tenant: string, from: number, to: number): Promise<ProfileTypeRow[]> {
  const { fromSec, toSec } = windowSeconds(from, to);
  const rows = await db.query<{ declared: string[]; period_type: string }>(
    sql`SELECT DISTINCT sample_types AS declared, period_type FROM profiles
      WHERE tenant = ${tenant} AND start >= toDateTime(${fromSec}) AND start < toDateTime(${toSec})
      ORDER BY period_type`,
  );
  const byId = new Map<string, ProfileTypeRow>();
  for (const row of rows) {
    for (const stored of storedSampleTypeNames(row.declared)) {
      const type = profileTypeOfMeasure(stored, row.period_type);
      if (type === undefined) continue;
      const known = [...byId.values()].some(
        (t) => t.measure.type === type.measure.type && t.measure.unit === type.measure.unit,
      );
      if (!known) byId.set(type.id, type);
    }
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Per selector and per profile type it can match: the selections to read (an OR of them). */
function selections(
  selectors: readonly LabelMatcher[][],
  types: readonly ProfileTypeRow[],
  window: { from: number; to: number },
): { type: ProfileTypeRow; selection: LabelSelection }[] {
  const out: { type: ProfileTypeRow; selection: LabelSelection }[] = [];
  for (const matchers of selectors) {
    const split = typesMatching(matchers, types);
    for (const type of split.types) {
      out.push({
        type,
        selection: { ...window, ...storedOf(type), matchers: split.sampleMatchers },
      });
    }
  }
  return out;
}

/** The stored sample type and unit a profile type reads, as a LabelSelection names them. */
const storedOf = (type: ProfileTypeRow) => ({ sampleType: type.measure.type, sampleUnit: type.measure.unit });

const anyOf = (parts: readonly Sql[]): Sql => parts.reduce((all, part) => sql`${all} OR (${part})`, sql`0`);

export async function profileTypes(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const { from, to } = windowOf(request, limits);
  const types = await typesWithData(db, tenant, from, to);
  return {
    profileTypes: types.map((t) => ({
      ID: t.id,
      name: t.name,
      sampleType: t.sampleType,
      sampleUnit: t.sampleUnit,
      periodType: t.periodType,
      periodUnit: t.periodUnit,
    })),
  };
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function labelNames(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const window = windowOf(request, limits);
  const selectors = selectorsOf(strings(request.matchers), limits);
  const chosen = selections(selectors, await typesWithData(db, tenant, window.from, window.to), window);
  if (chosen.length === 0) return { names: [] };
  const where = anyOf(chosen.map((c) => labelSelectionWhere(tenant, c.selection)));
  const rows = await db.query<{ name: string }>(
    sql`SELECT arrayJoin(arrayConcat([${SERVICE_LABEL}], ${sanitisedLabelKeys})) AS name
      FROM samples WHERE ${where} GROUP BY name ORDER BY name LIMIT ${limits.maxResultRows}`,
  );
  if (rows.length === 0) return { names: [] };
  const names = new Set([...rows.map((r) => r.name), ...PROFILE_TYPE_LABEL_NAMES]);
  return { names: [...names].sort() };
}

export async function labelValues(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const name = String(request.name ?? '');
  if (!LABEL_NAME.test(name))
    throw badRequest(`name must be a label name ([A-Za-z_][A-Za-z0-9_]*), got ${JSON.stringify(name.slice(0, 100))}`);
  const window = windowOf(request, limits);
  const selectors = selectorsOf(strings(request.matchers), limits);
  const chosen = selections(selectors, await typesWithData(db, tenant, window.from, window.to), window);
  if (chosen.length === 0) return { names: [] };
  const where = anyOf(chosen.map((c) => labelSelectionWhere(tenant, c.selection)));
  if (PROFILE_TYPE_LABEL_NAMES.includes(name)) {
    // The types the selected samples hold, not every type of the tenant.
    const held = await db.query<{ t: string }>(
      sql`SELECT concat(sample_type, '/', sample_unit) AS t FROM samples WHERE ${where} GROUP BY t`,
    );
    const measures = new Set(held.map((r) => r.t));
    const values = new Set(
      chosen
        .filter((c) => measures.has(`${c.type.measure.type}/${c.type.measure.unit}`))
        .map((c) => profileTypeLabels(c.type)[name] as string),
    );
    return { names: [...values].sort() };
  }
  const present = name === SERVICE_LABEL ? sql`1` : sql`has(${sanitisedLabelKeys}, ${name})`;
  const rows = await db.query<{ label_value: string }>(
    sql`SELECT ${labelValue(name)} AS label_value FROM samples WHERE (${where}) AND ${present}
      GROUP BY label_value ORDER BY label_value LIMIT ${limits.maxResultRows}`,
  );
  return { names: rows.map((r) => r.label_value) };
}

/** Label pairs sorted by name, absent (empty) values left out, as Pyroscope's label sets. */
function labelPairs(labels: Record<string, string>): { name: string; value: string }[] {
  return Object.entries(labels)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}

export async function series(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const window = windowOf(request, limits);
  const selectors = selectorsOf(strings(request.matchers), limits);
  const requested = strings(request.labelNames);
  for (const name of requested)
    if (!LABEL_NAME.test(name)) throw badRequest(`label_names: bad label name ${JSON.stringify(name.slice(0, 100))}`);
  if (requested.length > limits.maxMatchers) throw badRequest(`at most ${limits.maxMatchers} label_names`);
  // Without label_names, a series is a service and profile type: sample labels (span ids
  // among them) would make a series per request.
  const names = requested.length > 0 ? [...new Set(requested)] : [SERVICE_LABEL, ...PROFILE_TYPE_LABEL_NAMES];
  const sampleNames = names.filter((n) => !PROFILE_TYPE_LABEL_NAMES.includes(n));
  const types = await typesWithData(db, tenant, window.from, window.to);
  const chosen = selections(selectors, types, window);
  const sets = new Map<string, { name: string; value: string }[]>();
  for (const type of types) {
    const ofType = chosen.filter((c) => c.type === type);
    if (ofType.length === 0) continue;
    const where = anyOf(ofType.map((c) => labelSelectionWhere(tenant, c.selection)));
    const columns = sampleNames.map((n, i) => sql`${labelValue(n)} AS ${identifier(`v${i}`)}`);
    const rows = await db.query<Record<string, string>>(
      columns.length === 0
        ? sql`SELECT 1 AS one FROM samples WHERE ${where} LIMIT 1`
        : sql`SELECT ${columns.reduce((all, c) => sql`${all}, ${c}`)} FROM samples WHERE ${where}
            GROUP BY ${sampleNames.map((_, i) => identifier(`v${i}`)).reduce((all, c) => sql`${all}, ${c}`)}
            LIMIT ${limits.maxResultRows}`,
    );
    const typeLabels = profileTypeLabels(type);
    for (const row of rows) {
      const labels: Record<string, string> = {};
      for (const n of names) if (PROFILE_TYPE_LABEL_NAMES.includes(n)) labels[n] = typeLabels[n] as string;
      sampleNames.forEach((n, i) => {
        labels[n] = row[`v${i}`] ?? '';
      });
      const pairs = labelPairs(labels);
      sets.set(JSON.stringify(pairs), pairs);
    }
  }
  return { labelsSet: [...sets.values()].slice(0, limits.maxResultRows).map((labels) => ({ labels })) };
}

/** Span selectors: 16 hex digits each (a span's `pyroscope.profile.id`), as decimal ids. */
function spanIdsOf(value: unknown, limits: QuerierLimits): string[] {
  const ids = strings(value);
  if (ids.length > limits.maxSpanSelectors) throw badRequest(`at most ${limits.maxSpanSelectors} span selectors`);
  return ids.map((id) => {
    if (!/^[0-9a-fA-F]{16}$/.test(id)) {
      throw badRequest(`span_selector ${JSON.stringify(id.slice(0, 40))} must be 16 hex digits`);
    }
    return BigInt(`0x${id}`).toString();
  });
}

/** Trace id selectors: 32 hex digits (or 16, or a decimal 64-bit id), as the stored form. */
function traceIdsOf(value: unknown, limits: QuerierLimits): string[] {
  const ids = strings(value);
  if (ids.length > limits.maxTraceSelectors) throw badRequest(`at most ${limits.maxTraceSelectors} trace id selectors`);
  return ids.map((id) => {
    try {
      return parseTraceId(id);
    } catch {
      throw badRequest(`trace_id_selector ${JSON.stringify(id.slice(0, 40))} must be 32 hex digits`);
    }
  });
}

function unsupportedSelectors(request: Request): void {
  const stackTrace = request.stackTraceSelector as { callSite?: unknown[]; goPgo?: unknown } | null | undefined;
  if (stackTrace && ((stackTrace.callSite?.length ?? 0) > 0 || stackTrace.goPgo)) {
    throw badRequest('stack_trace_selector is not supported by Hotspots');
  }
  if (strings(request.profileIdSelector).length > 0)
    throw badRequest('profile_id_selector is not supported by Hotspots');
}

interface StackQuery {
  type: ProfileTypeRow | undefined;
  matchers: LabelMatcher[];
  window: { from: number; to: number };
  spanIds?: string[];
  traceIds?: string[];
}

function stackQueryOf(request: Request, limits: QuerierLimits, spanSelector: unknown): StackQuery {
  const type = profileTypeOf(String(request.profileTypeID ?? ''));
  const matchers = parseLabelSelector(String(request.labelSelector ?? '') || '{}', limits);
  const window = windowOf(request, limits);
  const spans = spanIdsOf(spanSelector, limits);
  const traces = traceIdsOf(request.traceIdSelector, limits);
  return {
    type,
    matchers,
    window,
    ...(spans.length > 0 ? { spanIds: spans } : {}),
    ...(traces.length > 0 ? { traceIds: traces } : {}),
  };
}

/** The selection of a stack query; `undefined` when its type is unknown or its matchers rule the type out. */
function selectionOf(query: StackQuery): LabelSelection | undefined {
  if (query.type === undefined || !typeMatches(query.type, query.matchers)) return undefined;
  return {
    ...query.window,
    ...storedOf(query.type),
    matchers: typesMatching(query.matchers, [query.type]).sampleMatchers,
    ...(query.spanIds ? { spanIds: query.spanIds } : {}),
    ...(query.traceIds ? { traceIds: query.traceIds } : {}),
  };
}

async function loadStacks(db: SqlDatabase, tenant: string, query: StackQuery, limits: QuerierLimits) {
  const selection = selectionOf(query);
  if (selection === undefined || query.type === undefined) return undefined;
  return loadCpuStacks(db, tenant, stacksSource(tenant, selection, query.type.measure), limits.maxStacks);
}

/**
 * Where a selection's stacks are read. A whole service (the flame graph Grafana opens first) comes
 * from the per-stack roll-up for CPU, and spans of at most one service from the samples sorted by
 * span id (the measure's span lookup), as /v1/flamegraph reads them: the same figures from far
 * fewer rows. Any other selection, and every trace id selection, reads the labelled samples.
 */
function stacksSource(tenant: string, selection: LabelSelection, measure: Measure): CpuSource {
  const services = selection.matchers.filter((m) => m.name === SERVICE_LABEL && m.op === '=').map((m) => m.value);
  const onlyServices = services.length === selection.matchers.length && new Set(services).size <= 1;
  const [service] = services;
  if (!onlyServices || selection.traceIds !== undefined) return labelSource(tenant, selection);
  if (selection.spanIds !== undefined) {
    const spans = measureSource(tenant, { kind: 'span_set', spanIds: selection.spanIds }, measure);
    const { fromSec, toSec } = windowSeconds(selection.from, selection.to);
    const ofService = service === undefined ? sql`` : sql` AND service = ${service}`;
    return {
      ...spans,
      where: sql`${spans.where} AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})${ofService}`,
    };
  }
  if (service === undefined) return labelSource(tenant, selection);
  return measureSource(tenant, { kind: 'service', service, from: selection.from, to: selection.to }, measure, 'stack');
}

/** The sample type of a pprof answer: the measure's stored type and unit (CPU when none is selected). */
const sampleTypeOf = (type: ProfileTypeRow | undefined) =>
  type === undefined ? {} : { sampleType: { type: type.measure.type, unit: type.measure.unit } };

function maxNodesOf(request: Request, limits: QuerierLimits): number {
  const requested = Number(request.maxNodes ?? 0);
  if (!Number.isFinite(requested) || requested <= 0) return limits.maxNodes;
  return Math.max(2, Math.min(requested, limits.maxNodes));
}

async function flameGraphOf(
  db: SqlDatabase,
  tenant: string,
  request: Request,
  query: StackQuery,
  limits: QuerierLimits,
): Promise<Message> {
  const format = String(request.format ?? 'PROFILE_FORMAT_UNSPECIFIED');
  if (
    format !== 'PROFILE_FORMAT_UNSPECIFIED' &&
    format !== 'PROFILE_FORMAT_FLAMEGRAPH' &&
    format !== 'PROFILE_FORMAT_PPROF'
  ) {
    throw badRequest(`format ${format} is not supported by Hotspots (flame graph or pprof)`);
  }
  const loaded = await loadStacks(db, tenant, query, limits);
  if (format === 'PROFILE_FORMAT_PPROF') {
    const bytes = encodePprof(loaded?.stacks ?? [], {
      remainderNs: loaded?.remainder_ns ?? 0n,
      ...sampleTypeOf(query.type),
    });
    return { pprof: { profile: pprofMessage(bytes) } };
  }
  const stacks = loaded ? weightedStacks(loaded.stacks, loaded.remainder_ns) : [];
  const { tree } = boundFlameTree(buildFlameTree(stacks, 'total'), maxNodesOf(request, limits));
  const bearer = toFlameBearer(tree);
  return {
    flamegraph: {
      names: bearer.names,
      levels: bearer.levels.map((level) => ({ values: level.values.map(String) })),
      total: bearer.total.toString(),
      maxSelf: bearer.maxSelf.toString(),
    },
  };
}

export async function selectMergeStacktraces(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  unsupportedSelectors(request);
  return flameGraphOf(db, tenant, request, stackQueryOf(request, limits, request.spanSelector), limits);
}

export async function selectMergeSpanProfile(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const query = stackQueryOf(request, limits, request.spanSelector);
  if (String(request.format ?? '') === 'PROFILE_FORMAT_PPROF') {
    throw badRequest('format PROFILE_FORMAT_PPROF is not supported by SelectMergeSpanProfile');
  }
  // No span selected: no span's samples (an empty flame graph), as Pyroscope answers.
  const selected = query.spanIds === undefined ? { ...query, type: undefined } : query;
  const { flamegraph } = await flameGraphOf(db, tenant, request, selected, limits);
  return { flamegraph };
}

/** google.v1.Profile bytes (not gzipped): the merged profile of a selection. */
export async function selectMergeProfile(
  db: SqlDatabase,
  tenant: string,
  request: Request,
  limits: QuerierLimits,
): Promise<Uint8Array> {
  unsupportedSelectors(request);
  const query = stackQueryOf(request, limits, []);
  const loaded = await loadStacks(db, tenant, query, limits);
  const { from, to } = query.window;
  return encodePprof(loaded?.stacks ?? [], {
    remainderNs: loaded?.remainder_ns ?? 0n,
    ...sampleTypeOf(query.type),
    startNs: BigInt(Math.round(from * 1000)) * 1_000_000n,
    durationNs: BigInt(Math.round((to - from) * 1000)) * 1_000_000n,
  });
}

function groupByOf(request: Request, limits: QuerierLimits): string[] {
  const groupBy = [...new Set(strings(request.groupBy))];
  for (const name of groupBy)
    if (!LABEL_NAME.test(name)) throw badRequest(`group_by: bad label name ${JSON.stringify(name.slice(0, 100))}`);
  if (groupBy.length > limits.maxMatchers) throw badRequest(`at most ${limits.maxMatchers} group_by labels`);
  return groupBy;
}

/** The values of the group_by labels, as an Array(String) expression over `samples`. */
function groupKeys(groupBy: readonly string[], type: ProfileTypeRow): Sql {
  if (groupBy.length === 0) return sql`emptyArrayString()`;
  const typeLabels = profileTypeLabels(type);
  const columns = groupBy.map((n) =>
    PROFILE_TYPE_LABEL_NAMES.includes(n) ? sql`${typeLabels[n] as string}` : labelValue(n),
  );
  return sql`[${columns.reduce((all, c) => sql`${all}, ${c}`)}]`;
}

export async function selectSeries(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  unsupportedSelectors(request);
  const query = stackQueryOf(request, limits, []);
  const groupBy = groupByOf(request, limits);
  const stepSeconds = Number(request.step ?? 0);
  if (!Number.isFinite(stepSeconds) || stepSeconds <= 0) throw badRequest('step must be a number of seconds > 0');
  const step = Math.max(1, Math.round(stepSeconds));
  const { fromSec, toSec } = windowSeconds(query.window.from, query.window.to);
  const points = Math.ceil((toSec - fromSec) / step);
  if (points > limits.maxPoints) {
    throw badRequest(
      `step ${step} s gives ${points} points over this window, more than the limit of ${limits.maxPoints}`,
    );
  }
  const aggregation = String(request.aggregation ?? 'TIME_SERIES_AGGREGATION_TYPE_SUM');
  const limit = Number(request.limit ?? 0);
  const selection = selectionOf(query);
  if (selection === undefined || query.type === undefined) return { series: [] };
  const where = labelSelectionWhere(tenant, selection);
  const rows = await db.query<
    { t: number | string; group_key: string[]; profile_count: string | number } & CpuSumRow<'cpu'>
  >(
    sql`SELECT ${fromSec} + intDiv(toUInt32(ts) - ${fromSec}, ${step}) * ${step} AS t, ${groupKeys(groupBy, query.type)} AS group_key,
        ${cpuSumColumns('cpu')}, uniqExact(profile_id) AS profile_count
      FROM samples WHERE ${where}
      GROUP BY t, group_key ORDER BY t, group_key`,
  );
  const bySeries = new Map<
    string,
    { labels: Record<string, string>; total: bigint; points: { t: number; value: number }[] }
  >();
  for (const row of rows) {
    const id = JSON.stringify(row.group_key);
    let entry = bySeries.get(id);
    if (!entry) {
      const labels: Record<string, string> = {};
      groupBy.forEach((n, i) => {
        labels[n] = row.group_key[i] ?? '';
      });
      entry = { labels, total: 0n, points: [] };
      bySeries.set(id, entry);
    }
    const cpu = cpuSumOf(row, 'cpu');
    entry.total += cpu;
    const value =
      aggregation === 'TIME_SERIES_AGGREGATION_TYPE_AVERAGE' ? Number(cpu) / Number(row.profile_count) : Number(cpu);
    entry.points.push({ t: Number(row.t), value });
  }
  const ranked = [...bySeries.values()].sort((a, b) => (a.total !== b.total ? (a.total > b.total ? -1 : 1) : 0));
  const kept = ranked.slice(0, Math.min(limits.maxSeries, limit > 0 ? limit : limits.maxSeries));
  return {
    series: kept.map((s) => ({
      labels: labelPairs(s.labels),
      points: s.points.map((p) => ({ value: p.value, timestamp: String(p.t * 1000) })),
    })),
  };
}

/**
 * SelectHeatmap: how many profiles (HEATMAP_QUERY_TYPE_INDIVIDUAL, the default) or spans
 * (HEATMAP_QUERY_TYPE_SPAN) had how much CPU, per time slot, per `group_by` series. A point's time
 * is its profile's start (a span's: the first of its profiles). More than `maxHeatmapPoints`
 * points is a 400 asking for a narrower selection.
 */
export async function selectHeatmap(db: SqlDatabase, tenant: string, request: Request, limits: QuerierLimits) {
  const query = stackQueryOf(request, limits, []);
  const groupBy = groupByOf(request, limits);
  const stepSeconds = Number(request.step ?? 0);
  if (!Number.isFinite(stepSeconds) || stepSeconds <= 0) throw badRequest('step must be a number of seconds > 0');
  const stepMs = Math.max(1000, Math.round(stepSeconds) * 1000);
  const start = Number(request.start);
  const end = Number(request.end);
  if ((end - start) / stepMs > limits.maxPoints) {
    throw badRequest(`step ${stepMs / 1000} s gives more than ${limits.maxPoints} slots over this window`);
  }
  const bySpan = String(request.queryType ?? '') === 'HEATMAP_QUERY_TYPE_SPAN';
  const exemplarType = String(request.exemplarType ?? 'EXEMPLAR_TYPE_UNSPECIFIED');
  const exemplars =
    exemplarType === 'EXEMPLAR_TYPE_NONE' || exemplarType === 'EXEMPLAR_TYPE_UNSPECIFIED'
      ? 'none'
      : bySpan
        ? 'span'
        : 'profile';
  const selection = selectionOf(query);
  if (selection === undefined || query.type === undefined) return { series: [] };
  const where = labelSelectionWhere(tenant, selection);
  const keys = groupKeys(groupBy, query.type);
  const id = bySpan ? sql`toString(span_id)` : sql`profile_id`;
  const rows = await db.query<{ group_key: string[]; id: string; t: number | string } & CpuSumRow<'cpu'>>(
    sql`SELECT ${keys} AS group_key, ${id} AS id, toUInt32(min(ts)) AS t, ${cpuSumColumns('cpu')}
      FROM samples WHERE ${where}${bySpan ? sql` AND span_id != 0` : sql``}
      GROUP BY group_key, id LIMIT ${limits.maxHeatmapPoints + 1}`,
  );
  if (rows.length > limits.maxHeatmapPoints) {
    throw badRequest(`more than ${limits.maxHeatmapPoints} heatmap points: narrow the selector or the window`);
  }
  const series = new Map<string, HeatmapInput & { total: bigint }>();
  for (const row of rows) {
    const key = JSON.stringify(row.group_key);
    let entry = series.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      groupBy.forEach((n, i) => {
        labels[n] = row.group_key[i] ?? '';
      });
      entry = { labels: labelPairs(labels), points: [], total: 0n };
      series.set(key, entry);
    }
    const value = cpuSumOf(row, 'cpu');
    entry.total += value;
    const pointId = bySpan ? BigInt(row.id).toString(16).padStart(16, '0') : row.id;
    entry.points.push({ timestamp: Number(row.t) * 1000, value, id: pointId });
  }
  const limit = Number(request.limit ?? 0);
  const ranked = [...series.values()].sort((a, b) => (a.total !== b.total ? (a.total > b.total ? -1 : 1) : 0));
  const kept = ranked.slice(0, Math.min(limits.maxSeries, limit > 0 ? limit : limits.maxSeries));
  return { series: heatmapSeries(kept, { start, end, stepMs }, exemplars) };
}

export async function getProfileStats(db: SqlDatabase, tenant: string) {
  const rows = await db.query<{ n: string | number; oldest: string | number; newest: string | number }>(
    sql`SELECT count() AS n, toUInt32(min(start)) AS oldest, toUInt32(max(start)) AS newest FROM profiles WHERE tenant = ${tenant}`,
  );
  const row = rows[0];
  const ingested = row !== undefined && Number(row.n) > 0;
  return {
    dataIngested: ingested,
    oldestProfileTime: ingested ? String(Number(row.oldest) * 1000) : '0',
    newestProfileTime: ingested ? String(Number(row.newest) * 1000) : '0',
  };
}
