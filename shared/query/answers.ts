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
  profiles: number;
  last_profile_at: string | null;
  spans: number;
  last_span_at: string | null;
}

export interface EndpointCpu {
  endpoint: string | null;
  cpu_ns: bigint;
  share: number;
  requests?: bigint;
  cpu_ns_per_request?: number;
}

export interface EndpointCpuResult {
  service: string;
  from: string;
  to: string;
  sample_type: 'cpu/nanoseconds';
  total_cpu_ns: bigint;
  endpoints: EndpointCpu[];
  truncated: boolean;
}

export interface Series {
  key: string | null;
  other?: true;
  total_cpu_ns: bigint;
  points: { t: number; cpu_ns: bigint }[];
}

export interface TimeseriesResult {
  service: string;
  from: number;
  to: number;
  step: number;
  group_by: GroupBy;
  unit: 'nanoseconds';
  timestamps: number[];
  total_cpu_ns: bigint;
  series: Series[];
}

/**
 * `GET /v1/spans/{span_id}/hotspots` (DESIGN.md "Semantics"): the span, its on-CPU time (samples
 * labelled with it), the CPU of its request when it is a local root (samples whose local root
 * is this span, spawned goroutines included), the unexplained rest of its duration, whether a
 * CPU profile covered it, and its top functions.
 */
export interface SpanHotspots {
  span_id: string;
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
}

export interface TraceView {
  trace_id: string;
  start_ns: bigint;
  duration_ns: bigint;
  cpu_ns: bigint;
  spans: TraceSpanView[];
  truncated: boolean;
}

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

/** A flame graph node: `value` is its total CPU (ns), `self` its leaf CPU (the shape d3-flame-graph reads). */
export interface FlameNode {
  name: string;
  value: bigint;
  self: bigint;
  children: FlameNode[];
}

/** `GET /v1/flamegraph?format=json`, but its selector. */
export interface FlameGraph {
  total_cpu_ns: bigint;
  unit: 'nanoseconds';
  node_count: number;
  max_nodes: number;
  truncated: boolean;
  tree: FlameNode;
}
