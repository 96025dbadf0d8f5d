import { notFound } from '../platform/errors.js';

/**
 * The parts of the Datadog agent's HTTP API that tracers call besides the profiling intake.
 * Routes exist with and without a `/k/<key>` prefix (the key-in-path form of shared/agents/agent-auth.ts).
 */
export type DatadogAgentRoute =
  | { kind: 'info' }
  | { kind: 'traces'; version: 'v0.4' | 'v0.5' }
  | { kind: 'telemetry' }
  | { kind: 'unsupported'; feature: string }
  | { kind: 'discarded'; feature: string };

/**
 * Calls tracers make for features Hotspots has no use for, answered so that no tracer logs an
 * error (read from dd-trace-js 5.x, ddtrace 4.x and dd-trace-go 2.x):
 * - `unsupported`: 404, what an agent without the feature answers. Remote configuration
 *   (`/v0.7/config`, polled by dd-trace-js and dd-trace-go whatever /info says): both tracers
 *   read a 404 as "remote configuration is off" and log nothing.
 * - `discarded`: accepted (202) and dropped, as telemetry is. DogStatsD over HTTP
 *   (`/dogstatsd/v2/proxy`, dd-trace-js runtime and custom metrics) logs every non-2xx as an
 *   error; client-side stats (`/v0.6/stats`, only when a tracer computes them) and the
 *   debugger's uploads (`/debugger/…`: ddtrace warns at start when /info lists none of them).
 */
const unsupported: readonly (readonly [RegExp, string])[] = [[/^\/v0\.7\/config$/, 'remote configuration']];
const discarded: readonly (readonly [RegExp, string])[] = [
  [/^\/dogstatsd\/v2\/proxy$/, 'DogStatsD metrics'],
  [/^\/v0\.6\/stats$/, 'client-side stats'],
  [/^\/debugger\/v[12]\/(input|diagnostics)$/, 'debugger uploads'],
];

export function datadogAgentRoute(path: string): DatadogAgentRoute {
  const bare = path.replace(/^\/k\/[^/]+(?=\/)/, '');
  if (bare === '/info') return { kind: 'info' };
  if (bare === '/v0.4/traces') return { kind: 'traces', version: 'v0.4' };
  if (bare === '/v0.5/traces') return { kind: 'traces', version: 'v0.5' };
  if (bare.startsWith('/telemetry/proxy/')) return { kind: 'telemetry' };
  for (const [pattern, feature] of unsupported) if (pattern.test(bare)) return { kind: 'unsupported', feature };
  for (const [pattern, feature] of discarded) if (pattern.test(bare)) return { kind: 'discarded', feature };
  throw notFound(`no Datadog agent route ${JSON.stringify(bare.slice(0, 200))}`);
}

/**
 * `GET /info`. Tracers pick endpoints from `endpoints` and turn on client-side stats (and drop
 * unsampled traces) only when a stats endpoint is listed and `client_drop_p0s` is true: listing
 * none and answering false keeps every span coming, which span-level CPU needs. The debugger's
 * intakes are listed (and discarded) only so that ddtrace does not warn about an old agent.
 */
export const datadogAgentInfo = {
  version: 'hotspots',
  endpoints: [
    '/v0.4/traces',
    '/v0.5/traces',
    '/profiling/v1/input',
    '/telemetry/proxy/',
    '/debugger/v1/input',
    '/debugger/v2/input',
    '/debugger/v1/diagnostics',
  ],
  client_drop_p0s: false,
  span_meta_structs: false,
  long_running_spans: false,
  config: {},
};

/** What the agent answers to a trace payload: sample everything (rate 1 for the default key). */
export const datadogTracesReply = { rate_by_service: { 'service:,env:': 1 } };
