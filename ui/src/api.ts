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

// The answer shapes live apart (api-answers.ts) so pure modules can use them without fetch.
export type {
  EndpointCpu,
  EndpointCpuBody,
  FunctionCpu,
  SeriesBody,
  ServiceEntry,
  ServicesBody,
  SpanHotspotsBody,
} from './api-answers.js';
