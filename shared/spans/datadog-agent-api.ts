import { notFound } from '../platform/errors.js';

/**
 * The parts of the Datadog agent's HTTP API that tracers call besides the profiling intake.
 * Routes exist with and without a `/k/<key>` prefix (the key-in-path form of shared/agents/agent-auth.ts).
 */
export type DatadogAgentRoute = { kind: 'info' } | { kind: 'traces'; version: 'v0.4' | 'v0.5' } | { kind: 'telemetry' };

export function datadogAgentRoute(path: string): DatadogAgentRoute {
  const bare = path.replace(/^\/k\/[^/]+(?=\/)/, '');
  if (bare === '/info') return { kind: 'info' };
  if (bare === '/v0.4/traces') return { kind: 'traces', version: 'v0.4' };
  if (bare === '/v0.5/traces') return { kind: 'traces', version: 'v0.5' };
  if (bare.startsWith('/telemetry/proxy/')) return { kind: 'telemetry' };
  throw notFound(`no Datadog agent route ${JSON.stringify(bare.slice(0, 200))}`);
}

/**
 * `GET /info`. Tracers pick endpoints from `endpoints` and turn on client-side stats (and drop
 * unsampled traces) only when a stats endpoint is listed and `client_drop_p0s` is true: listing
 * none and answering false keeps every span coming, which span-level CPU needs.
 */
export const datadogAgentInfo = {
  version: 'hotspots',
  endpoints: ['/v0.4/traces', '/v0.5/traces', '/profiling/v1/input', '/telemetry/proxy/'],
  client_drop_p0s: false,
  span_meta_structs: false,
  long_running_spans: false,
  config: {},
};

/** What the agent answers to a trace payload: sample everything (rate 1 for the default key). */
export const datadogTracesReply = { rate_by_service: { 'service:,env:': 1 } };
