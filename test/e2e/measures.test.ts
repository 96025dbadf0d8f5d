import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getBytes, getExact } from '../support/api.js';
import { pprofRawSamples } from '../support/go-pprof.js';
import {
  alloc,
  cpu,
  freshSpanId,
  lock,
  MS,
  measureFixtures,
  ofRoot,
  ofSpans,
  storeMeasureFixtures,
  tenant,
  traceOf,
  wall,
} from '../support/measure-fixtures.js';
import { decodeSamples, labelled, totalOf } from '../support/measure-profiles.js';
import { testDeps } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * Every query route read with a measure other than CPU (wall, lock wait, a `type/unit` kept by
 * name), and the per-span breakdown of Python-, Node- and Go-style profiles, through the real
 * upload, consumer and query services. Expected figures are summed from the uploaded pprof bytes
 * with pprof-format (support/measure-profiles.ts), never from the decoder under test.
 */
let deps: Deps;
const fixtures = measureFixtures();
const { window, ids, pyTrace, pyProfile, nodeProfile, goProfile, startNs } = fixtures;
const { py: pyService, node: nodeService, go: goService } = fixtures.services;
const id = freshSpanId;

beforeAll(async () => {
  deps = testDeps();
  await storeMeasureFixtures(deps, fixtures);
}, 180_000);

afterAll(async () => {
  await deps?.close();
});

interface FlameBody {
  measure: string;
  unit: string;
  total_value: number | bigint;
  total_cpu_ns?: number | bigint;
}

describe('flame graphs of a measure', () => {
  it.each([
    ['wall', wall],
    ['lock-wait', lock],
    ['alloc-space/bytes', alloc],
    ['cpu', cpu],
  ])('gives a service window its %s total, exact', async (measure, stored) => {
    const { status, body } = await getExact<FlameBody>(
      `/v1/flamegraph?service=${pyService}&${window}&measure=${measure}`,
    );

    expect(status).toBe(200);
    expect([body.measure, body.unit, big(body.total_value)]).toEqual([
      measure,
      stored.split('/')[1],
      totalOf(pyProfile, stored),
    ]);
    expect(body.total_cpu_ns === undefined).toBe(measure !== 'cpu');
  });

  it('reads a span, a request and a trace in wall time', async () => {
    const spanAnswer = await getExact<FlameBody>(`/v1/flamegraph?span_id=${ids.root}&measure=wall`);
    const request = await getExact<FlameBody>(`/v1/flamegraph?local_root_span_id=${ids.root}&measure=wall`);
    const trace = await getExact<FlameBody>(`/v1/flamegraph?trace_id=${pyTrace}&measure=lock-wait`);

    expect([big(spanAnswer.body.total_value), big(request.body.total_value), big(trace.body.total_value)]).toEqual([
      totalOf(pyProfile, wall, ofSpans(ids.root)),
      totalOf(pyProfile, wall, ofRoot(ids.root)),
      totalOf(pyProfile, lock, ofSpans(ids.root, ids.child, ids.idle)),
    ]);
  });

  it('exports the same total as collapsed stacks and as a pprof of the measure', async () => {
    const query = `service=${pyService}&${window}&measure=wall`;
    const collapsed = await getBytes(`/v1/flamegraph?${query}&format=collapsed`);
    const pprof = await getBytes(`/v1/flamegraph?${query}&format=pprof`);
    const collapsedTotal = collapsed.bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .reduce((sum, line) => sum + BigInt(line.slice(line.lastIndexOf(' ') + 1)), 0n);
    const exported = decodeSamples(pprof.bytes);

    expect([collapsed.status, pprof.status, exported.sampleTypes]).toEqual([200, 200, [wall]]);
    expect([collapsedTotal, totalOf(pprof.bytes, wall)]).toEqual([totalOf(pyProfile, wall), totalOf(pyProfile, wall)]);
  });

  it('exports a wall pprof that go tool pprof opens, with the same total', async () => {
    const pprof = await getBytes(`/v1/flamegraph?service=${pyService}&${window}&measure=wall&format=pprof`);
    const file = join(mkdtempSync(join(tmpdir(), 'hotspots-measures-')), 'wall.pprof.gz');
    writeFileSync(file, pprof.bytes);
    const samples = await pprofRawSamples(file);

    expect(samples.sampleTypes.map((t) => `${t.type}/${t.unit}`)).toEqual([wall]);
    expect(samples.reduce((sum, s) => sum + (s.values[0] ?? 0n), 0n)).toBe(totalOf(pyProfile, wall));
  });
});

