import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { committedSamplesFilter } from '../../shared/query/sql/committed.js';
import {
  type AgentApp,
  type AgentAppName,
  buildAgentApp,
  ddAppEnv,
  driveRequests,
  pyroscopeAppEnv,
  startAgentApp,
  type WorkResult,
} from '../support/agent-apps.js';
import { testDeps, uniqueService, waitUntil } from '../support/services.js';

/**
 * Real, unmodified agent clients against Hotspots: a Go service instrumented with dd-trace-go v2
 * (tracer + profiler with code hotspots), and one with the Pyroscope Go SDK + OpenTelemetry
 * (OTLP/HTTP traces) + otel-profiling-go. Each is pointed at the API with nothing but the standard
 * variables (DD_TRACE_AGENT_URL; PYROSCOPE_SERVER_ADDRESS and OTEL_EXPORTER_OTLP_ENDPOINT), with
 * the tenant's key in the URL path, serves requests over a few profiling periods, and is stopped
 * with SIGTERM so that its last profile and spans flush. Then the spans, the profiles and the
 * CPU samples labelled with each request's span are read back from ClickHouse.
 *
 * How much CPU a request may show: /work burns its CPU in one goroutine the handler spawns and
 * waits for, so the request's CPU is at most its wall time, plus sampling error. The Go profiler
 * samples at 100 Hz from per-thread CPU timers: each sample is worth 10 ms and lands on whatever
 * goroutine runs when a thread's timer fires, so a goroutine's share is quantised to 10 ms and can
 * exceed its true CPU by about one sample per thread it ran on (timers carry CPU over from other
 * goroutines). The bound checked is therefore duration × GOMAXPROCS + one sample period: it holds
 * for any number of spawned goroutines (they cannot run on more than GOMAXPROCS threads at once)
 * and leaves room for the quantisation. The lower bound is "non-zero": each request burns ≥ 50 ms
 * of CPU (the checked one ≈ 0.5 s), i.e. ≥ 5 expected samples, so zero would mean lost labels.
 */
const tenant = 'test-a';
const periodSeconds = 3;
const samplePeriodNs = 10_000_000n;
// ≈ 1.5 ms per encode here: n=40 ≈ 60 ms of CPU per request, n=300 ≈ 0.45 s.
const encodesPerRequest = 40;
const encodesLongRequest = 300;

let deps: Deps;
beforeAll(async () => {
  deps = testDeps();
  // Cold builds download modules and compile dd-trace-go / OpenTelemetry: minutes on 2 cores.
  await Promise.all([buildAgentApp('dd-app'), buildAgentApp('pyroscope-app')]);
}, 900_000);
afterAll(async () => {
  await deps?.close();
});

function agentBaseUrl(): string {
  return `${inject('apiUrl')}/k/${inject('apiKey')}`;
}

