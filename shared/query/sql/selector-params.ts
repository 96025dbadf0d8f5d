import { badRequest } from '../../platform/errors.js';
import { parseSpanId } from '../../platform/ids.js';
import { parseTimeRange } from '../../platform/time.js';
import type { CpuSelector } from './measure-source.js';

/**
 * Reads which CPU a query is about from its URL parameters:
 * `span_id=` (one span), `local_root_span_id=` (a request, spawned goroutines included),
 * `trace_id=` (every span of a trace), else `service=&from=&to=` (a window of a service), each
 * optionally narrowed by repeated `endpoint=`. Ids are decimal or 16 hex digits; trace ids 32 hex.
 */
export const MAX_ENDPOINT_FILTERS = 100;

export function parseEndpoints(query: URLSearchParams): string[] | undefined {
  const endpoints = query.getAll('endpoint');
  if (endpoints.length > MAX_ENDPOINT_FILTERS) throw badRequest(`at most ${MAX_ENDPOINT_FILTERS} endpoint filters`);
  return endpoints.length > 0 ? endpoints : undefined;
}

export function parseSpanIdParam(text: string | null | undefined, name: string): string {
  const id = text === null || text === undefined ? undefined : parseSpanId(text.trim());
  if (id === undefined || id === '0') {
    throw badRequest(`${name} must be a non-zero 64-bit id, in decimal or as 16 hex digits`);
  }
  return id;
}

/** Normalises a trace id to the stored form: 32 lowercase hex digits (128-bit). */
export function parseTraceId(text: string | null | undefined): string {
  const trimmed = text?.trim() ?? '';
  if (/^[0-9a-fA-F]{32}$/.test(trimmed)) return trimmed.toLowerCase();
  if (/^[0-9a-fA-F]{16}$/.test(trimmed)) return trimmed.toLowerCase().padStart(32, '0');
  if (/^\d{1,20}$/.test(trimmed) && BigInt(trimmed) < 1n << 64n) return BigInt(trimmed).toString(16).padStart(32, '0');
  throw badRequest('trace_id must be 32 hex digits (128-bit), 16 hex digits or a decimal 64-bit id');
}

export function parseCpuSelector(query: URLSearchParams, maxRangeSeconds: number): CpuSelector {
  const endpoints = parseEndpoints(query);
  const chosen = ['span_id', 'local_root_span_id', 'trace_id'].filter((name) => query.has(name));
  if (chosen.length > 1)
    throw badRequest(`give only one of span_id, local_root_span_id, trace_id (got ${chosen.join(', ')})`);
  if (query.has('span_id'))
    return { kind: 'span', spanId: parseSpanIdParam(query.get('span_id'), 'span_id'), endpoints };
  if (query.has('local_root_span_id')) {
    return {
      kind: 'local_root',
      localRootSpanId: parseSpanIdParam(query.get('local_root_span_id'), 'local_root_span_id'),
      endpoints,
    };
  }
  if (query.has('trace_id')) return { kind: 'trace', traceId: parseTraceId(query.get('trace_id')), endpoints };
  const service = query.get('service')?.trim();
  if (!service) throw badRequest('service is required (or one of span_id, local_root_span_id, trace_id)');
  const { from, to } = parseTimeRange(
    { from: query.get('from') ?? undefined, to: query.get('to') ?? undefined },
    maxRangeSeconds,
  );
  const env = query.get('env') || undefined;
  const version = query.get('version') || undefined;
  return {
    kind: 'service',
    service,
    from,
    to,
    ...(env ? { env } : {}),
    ...(version ? { version } : {}),
    ...(endpoints ? { endpoints } : {}),
  };
}