describe('service-wide answers of a measure', () => {
  it('splits wall time by endpoint, with no cpu_ns figures', async () => {
    const { status, body } = await getExact<{
      measure: string;
      sample_type: string;
      total_value: number | bigint;
      total_cpu_ns?: number;
      endpoints: { endpoint: string | null; value: number | bigint; cpu_ns?: number }[];
    }>(`/v1/endpoints/cpu?service=${pyService}&${window}&measure=wall`);

    expect(status).toBe(200);
    expect([body.measure, body.sample_type, big(body.total_value), body.total_cpu_ns]).toEqual([
      'wall',
      wall,
      totalOf(pyProfile, wall),
      undefined,
    ]);
    const byEndpoint = new Map(body.endpoints.map((e) => [e.endpoint, big(e.value)]));
    expect(byEndpoint).toEqual(
      new Map<string | null, bigint>([
        ['GET /py', totalOf(pyProfile, wall, labelled('trace endpoint', 'GET /py'))],
        [null, totalOf(pyProfile, wall, (s) => !s.labels.has('trace endpoint'))],
        ['POST /py', totalOf(pyProfile, wall, labelled('trace endpoint', 'POST /py'))],
      ]),
    );
    expect(body.endpoints.every((e) => e.cpu_ns === undefined)).toBe(true);
  });

  it('lists endpoints and sums a timeseries in lock wait', async () => {
    const list = await getExact<{ measure: string; endpoints: { endpoint: string | null; value: number }[] }>(
      `/v1/endpoints?service=${pyService}&${window}&measure=lock-wait`,
    );
    const series = await getExact<{ measure: string; total_value: number | bigint; unit: string }>(
      `/v1/endpoints/timeseries?service=${pyService}&${window}&measure=lock-wait`,
    );

    expect([list.status, list.body.measure, series.status, series.body.measure]).toEqual([
      200,
      'lock-wait',
      200,
      'lock-wait',
    ]);
    expect(list.body.endpoints.reduce((sum, e) => sum + big(e.value), 0n)).toBe(totalOf(pyProfile, lock));
    expect(big(series.body.total_value)).toBe(totalOf(pyProfile, lock));
  });

  it('tells each service which measures its profiles hold', async () => {
    const { body } = await getExact<{ services: { service: string; measures: string[] }[] }>(`/v1/services?${window}`);
    const measuresOf = (service: string) => body.services.find((s) => s.service === service)?.measures;

    expect([measuresOf(pyService), measuresOf(nodeService), measuresOf(goService)]).toEqual([
      ['cpu', 'wall', 'lock-wait', 'alloc-space/bytes', 'samples/count'],
      ['cpu', 'wall', 'samples/count'],
      ['cpu', 'samples/count'],
    ]);
  });

  it('refuses a measure the scope does not hold, naming those it does, and a malformed one', async () => {
    const unknown = await getExact<{ error: { message: string } }>(
      `/v1/endpoints/cpu?service=${goService}&${window}&measure=alloc-space/bytes`,
    );
    const malformed = await getExact<{ error: { message: string } }>(`/v1/flamegraph?span_id=${ids.root}&measure=heap`);
    const onSpan = await getExact<{ error: { message: string } }>(`/v1/spans/${ids.root}/hotspots?measure=heap/bytes`);

    expect([unknown.status, unknown.body.error.message]).toEqual([
      400,
      `measure "alloc-space/bytes" is not stored for service "${goService}" in this window; available: cpu, samples/count (and always cpu, wall, lock-wait)`,
    ]);
    expect([malformed.status, malformed.body.error.message]).toEqual([
      400,
      'measure "heap" is not a measure: give cpu, wall, lock-wait or a stored sample type as type/unit (letters, digits, _ . : -, at most 64 each)',
    ]);
    expect([onSpan.status, onSpan.body.error.message]).toEqual([
      400,
      `measure "heap/bytes" is not stored for span ${ids.root}; available: wall, lock-wait, samples/count (and always cpu, wall, lock-wait)`,
    ]);
  });
});

