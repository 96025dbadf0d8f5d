/**
 * The public query API, called with the key the user entered (kept in localStorage, sent as
 * `Authorization: Bearer`). The UI is served by the same API Gateway, so paths are same-origin.
 * JSON numbers are read as JS numbers: nanosecond totals stay exact below 2^53 ns (104 days of
 * CPU); ids are strings in every answer.
 */
const keyStorage = 'hotspots.apiKey';
export const keyChangedEvent = 'hotspots:key-changed';
/** The API answered 401 to the stored key. */
export const keyRefusedEvent = 'hotspots:key-refused';

export function storedApiKey(): string | null {
  try {
    return localStorage.getItem(keyStorage);
  } catch {
    return null;
  }
}

export function storeApiKey(key: string | null): void {
  if (key === null || key.trim() === '') localStorage.removeItem(keyStorage);
  else localStorage.setItem(keyStorage, key.trim());
  window.dispatchEvent(new Event(keyChangedEvent));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** No key yet, or the key was refused. */
  get needsKey(): boolean {
    return this.status === 401 || this.code === 'no_key';
  }
}

async function request(path: string, params: URLSearchParams | undefined, signal?: AbortSignal): Promise<Response> {
  const key = storedApiKey();
  if (!key) throw new ApiError(401, 'no_key', 'Enter your API key to query Hotspots.');
  const url = params && [...params.keys()].length > 0 ? `${path}?${params}` : path;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, ...(signal ? { signal } : {}) });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', `The API did not answer (${(error as Error).message}). Check the connection.`);
  }
  if (response.ok) return response;
  if (response.status === 401) window.dispatchEvent(new Event(keyRefusedEvent));
  let code = 'http_error';
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not the API's JSON error shape (a proxy in between): keep the status line
  }
  throw new ApiError(response.status, code, message);
}

export async function getJson<T>(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, params, signal)).json()) as T;
}

export async function getBlob(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<Blob> {
  return (await request(path, params, signal)).blob();
}

export const isAbort = (error: unknown) => (error as Error | undefined)?.name === 'AbortError';

// Answers of the query routes (README "Queries"), as far as the UI reads them.
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
