/**
 * The answers of the compare routes (`/v1/changes`, `/v1/endpoints/requests`): types only, so the
 * web UI can import them (as answers.ts).
 */
export interface RequestHeatmap {
  step_seconds: number;
  /** Lower edge of each value bucket. */
  y_min: number[];
  slots: {
    /** Unix milliseconds, the slot's right edge. */
    t: number;
    counts: number[];
    values: bigint[];
    exemplars: ({ span_id: string; value: bigint; t: number } | null)[];
  }[];
}

export interface EndpointRequest {
  local_root_span_id: string;
  trace_id: string | null;
  /** The measure over this request's samples in the window (what the list is ranked by). */
  value_in_window: bigint;
  /** The measure over the whole request (all its samples, any window). */
  value: bigint;
  /** The whole request's CPU: `/v1/spans/{id}/hotspots`'s `cpu_ns_with_children`. */
  cpu_ns: bigint;
  /** From the trace intake, when it saw the local root span. */
  span: { name: string; resource: string; start_ns: string; duration_ns: string } | null;
}

export interface EndpointRequestsResult {
  service: string;
  endpoint: string;
  from: string;
  to: string;
  measure: string;
  unit: string;
  /** The endpoint's value in the window (as `/v1/endpoints/cpu`). */
  total_value: bigint;
  /** The part carried by samples labelled with a request (the heatmap's cells sum to it). */
  requests_value: bigint;
  unattributed_value: bigint;
  request_count: number;
  requests: EndpointRequest[];
  truncated: boolean;
  heatmap: RequestHeatmap;
}

export interface SideFigure {
  cpu_ns: bigint;
  requests: bigint | null;
  profiles: number;
  /** CPU per request (ns) or share of the side's CPU, as `basis` says. */
  value: number;
  /** One standard error of `value` from sampling (Poisson, n = CPU / period). */
  sampling_error: number;
}

export interface FunctionMove {
  function: string;
  before_self: number;
  after_self: number;
  delta_self: number;
  before_total: number;
  after_total: number;
  delta_total: number;
}

export interface EndpointChange {
  endpoint: string;
  basis: 'cpu_per_request' | 'cpu_share';
  status: 'increased' | 'decreased' | 'unchanged';
  before: SideFigure;
  after: SideFigure;
  delta: number;
  relative_change: number | null;
  /** Standard deviation of the before-version's figure across its profiles. */
  before_profiles_stddev: number;
  /** The |delta| above which the change counts (3σ). */
  threshold: number;
  functions: FunctionMove[];
}

export interface VersionChange {
  from_version: string;
  to_version: string;
  /** When the newer version's first profile started (ISO). */
  at: string;
  endpoints: EndpointChange[];
  appeared: { endpoint: string; after: SideFigure }[];
  vanished: { endpoint: string; before: SideFigure }[];
}

export interface ChangesResult {
  service: string;
  from: string;
  to: string;
  rule: string;
  min_relative_change: number;
  versions: { version: string; first_seen: string; last_seen: string; profiles: number }[];
  changes: VersionChange[];
  truncated: boolean;
}