interface Breakdown {
  scope: string;
  profiled: boolean;
  duration_ns: number | bigint;
  cpu_ns: number | bigint | null;
  wall_ns: number | bigint | null;
  sampled_wall_ns: number | bigint | null;
  lock_wait_ns: number | bigint | null;
  rest_ns: number | bigint | null;
  rest_of: string | null;
  categories: { category: string; ns: number | bigint }[];
}

const exactBreakdown = (b: Breakdown | null | undefined) =>
  b && {
    ...b,
    duration_ns: big(b.duration_ns),
    cpu_ns: b.cpu_ns === null ? null : big(b.cpu_ns),
    wall_ns: b.wall_ns === null ? null : big(b.wall_ns),
    sampled_wall_ns: b.sampled_wall_ns === null ? null : big(b.sampled_wall_ns),
    lock_wait_ns: b.lock_wait_ns === null ? null : big(b.lock_wait_ns),
    rest_ns: b.rest_ns === null ? null : big(b.rest_ns),
    categories: b.categories.map((c) => ({ category: c.category, ns: big(c.ns) })),
  };

interface HotspotsBody {
  measure: string;
  measures: string[];
  value: number | bigint;
  value_with_children: number | bigint | null;
  cpu_ns: number | bigint;
  breakdown: Breakdown | null;
}

const hotspots = (spanId: string, measure?: string) =>
  getExact<HotspotsBody>(`/v1/spans/${spanId}/hotspots${measure ? `?measure=${measure}` : ''}`);

/** The breakdown a request should show, from the pprof alone. */
function expectedBreakdown(
  bytes: Uint8Array,
  keep: ReturnType<typeof labelled>,
  durationMs: bigint,
  present: { wall: boolean; lock: boolean },
) {
  const c = totalOf(bytes, cpu, keep);
  const w = present.wall ? totalOf(bytes, wall, keep) : null;
  const l = present.lock ? totalOf(bytes, lock, keep) : null;
  // Wall is at least CPU; the rest is of the larger of duration and wall (breakdown.ts).
  const wallNs = w === null ? null : w > c ? w : c;
  const base = wallNs !== null && wallNs > durationMs * MS ? wallNs : durationMs * MS;
  const rest = base - c - (l ?? 0n) > 0n ? base - c - (l ?? 0n) : 0n;
  return {
    scope: 'request',
    profiled: true,
    duration_ns: durationMs * MS,
    cpu_ns: c,
    wall_ns: wallNs,
    sampled_wall_ns: w,
    lock_wait_ns: l,
    rest_ns: rest,
    rest_of: w === null ? 'duration' : 'wall',
    categories: [
      { category: 'CPU', ns: c },
      ...(l === null ? [] : [{ category: 'Lock Wait', ns: l }]),
      { category: w === null ? 'Off-CPU' : 'Uncategorized', ns: rest },
    ],
  };
}

