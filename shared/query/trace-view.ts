import { notFound } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import type { SpanRow, TraceSpanView, TraceView } from './answers.js';
import { timeBreakdown } from './breakdown.js';
import { CPU, LOCK_WAIT, type Measure, sortMeasures, WALL } from './measures.js';
import { profiledState, profileWindows, spanMeasures, windowsOf } from './sql/coverage.js';
import { checkMeasure } from './sql/scope-measures.js';
import { breakdownMeasures, traceMeasureBy } from './sql/span-measures.js';
import { type SpanTree, spanTree } from './sql/span-tree.js';
import { traceSpans, traceTreeSpans } from './sql/spans.js';

/**
 * The span tree that finds local roots and their requests. A truncated view lists some spans only,
 * but a request may reach spans it does not list: the tree is then read from every span of the
 * trace (parentage only), up to `maxTreeSpans`. Past that no request can be summed exactly, and
 * undefined says so (the view answers no request value rather than a smaller one).
 */
async function treeOf(
  db: SqlDatabase,
  tenant: string,
  traceId: string,
  read: { spans: readonly SpanRow[]; complete: boolean },
  maxTreeSpans: number,
): Promise<SpanTree | undefined> {
  if (read.complete) return spanTree(read.spans);
  const all = await traceTreeSpans(db, tenant, traceId, maxTreeSpans + 1);
  return all.length > maxTreeSpans ? undefined : spanTree(all);
}

/**
 * `GET /v1/traces/{trace_id}`: every span of a trace with its CPU, the chosen measure's value
 * (`measure=`, CPU by default), and where its time went (breakdown.ts), for a waterfall.
 */
export async function traceView(
  db: SqlDatabase,
  tenant: string,
  traceId: string,
  maxSpans: number,
  maxTreeSpans: number,
  measure: Measure = CPU,
): Promise<TraceView> {
  await checkMeasure(db, tenant, { kind: 'trace', traceId }, measure);
  const measures = breakdownMeasures(measure);
  const [spans, bySpan, byRoot] = await Promise.all([
    traceSpans(db, tenant, traceId, maxSpans + 1),
    Promise.all(measures.map((m) => traceMeasureBy(db, tenant, traceId, 'span_id', m))),
    Promise.all(measures.map((m) => traceMeasureBy(db, tenant, traceId, 'local_root_span_id', m))),
  ]);
  if (spans.length === 0) throw notFound(`trace ${traceId} has no spans`);
  const kept = spans.slice(0, maxSpans);
  const starts = kept.map((s) => BigInt(s.start_ns));
  const ends = kept.map((s) => BigInt(s.start_ns) + BigInt(s.duration_ns));
  const start = starts.reduce((a, b) => (b < a ? b : a));
  const end = ends.reduce((a, b) => (b > a ? b : a));
  const [windows, tree] = await Promise.all([
    profileWindows(db, tenant, [...new Set(kept.map((s) => s.service))], start, end),
    treeOf(db, tenant, traceId, { spans, complete: spans.length <= maxSpans }, maxTreeSpans),
  ]);
  const index = (m: Measure) => measures.indexOf(m);
  /** A measure's value of a span, and of its request when it is a local root. */
  const valuesOf = (spanId: string, m: Measure) => {
    const own = bySpan[index(m)] as Map<string, bigint>;
    const roots = byRoot[index(m)] as Map<string, bigint>;
    // Samples labelled with a local root id answer directly; without that label, a local root's
    // request is its same-service subtree (see span-tree.ts).
    const withChildren =
      roots.get(spanId) ??
      (tree?.isLocalRoot(spanId)
        ? tree.requestSpanIds(spanId).reduce((sum, id) => sum + (own.get(id) ?? 0n), 0n)
        : null);
    return { own: own.get(spanId) ?? 0n, withChildren };
  };
  const available: Measure[] = [];
  const views = kept.map((s): TraceSpanView => {
    const startNs = BigInt(s.start_ns);
    const durationNs = BigInt(s.duration_ns);
    const covered = { service: s.service, runtimeId: s.runtime_id, startNs, durationNs };
    const cpu = valuesOf(s.span_id, CPU);
    const chosen = valuesOf(s.span_id, measure);
    const onCpu = cpu.withChildren ?? cpu.own;
    const profiled = profiledState(windowsOf(windows, CPU), covered);
    available.push(...spanMeasures(windows, covered));
    const request = cpu.withChildren !== null;
    const timeOf = (m: Measure) => {
      const v = valuesOf(s.span_id, m);
      return {
        ns: request ? (v.withChildren ?? v.own) : v.own,
        profiled: profiledState(windowsOf(windows, m), covered).profiled,
      };
    };
    return {
      span_id: s.span_id,
      parent_id: s.parent_id,
      service: s.service,
      name: s.name,
      resource: s.resource,
      type: s.type,
      error: Number(s.error),
      start_ns: startNs,
      duration_ns: durationNs,
      cpu_ns: cpu.own,
      cpu_ns_with_children: cpu.withChildren,
      unexplained_ns: durationNs > onCpu ? durationNs - onCpu : 0n,
      profiled: profiled.profiled,
      profile_coverage: profiled.profile_coverage,
      value: chosen.own,
      value_with_children: chosen.withChildren,
      breakdown: timeBreakdown({
        scope: request ? 'request' : 'span',
        durationNs,
        cpu: timeOf(CPU),
        wall: timeOf(WALL),
        lockWait: timeOf(LOCK_WAIT),
      }),
    };
  });
  const total = (m: Measure) => [...(bySpan[index(m)] as Map<string, bigint>).values()].reduce((a, b) => a + b, 0n);
  return {
    trace_id: traceId,
    measure: measure.name,
    unit: measure.unit,
    measures: sortMeasures(available).map((m) => m.name),
    start_ns: start,
    duration_ns: end - start,
    cpu_ns: total(CPU),
    value: total(measure),
    spans: views,
    truncated: spans.length > maxSpans,
  };
}
