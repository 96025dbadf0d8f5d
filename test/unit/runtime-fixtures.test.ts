import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { parseDatadogUpload } from '../../shared/agents/datadog-profiling.js';
import { parseMultipart } from '../../shared/agents/multipart.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { withStoredMeasures } from '../../shared/profiles/measures.js';
import { profileStartNs } from '../../shared/profiles/profile-window.js';
import { decodeDatadogTraces } from '../../shared/spans/datadog.js';
import { explodeProfileCompact, explodeProfileCompactJs, materialise } from '../support/decoders.js';
import { testExplodeLimits, testProfileContext } from '../support/profile-context.js';

/**
 * Golden tests over what dd-trace-js 5.x and ddtrace 4.x really sent (test/fixtures/agents,
 * recorded by test/support/record-runtime-fixtures.ts): the upload parses, its CPU profile is
 * stored under the `cpu` measure with the numeric span id labels read as the requests' span ids
 * (ddtrace's ids of 2^63 and above arrive as negative int64), totals equal pprof-format's own,
 * and the traces hold the same span ids. Ids come from the recording's requests.json.
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents');
const read = (path: string) => readFileSync(join(fixtures, path));
const sidecar = (path: string) =>
  JSON.parse(read(path).toString()) as { headers: Record<string, string>; content_type: string };
const requests = (dir: string) =>
  (JSON.parse(read(`${dir}/requests.json`).toString()) as { requests: { span_id: string; trace_id: string }[] })
    .requests;
const limits = {
  maxParts: 16,
  maxPartBytes: 8 * 1024 * 1024,
  maxTags: 64,
  maxEndpointCounts: 100,
  maxDecompressedBytes: 64 * 1024 * 1024,
};
const traceLimits = { maxSpansPerPayload: 1000, maxTagsPerSpan: 1024, maxStringBytes: 25_000 };

async function upload(dir: string) {
  const body = read(`${dir}/profiling-input.multipart`);
  const { content_type } = sidecar(`${dir}/profiling-input.json`);
  return parseDatadogUpload(await parseMultipart(body, content_type, limits), limits);
}

/** CPU per span id label, summed by pprof-format from the same bytes. */
function referenceCpuBySpan(pprof: Uint8Array, cpuType: string): Map<string, bigint> {
  const profile = Profile.decode(pprof);
  const text = (i: number | bigint) => String(profile.stringTable.strings[Number(i)] ?? '');
  const index = profile.sampleType.findIndex((t) => `${text(t.type)}/${text(t.unit)}` === cpuType);
  const totals = new Map<string, bigint>();
  for (const sample of profile.sample) {
    const label = sample.label.find((l) => text(l.key) === 'span id');
    const value = BigInt(sample.value[index] ?? 0);
    if (!label || value === 0n) continue;
    const id = BigInt.asUintN(64, BigInt(label.num)).toString();
    totals.set(id, (totals.get(id) ?? 0n) + value);
  }
  return totals;
}

function storedCpuBySpan(pprof: Uint8Array, decode: typeof explodeProfileCompact): Map<string, bigint> {
  const decoded = withStoredMeasures(decode(pprof, testProfileContext, defaultLabelMapping, testExplodeLimits));
  const totals = new Map<string, bigint>();
  for (const row of materialise(decoded, testProfileContext).samples) {
    if (row.sample_type !== 'cpu' || row.span_id === '0') continue;
    totals.set(row.span_id, (totals.get(row.span_id) ?? 0n) + BigInt(row.value));
  }
  return totals;
}

describe.each([
  { dir: 'dd-trace-js', family: 'node', file: 'wall.pprof', cpuType: 'cpu/nanoseconds', traces: 'v0.4' as const },
  {
    dir: 'ddtrace-py',
    family: 'python',
    file: 'profile.pprof',
    cpuType: 'cpu-time/nanoseconds',
    traces: 'v0.5' as const,
  },
])('$dir', ({ dir, file, cpuType, traces }) => {
  it('sent its key only in Datadog-External-Env, and no DD-API-KEY', () => {
    const { headers } = sidecar(`${dir}/profiling-input.json`);
    expect([headers['datadog-external-env'], headers['dd-api-key']]).toEqual(['hk-hotspots-fixture-key', undefined]);
    expect(sidecar(`${dir}/${traces}-traces.json`).headers['datadog-external-env']).toBe('hk-hotspots-fixture-key');
  });

  it('uploads a profile Hotspots parses, with the requests counted by endpoint', async () => {
    const parsed = await upload(dir);
    expect(parsed.service).toBe(`fixture-${dir === 'dd-trace-js' ? 'node' : 'python'}-dd-app`);
    expect(parsed.endpointCounts).toEqual({ 'GET /work': requests(dir).length });
    expect(parsed.attachments.map((a) => a.name)).toContain(file);
  });

  it(`stores ${cpuType} as cpu, per request span, equal to pprof-format's totals (both decoders)`, async () => {
    const attachment = (await upload(dir)).attachments.find((a) => a.name === file);
    const pprof = zstdDecompressSync(attachment?.bytes ?? Buffer.alloc(0));
    const reference = referenceCpuBySpan(pprof, cpuType);

    expect(storedCpuBySpan(pprof, explodeProfileCompact)).toEqual(reference);
    expect(storedCpuBySpan(pprof, explodeProfileCompactJs)).toEqual(reference);
    for (const request of requests(dir))
      expect(reference.get(request.span_id) ?? 0n, request.span_id).toBeGreaterThan(0n);
  });

  it('holds spans of the requests (the first payload: one or more), with their trace ids and endpoint', () => {
    const spans = decodeDatadogTraces(read(`${dir}/${traces}-traces.msgpack`), traces, traceLimits);
    const sent = new Map(requests(dir).map((r) => [r.span_id, r.trace_id]));
    const web = spans.filter((s) => s.resource === 'GET /work');

    expect(web.length).toBeGreaterThan(0);
    expect(web.map((s) => [s.spanId.toString(), s.traceId])).toEqual(
      web.map((s) => [s.spanId.toString(), sent.get(s.spanId.toString())]),
    );
  });
});

describe('ddtrace-py span ids', () => {
  it('include one of 2^63 or above, sent in the profile as a negative number label', () => {
    expect(requests('ddtrace-py').some((r) => BigInt(r.span_id) >= 2n ** 63n)).toBe(true);
  });
});

describe('dd-trace-js wall.pprof time_nanos', () => {
  it('marks the end of the upload window; Hotspots dates the profile from its start', async () => {
    const parsed = await upload('dd-trace-js');
    const attachment = parsed.attachments.find((a) => a.name === 'wall.pprof');
    const profile = Profile.decode(zstdDecompressSync(attachment?.bytes ?? Buffer.alloc(0)));
    const startNs = BigInt(profile.timeNanos);
    const durationNs = BigInt(profile.durationNanos);
    const near = (ns: bigint, seconds: number | null) => Math.abs(Number(ns) / 1e9 - (seconds ?? 0)) < 0.5;

    expect(near(startNs, parsed.end)).toBe(true);
    expect(near(profileStartNs({ startNs, durationNs }, parsed), parsed.start)).toBe(true);
  });
});
