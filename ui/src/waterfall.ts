import type { Json, TraceSpanView, TraceView } from '../../shared/query/answers.js';

/**
 * Lays out the spans of `GET /v1/traces/{id}` as a waterfall: parents before children (by start
 * time), each row with its depth, its place on the trace's time axis, and how much of its duration
 * was on CPU. Pure, unit-tested.
 */

/** A span of `GET /v1/traces/{id}`, as the UI receives it. */
export type TraceSpan = Json<TraceSpanView>;
export type TraceBody = Json<TraceView>;

export interface WaterfallRow {
  span: TraceSpan;
  depth: number;
  /** Start and width on the trace's axis, as fractions of the trace's duration. */
  offset: number;
  width: number;
  /** CPU the API counts against this span's duration: its request's when it is a local root. */
  onCpuNs: number;
  /** Part of the span's bar that is on CPU (≤ 1; parallel goroutines can exceed the duration). */
  cpuFraction: number;
  /** On-CPU time exceeds the duration (work ran on several cores at once). */
  cpuExceedsDuration: boolean;
  /**
   * Where the time went by the runtime's categories, when its profiles report wall time (Node:
   * CPU, Uncategorized; Python: CPU, Lock Wait, Uncategorized): each category's share of the
   * span's bar (they fill it). Empty otherwise: the bar is split into CPU and unexplained time.
   */
  segments: { category: string; ns: number; fraction: number }[];
}

/** The wall-based categories of a span as shares of its bar (see WaterfallRow.segments). */
export function wallSegments(span: TraceSpan): WaterfallRow['segments'] {
  const breakdown = span.breakdown;
  if (!breakdown?.profiled || breakdown.rest_of !== 'wall') return [];
  const whole = breakdown.categories.reduce((sum, c) => sum + c.ns, 0);
  return breakdown.categories.map((c) => ({
    category: c.category,
    ns: c.ns,
    fraction: whole > 0 ? c.ns / whole : 0,
  }));
}

export function layoutWaterfall(trace: TraceBody): WaterfallRow[] {
  const ids = new Set(trace.spans.map((s) => s.span_id));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of trace.spans) {
    if (span.parent_id !== '0' && ids.has(span.parent_id) && span.parent_id !== span.span_id) {
      children.set(span.parent_id, [...(children.get(span.parent_id) ?? []), span]);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a: TraceSpan, b: TraceSpan) => a.start_ns - b.start_ns || (a.span_id < b.span_id ? -1 : 1);
  const total = Math.max(1, trace.duration_ns);
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (span: TraceSpan, depth: number) => {
    if (seen.has(span.span_id)) return;
    seen.add(span.span_id);
    const onCpuNs = span.cpu_ns_with_children ?? span.cpu_ns;
    rows.push({
      span,
      depth,
      offset: Math.min(1, Math.max(0, (span.start_ns - trace.start_ns) / total)),
      width: Math.min(1, Math.max(0, span.duration_ns / total)),
      onCpuNs,
      cpuFraction: span.duration_ns > 0 ? Math.min(1, onCpuNs / span.duration_ns) : onCpuNs > 0 ? 1 : 0,
      cpuExceedsDuration: onCpuNs > span.duration_ns,
      segments: wallSegments(span),
    });
    for (const child of (children.get(span.span_id) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);
  // Spans caught in a parent cycle (bad data) are still shown, at the top level.
  for (const span of [...trace.spans].sort(byStart)) visit(span, 0);
  return rows;
}
