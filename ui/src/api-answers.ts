/**
 * Answers of the query routes (README "Queries"), as far as the UI reads them. Shapes only, apart
 * from api.ts's fetch and key storage, so pure modules and their unit tests can name them.
 */
export interface ServiceEntry {
  service: string;
  profiles: number;
  last_profile_at: string | null;
  spans: number;
  last_span_at: string | null;
}

export interface ServicesBody {
  services: ServiceEntry[];
}

export interface EndpointCpu {
  endpoint: string | null;
  cpu_ns: number;
  share: number;
  requests?: number;
  cpu_ns_per_request?: number;
}

export interface EndpointCpuBody {
  service: string;
  total_cpu_ns: number;
  endpoints: EndpointCpu[];
  truncated: boolean;
}

export interface SeriesBody {
  from: number;
  to: number;
  step: number;
  group_by: 'endpoint' | 'version';
  timestamps: number[];
  total_cpu_ns: number;
  series: { key: string | null; other?: true; total_cpu_ns: number; points: { t: number; cpu_ns: number }[] }[];
}

export interface FunctionCpu {
  function: string;
  self_ns: number;
  total_ns: number;
}

export interface SpanHotspotsBody {
  span_id: string;
  span: {
    trace_id: string;
    span_id: string;
    parent_id: string;
    service: string;
    name: string;
    resource: string;
    start_ns: number;
    duration_ns: number;
    env?: string;
    version?: string;
  } | null;
  local_root_span_id: string | null;
  is_local_root: boolean;
  cpu_ns: number;
  cpu_ns_with_children: number | null;
  unexplained_ns: number | null;
  profiled: boolean | null;
  profile_coverage: number | null;
  sampling_period_ns: number | null;
  note: string;
  top_functions: { self: FunctionCpu[]; total: FunctionCpu[] };
}
