import { notFound } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import type { SpanHotspots, TimeBreakdown } from './answers.js';
import { type MeasuredTime, timeBreakdown } from './breakdown.js';
import { topFunctions } from './flame-tree/tree.js';
import { weightedStacks } from './flamegraph.js';
import { CPU, isCpu, LOCK_WAIT, type Measure, WALL } from './measures.js';
import { type Profiled, profiledState, profileWindows, spanMeasures, windowsOf } from './sql/coverage.js';
import { measureSource } from './sql/measure-source.js';
import { hasRootSamples, requestSelector } from './sql/request-spans.js';
import { checkMeasure } from './sql/scope-measures.js';
import { findSpan } from './sql/spans.js';
import { loadCpuStacks, loadCpuTotal } from './sql/stacks.js';

export interface SpanHotspotsLimits {
  maxStacks: number;
  topFunctions: number;
  maxRequestSpans: number;
}

async function localRootsOf(db: SqlDatabase, tenant: string, spanId: string): Promise<string[]> {
  const rows = await db.query<{ root: string }>(
    sql`SELECT DISTINCT toString(local_root_span_id) AS root FROM samples_by_span
      WHERE tenant = ${tenant} AND span_id = ${BigInt(spanId)} AND local_root_span_id != 0`,
  );
  return rows.map((r) => r.root);
}

/** A measure's sum over a span's samples, and over its request's when the span is a local root. */
async function spanTotals(
  db: SqlDatabase,
  tenant: string,
  spanId: string,
  measure: Measure,
  limits: SpanHotspotsLimits,
): Promise<{ own: bigint; withChildren: bigint | null }> {
  const [own, request] = await Promise.all([
    loadCpuTotal(db, measureSource(tenant, { kind: 'span', spanId }, measure)),
    requestSelector(db, tenant, spanId, { maxRequestSpans: limits.maxRequestSpans, measure }),
  ]);
  return { own, withChildren: request ? await loadCpuTotal(db, measureSource(tenant, request, measure)) : null };
}

/**
 * `GET /v1/spans/{span_id}/hotspots?measure=`: the span's CPU, the chosen measure's value and top
 * functions, and where its time went (breakdown.ts): for a local root, its request's.
 */
export async function spanHotspots(
  db: SqlDatabase,
  tenant: string,
  spanId: string,
  limits: SpanHotspotsLimits,
  measure: Measure = CPU,
): Promise<SpanHotspots> {
  await checkMeasure(db, tenant, { kind: 'span', spanId }, measure);
  const [span, loaded, roots, rootSamples, cpu, wall, lockWait] = await Promise.all([
    findSpan(db, tenant, spanId),
    loadCpuStacks(db, tenant, measureSource(tenant, { kind: 'span', spanId }, measure), limits.maxStacks),
    localRootsOf(db, tenant, spanId),
    hasRootSamples(db, tenant, spanId, measure),
    spanTotals(db, tenant, spanId, CPU, limits),
    spanTotals(db, tenant, spanId, WALL, limits),
    spanTotals(db, tenant, spanId, LOCK_WAIT, limits),
  ]);
  if (!span && loaded.stacks.length === 0 && !rootSamples) {
    const what = isCpu(measure) ? 'CPU' : JSON.stringify(measure.name);
    throw notFound(`span ${spanId} is unknown: no span and no ${what} samples carry this id`);
  }
  const chosen = isCpu(measure)
    ? cpu
    : measure === WALL
      ? wall
      : measure === LOCK_WAIT
        ? lockWait
        : await spanTotals(db, tenant, spanId, measure, limits);
  const isRoot = cpu.withChildren !== null || roots.includes(spanId);

  let profiled: Profiled | null = null;
  let unexplained: bigint | null = null;
  let spanOut: SpanHotspots['span'] = null;
  let breakdown: TimeBreakdown | null = null;
  let measures: string[] = [];
  if (span) {
    const startNs = BigInt(span.start_ns);
    const durationNs = BigInt(span.duration_ns);
    spanOut = { ...span, start_ns: startNs, duration_ns: durationNs };
    const covered = { service: span.service, runtimeId: span.runtime_id, startNs, durationNs };
    const windows = await profileWindows(db, tenant, [span.service], startNs, startNs + durationNs);
    profiled = profiledState(windowsOf(windows, CPU), covered);
    measures = spanMeasures(windows, covered).map((m) => m.name);
    const onCpu = cpu.withChildren ?? cpu.own;
    unexplained = durationNs > onCpu ? durationNs - onCpu : 0n;
    const request = cpu.withChildren !== null;
    const timeOf = (m: Measure, totals: { own: bigint; withChildren: bigint | null }): MeasuredTime => ({
      ns: request ? (totals.withChildren ?? totals.own) : totals.own,
      profiled: profiledState(windowsOf(windows, m), covered).profiled,
    });
    breakdown = timeBreakdown({
      scope: request ? 'request' : 'span',
      durationNs,
      cpu: timeOf(CPU, cpu),
      wall: timeOf(WALL, wall),
      lockWait: timeOf(LOCK_WAIT, lockWait),
    });
  }
  const stacks = weightedStacks(loaded.stacks, loaded.remainder_ns);
  const period = profiled?.sampling_period_ns ?? null;
  return {
    span_id: spanId,
    measure: measure.name,
    unit: measure.unit,
    measures,
    span: spanOut,
    local_root_span_id: roots[0] ?? (isRoot ? spanId : null),
    is_local_root: isRoot,
    cpu_ns: cpu.own,
    cpu_ns_with_children: cpu.withChildren,
    value: loaded.total_ns,
    value_with_children: chosen.withChildren,
    unexplained_ns: unexplained,
    breakdown,
    profiled: profiled?.profiled ?? null,
    profile_coverage: profiled?.profile_coverage ?? null,
    sampling_period_ns: period,
    note: "CPU comes from sampled profiles: each sample stands for one sampling period of CPU (10 ms at Go's 100 Hz), so short spans read as 0 or a multiple of it. Unexplained time is off-CPU: I/O, locks, sleeping, or work handed to goroutines that lost the labels. The breakdown splits it further where the runtime reports wall time and lock wait.",
    top_functions: {
      self: topFunctions(stacks, 'self_ns', limits.topFunctions),
      total: topFunctions(stacks, 'total_ns', limits.topFunctions),
    },
  };
}
