import { notFound } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import type { SpanRow, TraceSpanView, TraceView } from './answers.js';
import { committedByProfileIds } from './sql/committed.js';
import { cpuProfileWindows, profiledState } from './sql/coverage.js';
import { traceSpanIds } from './sql/cpu-source.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from './sql/cpu-sum.js';
import { type SpanTree, spanTree } from './sql/span-tree.js';
import { traceSpans, traceTreeSpans } from './sql/spans.js';

async function cpuBy(db: SqlDatabase, tenant: string, traceId: string, by: 'span_id' | 'local_root_span_id') {
  const table = by === 'span_id' ? sql`samples_by_span` : sql`samples_by_root`;
  const column = by === 'span_id' ? sql`span_id` : sql`local_root_span_id`;
  const key = sql`tenant = ${tenant} AND ${column} IN (${traceSpanIds(tenant, traceId)})`;
  const rows = await db.query<{ id: string } & CpuSumRow<'cpu'>>(
    sql`SELECT toString(${column}) AS id, ${cpuSumColumns('cpu')} FROM ${table}
      WHERE ${key} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM ${table} WHERE ${key}`)}
      GROUP BY ${column}`,
  );
  return new Map(rows.map((r) => [r.id, cpuSumOf(r, 'cpu')]));
}

/**
 * The span tree that finds local roots and their requests. A truncated view lists some spans only,
 * but a request may reach spans it does not list: the tree is then read from every span of the
 * trace (parentage only), up to `maxTreeSpans`. Past that no request can be summed exactly, and
 * undefined says so (the view answers no request CPU rather than a smaller one).
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

export async function traceView(
  db: SqlDatabase,
  tenant: string,
  traceId: string,
  maxSpans: number,
  maxTreeSpans: number,
): Promise<TraceView> {
  const [spans, cpuBySpan, cpuByRoot] = await Promise.all([
    traceSpans(db, tenant, traceId, maxSpans + 1),
    cpuBy(db, tenant, traceId, 'span_id'),
    cpuBy(db, tenant, traceId, 'local_root_span_id'),
  ]);
  if (spans.length === 0) throw notFound(`trace ${traceId} has no spans`);
  const kept = spans.slice(0, maxSpans);
  const starts = kept.map((s) => BigInt(s.start_ns));
  const ends = kept.map((s) => BigInt(s.start_ns) + BigInt(s.duration_ns));
  const start = starts.reduce((a, b) => (b < a ? b : a));
  const end = ends.reduce((a, b) => (b > a ? b : a));
  const [windows, tree] = await Promise.all([
    cpuProfileWindows(db, tenant, [...new Set(kept.map((s) => s.service))], start, end),
    treeOf(db, tenant, traceId, { spans, complete: spans.length <= maxSpans }, maxTreeSpans),
  ]);
  const views = kept.map((s): TraceSpanView => {
    const startNs = BigInt(s.start_ns);
    const durationNs = BigInt(s.duration_ns);
    const cpu = cpuBySpan.get(s.span_id) ?? 0n;
    // Samples labelled with a local root id answer directly; without that label, a local root's
    // request is its same-service subtree (see span-tree.ts).
    const withChildren =
      cpuByRoot.get(s.span_id) ??
      (tree?.isLocalRoot(s.span_id)
        ? tree.requestSpanIds(s.span_id).reduce((sum, id) => sum + (cpuBySpan.get(id) ?? 0n), 0n)
        : null);
    const onCpu = withChildren ?? cpu;
    const profiled = profiledState(windows, { service: s.service, runtimeId: s.runtime_id, startNs, durationNs });
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
      cpu_ns: cpu,
      cpu_ns_with_children: withChildren,
      unexplained_ns: durationNs > onCpu ? durationNs - onCpu : 0n,
      profiled: profiled.profiled,
      profile_coverage: profiled.profile_coverage,
    };
  });
  return {
    trace_id: traceId,
    start_ns: start,
    duration_ns: end - start,
    cpu_ns: [...cpuBySpan.values()].reduce((a, b) => a + b, 0n),
    spans: views,
    truncated: spans.length > maxSpans,
  };
}