interface Run {
  service: string;
  app: AgentApp;
  /** Every request sent, the long one included. */
  requests: WorkResult[];
  /** The request whose CPU is checked against its duration. */
  long: WorkResult;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Serves traffic over more than two profiling periods, then stops the app with SIGTERM. */
async function runApp(name: AgentAppName, service: string, env: Record<string, string>): Promise<Run> {
  const app = await startAgentApp(name, env);
  const busy = { n: encodesPerRequest, concurrency: 2 };
  const traffic = (async () => {
    const requests = await driveRequests(app, { ...busy, durationMs: periodSeconds * 1000 * 2 });
    const [long] = await driveRequests(app, { count: 1, n: encodesLongRequest });
    if (!long) throw new Error('the long request got no answer');
    requests.push(long, ...(await driveRequests(app, { ...busy, durationMs: 1500 })));
    return { requests, long };
  })();
  // Stopped whatever happened, so no app outlives the test; a traffic error is reported first.
  const outcome = await traffic.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const exit = await app.stop();
  if ('error' in outcome) throw outcome.error;
  return { service, app, ...outcome.value, exit };
}

function window() {
  const now = Math.floor(Date.now() / 1000);
  return { from: now - 3600, to: now + 3600 };
}

interface SpanRow {
  span_id: string;
  trace_id: string;
  parent_id: string;
  name: string;
  resource: string;
  start_ns: string;
  duration_ns: string;
  runtime_id: string;
}

function spansOf(service: string): Promise<SpanRow[]> {
  return deps.db.query<SpanRow>(sql`
    SELECT toString(span_id) AS span_id, trace_id, toString(parent_id) AS parent_id, name, resource,
           toString(start_ns) AS start_ns, toString(duration_ns) AS duration_ns, runtime_id
    FROM spans WHERE tenant = ${tenant} AND service = ${service}
    ORDER BY span_id LIMIT 1 BY span_id`);
}

/** Waits until every request's span is stored; returns them by (decimal) span id. */
async function waitForSpans(run: Run, decimalSpanId: (r: WorkResult) => string): Promise<Map<string, SpanRow>> {
  const wanted = run.requests.map(decimalSpanId);
  return waitUntil(
    `${wanted.length} request spans of ${run.service} in ClickHouse`,
    async () => {
      const byId = new Map((await spansOf(run.service)).map((row) => [row.span_id, row]));
      return wanted.every((id) => byId.has(id)) ? byId : undefined;
    },
    120_000,
  );
}

interface ProfileWindow {
  start_ns: string;
  duration_ns: string;
}

// Consecutive CPU profiles of one process leave gaps of milliseconds between them (stop, upload
// start, restart); a missing profile leaves a gap of a whole period (≥ 3 s here).
const allowedGapNs = 1_000_000_000n;

/**
 * Waits until committed CPU profiles cover every request: the apps upload one profile per period
 * and a last one on SIGTERM, and the consumer may commit them in any order (Kafka partitions), so
 * the union of their windows must reach from before the first span's start to after the last
 * span's end without a hole. Only then are the CPU sums final.
 */
async function waitForProfileCoverage(service: string, spans: SpanRow[]): Promise<number> {
  const firstStart = spans.reduce((min, s) => (BigInt(s.start_ns) < min ? BigInt(s.start_ns) : min), 2n ** 63n);
  const lastEnd = spans.reduce((max, s) => {
    const end = BigInt(s.start_ns) + BigInt(s.duration_ns);
    return end > max ? end : max;
  }, 0n);
  return waitUntil(
    `committed CPU profiles of ${service} covering its requests without a hole`,
    async () => {
      const windows = await deps.db.query<ProfileWindow>(sql`
        SELECT toString(start_ns) AS start_ns, toString(duration_ns) AS duration_ns
        FROM profiles WHERE tenant = ${tenant} AND service = ${service} AND has(sample_types, 'cpu/nanoseconds')
        ORDER BY start_ns`);
      let reach: bigint | undefined;
      for (const w of windows) {
        const start = BigInt(w.start_ns);
        if (reach === undefined) {
          if (start > firstStart) return undefined;
        } else if (start > reach + allowedGapNs) {
          return undefined;
        }
        const end = start + BigInt(w.duration_ns);
        reach = reach === undefined || end > reach ? end : reach;
      }
      return reach !== undefined && reach >= lastEnd ? windows.length : undefined;
    },
    120_000,
  );
}

/** CPU of one request: committed cpu samples labelled with the span as span or local root. */
async function requestCpuNs(service: string, spanId: string): Promise<bigint> {
  const { from, to } = window();
  const [row] = await deps.db.query<{ cpu_ns: string }>(sql`
    SELECT toString(sum(value)) AS cpu_ns FROM samples
    WHERE tenant = ${tenant} AND service = ${service} AND sample_type = 'cpu'
      AND (span_id = ${BigInt(spanId)} OR local_root_span_id = ${BigInt(spanId)})
      AND ${committedSamplesFilter(tenant, service, from, to)}`);
  return BigInt(row?.cpu_ns ?? '0');
}

/** Span ids found on committed cpu samples of the service, with their CPU. */
async function labelledSpanIds(service: string): Promise<Map<string, bigint>> {
  const { from, to } = window();
  // Aliases differ from the columns: ClickHouse resolves a WHERE name to a SELECT alias first.
  const rows = await deps.db.query<{ id: string; cpu_ns: string }>(sql`
    SELECT toString(span_id) AS id, toString(sum(value)) AS cpu_ns FROM samples
    WHERE tenant = ${tenant} AND service = ${service} AND sample_type = 'cpu' AND span_id != 0
      AND ${committedSamplesFilter(tenant, service, from, to)}
    GROUP BY span_id`);
  return new Map(rows.map((r) => [r.id, BigInt(r.cpu_ns)]));
}

/** Lines of a client's log that report a problem; the startup configuration dumps are skipped. */
function problemLines(log: string): string[] {
  // Status codes as whole words: a random service name such as pyroscope-app-d6ba405d is no 405.
  return log
    .split('\n')
    .filter((line) => !/DATADOG TRACER CONFIGURATION|Profiler configuration:/.test(line))
    .filter((line) => /error|fail|unable|refused|timeout|dropp|retry|evict|status|\b[45]0\d\b/i.test(line));
}

function expectCpuWithinSpan(cpuNs: bigint, span: SpanRow, gomaxprocs: number): void {
  expect(cpuNs).toBeGreaterThan(0n);
  expectCpuWithinBound(cpuNs, span, gomaxprocs);
}

function expectCpuWithinBound(cpuNs: bigint, span: SpanRow, gomaxprocs: number): void {
  expect(cpuNs).toBeLessThanOrEqual(BigInt(span.duration_ns) * BigInt(gomaxprocs) + samplePeriodNs);
}

/**
 * CPU profiles sample at 100 Hz, so a request burning ~60 ms of CPU gets a Poisson number of
 * samples with mean ~6: P(0) ≈ 0.25 % each, a few percent over ~50 requests. Requiring every
 * request to show CPU would make the test flaky by design; at least 90 % must, and all must stay
 * within their bound.
 */
function expectMostRequestsOnCpu(cpus: bigint[]): void {
  const zero = cpus.filter((cpu) => cpu === 0n).length;
  expect(zero).toBeLessThanOrEqual(Math.floor(cpus.length / 10));
}

describe('dd-trace-go v2 (tracer + profiler) pointed at Hotspots with DD_TRACE_AGENT_URL', () => {
  let run: Run;
  let spans: Map<string, SpanRow>;
  const decimal = (r: WorkResult) => r.span_id;

  beforeAll(async () => {
    const service = uniqueService('dd-app');
    run = await runApp(
      'dd-app',
      service,
      ddAppEnv({ agentUrl: agentBaseUrl(), service, periodSeconds, version: '2.0.0' }),
    );
    spans = await waitForSpans(run, decimal);
    await waitForProfileCoverage(service, [...spans.values()]);
  }, 300_000);

  it('runs and exits cleanly with nothing in its log about a failed send', () => {
    expect(run.exit).toEqual({ code: 0, signal: null });
    expect(run.app.stdout()).toMatch(/^stopped$/m);
    expect(problemLines(run.app.stderr())).toEqual([]);
    const config = /DATADOG TRACER CONFIGURATION (\{.*\})$/m.exec(run.app.stderr())?.[1];
    expect(JSON.parse(config ?? '{}')).toMatchObject({ agent_error: '' });
  });

  it('stores every request span with its 128-bit trace id and the endpoint as resource', () => {
    for (const request of run.requests) {
      const span = spans.get(request.span_id);
      expect(span).toMatchObject({ trace_id: request.trace_id, resource: 'GET /work', parent_id: '0' });
    }
  });

  it('stores CPU profiles of the service whose runtime id is the spans’ one', async () => {
    const rows = await deps.db.query<{ runtime_id: string; env: string; version: string }>(sql`
      SELECT DISTINCT runtime_id, env, version FROM profiles
      WHERE tenant = ${tenant} AND service = ${run.service} AND has(sample_types, 'cpu/nanoseconds')`);
    const runtimeIds = new Set([...spans.values()].map((s) => s.runtime_id));
    expect(runtimeIds.size).toBe(1);
    expect(rows).toEqual([{ runtime_id: [...runtimeIds][0], env: 'test', version: '2.0.0' }]);
  });

  it('finds non-zero CPU for the long request through its span id label, within duration × GOMAXPROCS', async () => {
    const span = spans.get(run.long.span_id);
    if (!span) throw new Error('long request span missing');
    expectCpuWithinSpan(await requestCpuNs(run.service, run.long.span_id), span, run.long.gomaxprocs);
  });

  it('finds CPU for nearly every request, each within its bound, and labels no span that did not arrive', async () => {
    const labelled = await labelledSpanIds(run.service);
    for (const request of run.requests) {
      const span = spans.get(request.span_id);
      if (!span) throw new Error(`span ${request.span_id} missing`);
      expectCpuWithinBound(labelled.get(request.span_id) ?? 0n, span, request.gomaxprocs);
    }
    expectMostRequestsOnCpu(run.requests.map((request) => labelled.get(request.span_id) ?? 0n));
    expect([...labelled.keys()].filter((id) => !spans.has(id))).toEqual([]);
  });

  it('counts exactly the requests sent as endpoint hits (event.json endpoint_counts)', async () => {
    const { from, to } = window();
    const [row] = await deps.db.query<{ hits: string }>(sql`
      SELECT toString(sum(count)) AS hits FROM endpoint_counts
      WHERE tenant = ${tenant} AND service = ${run.service} AND endpoint = 'GET /work'
        AND ${committedSamplesFilter(tenant, run.service, from, to)}`);
    expect(row?.hits).toBe(String(run.requests.length));
  });
});

describe('Pyroscope Go SDK + OpenTelemetry (OTLP/HTTP) + otel-profiling-go pointed at Hotspots', () => {
  let run: Run;
  let spans: Map<string, SpanRow>;
  // otel-profiling-go labels and the app answer 16 hex digits; Hotspots stores ids as UInt64.
  const decimal = (r: WorkResult) => BigInt(`0x${r.span_id}`).toString();

  beforeAll(async () => {
    const service = uniqueService('pyroscope-app');
    const base = agentBaseUrl();
    run = await runApp(
      'pyroscope-app',
      service,
      pyroscopeAppEnv({ serverAddress: base, otlpEndpoint: base, service, periodSeconds, version: '2.0.0' }),
    );
    spans = await waitForSpans(run, decimal);
    await waitForProfileCoverage(service, [...spans.values()]);
  }, 300_000);

  it('runs and exits cleanly with nothing in its log about a failed upload or export', () => {
    expect(run.exit).toEqual({ code: 0, signal: null });
    expect(run.app.stdout()).toMatch(/^stopped$/m);
    expect(problemLines(run.app.stderr())).toEqual([]);
  });

  it('stores every request span (OTLP) with its trace id and route name', () => {
    for (const request of run.requests) {
      expect(spans.get(decimal(request))).toMatchObject({ trace_id: request.trace_id, name: 'GET /work' });
    }
  });

  it('stores CPU profiles of the service named by the Pyroscope application name', async () => {
    const rows = await deps.db.query<{ env: string; version: string }>(sql`
      SELECT DISTINCT env, version FROM profiles
      WHERE tenant = ${tenant} AND service = ${run.service} AND has(sample_types, 'cpu/nanoseconds')`);
    expect(rows).toEqual([{ env: 'test', version: '2.0.0' }]);
  });

  it('finds non-zero CPU for the long request through its span_id label, within duration × GOMAXPROCS', async () => {
    const id = decimal(run.long);
    const span = spans.get(id);
    if (!span) throw new Error('long request span missing');
    expectCpuWithinSpan(await requestCpuNs(run.service, id), span, run.long.gomaxprocs);
  });

  it('finds CPU for nearly every request, each within its bound, and labels no span that did not arrive', async () => {
    const labelled = await labelledSpanIds(run.service);
    for (const request of run.requests) {
      const span = spans.get(decimal(request));
      if (!span) throw new Error(`span ${request.span_id} missing`);
      expectCpuWithinBound(labelled.get(decimal(request)) ?? 0n, span, request.gomaxprocs);
    }
    expectMostRequestsOnCpu(run.requests.map((request) => labelled.get(decimal(request)) ?? 0n));
    expect([...labelled.keys()].filter((id) => !spans.has(id))).toEqual([]);
  });
});
