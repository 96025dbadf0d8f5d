import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDatadogTraces } from '../../shared/spans/datadog.js';
import { decodeOtlpTraces } from '../../shared/spans/otlp.js';

/**
 * Golden tests over payloads real clients sent (test/fixtures/agents, recorded by
 * test/support/record-agent-fixtures.ts): dd-trace-go v2.12.0 and the OpenTelemetry Go v1.47.0
 * OTLP/HTTP exporter. Ids are read from the recording's requests.json, never hard-coded.
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents');
const read = (path: string) => readFileSync(join(fixtures, path));
const requests = (path: string) =>
  (JSON.parse(read(path).toString()) as { requests: { span_id: string; trace_id: string }[] }).requests;
const limits = { maxSpansPerPayload: 1000, maxTagsPerSpan: 1024, maxStringBytes: 25_000 };

describe('dd-trace-go v2.12.0 /v0.4/traces', () => {
  const spans = decodeDatadogTraces(read('dd-trace-go/v0.4-traces.msgpack'), 'v0.4', limits);

  it('holds the three requests with their span ids and 128-bit trace ids', () => {
    const expected = requests('dd-trace-go/requests.json');

    expect(spans.map((s) => [s.spanId.toString(), s.traceId])).toEqual(expected.map((r) => [r.span_id, r.trace_id]));
  });

  it('reads the root web spans with the runtime id that joins them to the profiles', () => {
    for (const span of spans) {
      expect(span).toMatchObject({ name: 'http.request', resource: 'GET /work', type: 'web', parentId: 0n, error: 0 });
      expect(span.runtimeId).toMatch(/^[0-9a-f-]{36}$/);
      expect(span.metrics.get('_dd.profiling.enabled')).toBe(1);
      expect(span.durationNs).toBeGreaterThan(0n);
    }
  });

  it('reads the start-up empty payload as no spans', () => {
    expect(decodeDatadogTraces(read('dd-trace-go/v0.4-traces-empty.msgpack'), 'v0.4', limits)).toEqual([]);
  });
});

describe('OpenTelemetry Go v1.47.0 OTLP/HTTP protobuf', () => {
  const decoded = decodeOtlpTraces(read('otlp/traces.pb'), 'protobuf', limits);

  it('holds the three server spans with the ids the app reported', () => {
    const expected = requests('pyroscope/requests.json');

    expect(decoded.rejected).toBe(0);
    expect(decoded.spans.map((s) => [s.spanId, s.traceId])).toEqual(
      expected.map((r) => [BigInt(`0x${r.span_id}`), r.trace_id]),
    );
  });

  it('carries the Pyroscope join key and the resource fields', () => {
    for (const span of decoded.spans) {
      expect(span.meta.get('pyroscope.profile.id')).toBe(span.spanId.toString(16).padStart(16, '0'));
      expect(span).toMatchObject({ service: 'fixture-pyroscope-app', env: 'test', version: '1.0.0', type: 'web' });
      expect(span.metrics.get('http.response.status_code')).toBe(200);
    }
  });
});
