import { notFound } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import { sql } from '../platform/sql.js';
import type { SpanHotspots } from './answers.js';
import { topFunctions } from './flame-tree/tree.js';
import { weightedStacks } from './flamegraph.js';
import { cpuProfileWindows, type Profiled, profiledState } from './sql/coverage.js';
import { cpuSource } from './sql/cpu-source.js';
import { hasRootSamples, requestSelector } from './sql/request-spans.js';
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

export async function spanHotspots(
  db: SqlDatabase,
  tenant: string,
  spanId: string,
  limits: SpanHotspotsLimits,
): Promise<SpanHotspots> {
  const [span, loaded, roots, rootSamples] = await Promise.all([
    findSpan(db, tenant, spanId),
    loadCpuStacks(db, tenant, cpuSource(tenant, { kind: 'span', spanId }), limits.maxStacks),
    localRootsOf(db, tenant, spanId),
    hasRootSamples(db, tenant, spanId),
  ]);
  if (!span && loaded.stacks.length === 0 && !rootSamples) {
    throw notFound(`span ${spanId} is unknown: no span and no CPU samples carry this id`);
  }
  const request = await requestSelector(db, tenant, spanId, { maxRequestSpans: limits.maxRequestSpans });
  const isRoot = request !== undefined || roots.includes(spanId);
  const withChildren = request ? await loadCpuTotal(db, cpuSource(tenant, request)) : null;

  let profiled: Profiled | null = null;
  let unexplained: bigint | null = null;
  let spanOut: SpanHotspots['span'] = null;
  if (span) {
    const startNs = BigInt(span.start_ns);
    const durationNs = BigInt(span.duration_ns);
    spanOut = { ...span, start_ns: startNs, duration_ns: durationNs };
    const windows = await cpuProfileWindows(db, tenant, [span.service], startNs, startNs + durationNs);
    profiled = profiledState(windows, { service: span.service, runtimeId: span.runtime_id, startNs, durationNs });
    const onCpu = withChildren ?? loaded.total_ns;
    unexplained = durationNs > onCpu ? durationNs - onCpu : 0n;
  }
  const stacks = weightedStacks(loaded.stacks, loaded.remainder_ns);
  const period = profiled?.sampling_period_ns ?? null;
  return {
    span_id: spanId,
    span: spanOut,
    local_root_span_id: roots[0] ?? (isRoot ? spanId : null),
    is_local_root: isRoot,
    cpu_ns: loaded.total_ns,
    cpu_ns_with_children: withChildren,
    unexplained_ns: unexplained,
    profiled: profiled?.profiled ?? null,
    profile_coverage: profiled?.profile_coverage ?? null,
    sampling_period_ns: period,
    note: "CPU comes from sampled profiles: each sample stands for one sampling period of CPU (10 ms at Go's 100 Hz), so short spans read as 0 or a multiple of it. Unexplained time is off-CPU: I/O, locks, sleeping, or work handed to goroutines that lost the labels.",
    top_functions: {
      self: topFunctions(stacks, 'self_ns', limits.topFunctions),
      total: topFunctions(stacks, 'total_ns', limits.topFunctions),
    },
  };
}
