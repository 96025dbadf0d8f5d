/**
 * The answers of the query routes, as the use cases return them. Types only, with no imports, so
 * the browser UI imports them too (type-only, as `Json<…>`: what JSON.parse makes of them).
 * 64-bit figures are bigint here and bare JSON numbers on the wire (platform/json.ts).
 */

/** A value as the browser's JSON.parse reads it: every bigint a number. */
export type Json<T> = T extends bigint
  ? number
  : T extends (infer Item)[]
    ? Json<Item>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type GroupBy = 'endpoint' | 'version';

/** `GET /v1/services` and `GET /v1/endpoints?service=`: what there is to look at. */
export interface ServiceEntry {
  service: string;
  /** The measures its profiles of the window hold (`cpu`, `wall`, `lock-wait`, else `type/unit`). */
  measures: string[];
  profiles: number;
  last_profile_at: string | null;
  spans: number;
  last_span_at: string | null;
}

/**
 * Every query answer names its measure (`measure`, `unit`) and gives measure-neutral figures
 * (`value`, `total_value`, …). The `cpu_ns` figures of the service-wide answers are there when the
 * measure is CPU (equal to the neutral ones); span and trace answers always give CPU as `cpu_ns`.
 */
export interface MeasureOfAnswer {
  /** `cpu`, `wall`, `lock-wait` or a stored `type/unit`. */
  measure: string;
  unit: string;
}

export interface EndpointCpu {
  endpoint: string | null;
  value: bigint;
  cpu_ns?: bigint;
  share: number;
  requests?: bigint;
  value_per_request?: number;
  cpu_ns_per_request?: number;
}

export interface EndpointCpuResult extends MeasureOfAnswer {
  service: string;
  from: string;
  to: string;
  /** The stored `type/unit` of the measure. */
  sample_type: string;
  total_value: bigint;
  total_cpu_ns?: bigint;
  endpoints: EndpointCpu[];
  truncated: boolean;
}

export interface Series {
  key: string | null;
  other?: true;
  total_value: bigint;
  total_cpu_ns?: bigint;
  points: { t: number; value: bigint; cpu_ns?: bigint }[];
}

export interface TimeseriesResult extends MeasureOfAnswer {
  service: string;
  from: number;
  to: number;
  step: number;
  group_by: GroupBy;
  timestamps: number[];
  total_value: bigint;
  total_cpu_ns?: bigint;
  series: Series[];
}

export type BreakdownCategory = 'CPU' | 'Lock Wait' | 'Off-CPU' | 'Uncategorized';

/**
 * Where a span's (or, for a local root, its request's) time went (shared/query/breakdown.ts). A
 * figure is null when no profile holding its measure covered the span: "not profiled", never 0.
 * `wall_ns` is max(sampled wall, CPU) — a thread cannot use more CPU than the time that passed;
 * `sampled_wall_ns` is the wall samples' own sum. `rest_ns` is max(duration, wall) − CPU − lock
 * wait when wall was profiled (`rest_of: 'wall'`), else duration − CPU (`rest_of: 'duration'`);
 * the categories are the runtime's: Go CPU, Off-CPU; Node CPU, Uncategorized; Python CPU, Lock
 * Wait, Uncategorized.
 */
export interface TimeBreakdown {
  scope: 'span' | 'request';
  profiled: boolean;
  duration_ns: bigint;
  cpu_ns: bigint | null;
  wall_ns: bigint | null;
  sampled_wall_ns: bigint | null;
  lock_wait_ns: bigint | null;
  rest_ns: bigint | null;
  rest_of: 'wall' | 'duration' | null;
  categories: { category: BreakdownCategory; ns: bigint }[];
}

/**
 * `GET /v1/spans/{span_id}/hotspots` (DESIGN.md "Semantics"): the span, its on-CPU time (samples
 * labelled with it), the CPU of its request when it is a local root (samples whose local root
 * is this span, spawned goroutines included), the unexplained rest of its duration, whether a
 * CPU profile covered it, and its top functions.
 */
export interface SpanHotspots extends MeasureOfAnswer {
  span_id: string;
  /** The measures of the profiles covering the span. */
  measures: string[];
  /** The measure's sum over the span's samples; `value_with_children` over its request's. */
  value: bigint;
  value_with_children: bigint | null;
  breakdown: TimeBreakdown | null;
  span: (Omit<SpanRow, 'start_ns' | 'duration_ns'> & { start_ns: bigint; duration_ns: bigint }) | null;
  local_root_span_id: string | null;
  is_local_root: boolean;
  cpu_ns: bigint;
  cpu_ns_with_children: bigint | null;
  unexplained_ns: bigint | null;
  profiled: boolean | null;
  profile_coverage: number | null;
  sampling_period_ns: bigint | null;
  note: string;
  top_functions: { self: FunctionCpu[]; total: FunctionCpu[] };
}

/** `GET /v1/traces/{trace_id}`: every span of a trace with its on-CPU time, for a waterfall. */
export interface TraceSpanView {
  span_id: string;
  parent_id: string;
  service: string;
  name: string;
  resource: string;
  type: string;
  error: number;
  start_ns: bigint;
  duration_ns: bigint;
  cpu_ns: bigint;
  cpu_ns_with_children: bigint | null;
  unexplained_ns: bigint;
  profiled: boolean;
  profile_coverage: number;
  value: bigint;
  value_with_children: bigint | null;
  breakdown: TimeBreakdown;
}

export interface TraceView extends MeasureOfAnswer {
  trace_id: string;
  /** The measures of the profiles covering the trace's spans. */
  measures: string[];
  start_ns: bigint;
  duration_ns: bigint;
  cpu_ns: bigint;
  value: bigint;
  spans: TraceSpanView[];
  truncated: boolean;
}

/** A function's self and total value of the answer's measure (named `_ns` for CPU's sake: the unit is the measure's). */
export interface FunctionCpu {
  function: string;
  self_ns: bigint;
  total_ns: bigint;
}

/** Spans as the query routes read them: one row per span id (spans is a ReplacingMergeTree). */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_id: string;
  service: string;
  name: string;
  resource: string;
  type: string;
  env: string;
  version: string;
  runtime_id: string;
  start_ns: string;
  duration_ns: string;
  error: number;
}

/** A flame graph node: `value` is its total of the measure, `self` its leaf value (the shape d3-flame-graph reads). */
export interface FlameNode {
  name: string;
  value: bigint;
  self: bigint;
  children: FlameNode[];
}

/** `GET /v1/flamegraph?format=json`, but its selector. */
export interface FlameGraph extends MeasureOfAnswer {
  total_value: bigint;
  total_cpu_ns?: bigint;
  node_count: number;
  max_nodes: number;
  truncated: boolean;
  tree: FlameNode;
}