describe('where a span’s time went', () => {
  it('splits a Python request into CPU, lock wait and the uncategorised rest of its wall time', async () => {
    const { status, body } = await hotspots(ids.root);

    expect(status).toBe(200);
    expect(exactBreakdown(body.breakdown)).toEqual(
      expectedBreakdown(pyProfile, ofRoot(ids.root), 1000n, { wall: true, lock: true }),
    );
    expect(body.measures).toEqual(['cpu', 'wall', 'lock-wait', 'alloc-space/bytes', 'samples/count']);
  });

  it('gives the chosen measure’s value of the span and of its request, CPU still as cpu_ns', async () => {
    const { body } = await hotspots(ids.root, 'wall');

    expect([body.measure, big(body.value), big(body.value_with_children), big(body.cpu_ns)]).toEqual([
      'wall',
      totalOf(pyProfile, wall, ofSpans(ids.root)),
      totalOf(pyProfile, wall, ofRoot(ids.root)),
      totalOf(pyProfile, cpu, ofSpans(ids.root)),
    ]);
  });

  it('shows a Node request awaiting a timer as wall time without CPU', async () => {
    const { body } = await hotspots(ids.nodeRoot);

    expect(exactBreakdown(body.breakdown)).toEqual(
      expectedBreakdown(nodeProfile, ofRoot(ids.nodeRoot), 600n, { wall: true, lock: false }),
    );
    expect(body.breakdown?.categories.map((c) => c.category)).toEqual(['CPU', 'Uncategorized']);
    expect(big(body.breakdown?.cpu_ns)).toBe(0n);
  });

  it('splits a Go request into CPU and off-CPU time', async () => {
    const { body } = await hotspots(ids.goRoot);

    expect(exactBreakdown(body.breakdown)).toEqual(
      expectedBreakdown(goProfile, ofRoot(ids.goRoot), 100n, { wall: false, lock: false }),
    );
  });

  it('keeps "not profiled" (null) apart from "profiled, nothing sampled" (0)', async () => {
    const [idle, covered] = await Promise.all([hotspots(ids.idle), hotspots(ids.other)]);
    const emptySpan = spanRow({
      tenant,
      traceId: traceOf(ids.other),
      spanId: id(),
      parentId: ids.other,
      service: pyService,
      startNs: startNs + 4100n * MS,
      durationNs: 50n * MS,
    });
    await deps.db.insert('spans', [emptySpan]);
    const zero = await hotspots(emptySpan.span_id);

    expect(exactBreakdown(idle.body.breakdown)).toEqual({
      scope: 'request',
      profiled: false,
      duration_ns: 100n * MS,
      cpu_ns: null,
      wall_ns: null,
      sampled_wall_ns: null,
      lock_wait_ns: null,
      rest_ns: null,
      rest_of: null,
      categories: [],
    });
    expect(exactBreakdown(zero.body.breakdown)).toEqual({
      scope: 'span',
      profiled: true,
      duration_ns: 50n * MS,
      cpu_ns: 0n,
      wall_ns: 0n,
      sampled_wall_ns: 0n,
      lock_wait_ns: 0n,
      rest_ns: 50n * MS,
      rest_of: 'wall',
      categories: [
        { category: 'CPU', ns: 0n },
        { category: 'Lock Wait', ns: 0n },
        { category: 'Uncategorized', ns: 50n * MS },
      ],
    });
    expect(big(covered.body.breakdown?.sampled_wall_ns)).toBe(totalOf(pyProfile, wall, ofRoot(ids.other)));
  });

  it('gives every span of a trace its breakdown and the chosen measure', async () => {
    const { status, body } = await getExact<{
      measure: string;
      measures: string[];
      value: number | bigint;
      spans: {
        span_id: string;
        value: number | bigint;
        value_with_children: number | bigint | null;
        breakdown: Breakdown;
      }[];
    }>(`/v1/traces/${pyTrace}?measure=wall`);
    const spanOf = (spanId: string) => body.spans.find((s) => s.span_id === spanId);

    expect(status).toBe(200);
    expect([body.measure, body.measures, big(body.value)]).toEqual([
      'wall',
      ['cpu', 'wall', 'lock-wait', 'alloc-space/bytes', 'samples/count'],
      totalOf(pyProfile, wall, ofSpans(ids.root, ids.child, ids.idle)),
    ]);
    expect([big(spanOf(ids.child)?.value), spanOf(ids.child)?.value_with_children]).toEqual([
      totalOf(pyProfile, wall, ofSpans(ids.child)),
      null,
    ]);
    expect(exactBreakdown(spanOf(ids.root)?.breakdown)).toEqual(
      expectedBreakdown(pyProfile, ofRoot(ids.root), 1000n, { wall: true, lock: true }),
    );
    expect(spanOf(ids.idle)?.breakdown.profiled).toBe(false);
  });
});
