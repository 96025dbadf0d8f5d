import { describe, expect, it } from 'vitest';
import { layoutWaterfall, type TraceBody, type TraceSpan, wallSegments } from '../../ui/src/waterfall.js';

const span = (
  id: string,
  parent: string,
  start: number,
  duration: number,
  extra: Partial<TraceSpan> = {},
): TraceSpan => ({
  span_id: id,
  parent_id: parent,
  service: 'api',
  name: 'op',
  resource: id,
  type: 'web',
  error: 0,
  start_ns: start,
  duration_ns: duration,
  cpu_ns: 0,
  cpu_ns_with_children: null,
  unexplained_ns: duration,
  profiled: true,
  profile_coverage: 1,
  value: 0,
  value_with_children: null,
  breakdown: {
    scope: 'span',
    profiled: true,
    duration_ns: duration,
    cpu_ns: 0,
    wall_ns: null,
    sampled_wall_ns: null,
    lock_wait_ns: null,
    rest_ns: duration,
    rest_of: 'duration',
    categories: [
      { category: 'CPU', ns: 0 },
      { category: 'Off-CPU', ns: duration },
    ],
  },
  ...extra,
});

const trace = (spans: TraceSpan[]): TraceBody => {
  const start = Math.min(...spans.map((s) => s.start_ns));
  const end = Math.max(...spans.map((s) => s.start_ns + s.duration_ns));
  return {
    trace_id: 't',
    measure: 'cpu',
    unit: 'nanoseconds',
    measures: ['cpu'],
    start_ns: start,
    duration_ns: end - start,
    cpu_ns: 0,
    value: 0,
    spans,
    truncated: false,
  };
};

describe('trace waterfall layout', () => {
  it('puts children under their parent by start time, with depths', () => {
    const rows = layoutWaterfall(
      trace([
        span('c2', 'root', 1_500, 100),
        span('root', '0', 1_000, 1_000),
        span('c1', 'root', 1_100, 100),
        span('g', 'c1', 1_150, 10),
      ]),
    );
    expect(rows.map((r) => [r.span.span_id, r.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['g', 2],
      ['c2', 1],
    ]);
  });

  it('places bars on the trace axis as fractions of its duration', () => {
    const [root, child] = layoutWaterfall(trace([span('root', '0', 1_000, 1_000), span('c', 'root', 1_250, 500)]));
    expect([root?.offset, root?.width, child?.offset, child?.width]).toEqual([0, 1, 0.25, 0.5]);
  });

  it('counts a local root’s request CPU against its duration, as the API’s unexplained time does', () => {
    const [root] = layoutWaterfall(
      trace([span('root', '0', 0, 100_000_000, { cpu_ns: 10_000_000, cpu_ns_with_children: 40_000_000 })]),
    );
    expect([root?.onCpuNs, root?.cpuFraction, root?.cpuExceedsDuration]).toEqual([40_000_000, 0.4, false]);
  });

  it('caps the CPU part of the bar when parallel goroutines burnt more CPU than the span lasted', () => {
    const [root] = layoutWaterfall(trace([span('root', '0', 0, 10_000_000, { cpu_ns: 30_000_000 })]));
    expect([root?.cpuFraction, root?.cpuExceedsDuration]).toEqual([1, true]);
  });

  it('shows spans whose parent is missing or caught in a cycle at the top level, once each', () => {
    const rows = layoutWaterfall(trace([span('a', 'b', 0, 10), span('b', 'a', 5, 10), span('orphan', '999', 2, 3)]));
    expect(rows.map((r) => r.span.span_id).sort()).toEqual(['a', 'b', 'orphan']);
  });
});

describe('waterfall segments of a span’s time', () => {
  const python = {
    scope: 'request' as const,
    profiled: true,
    duration_ns: 600,
    cpu_ns: 50,
    wall_ns: 650,
    sampled_wall_ns: 650,
    lock_wait_ns: 140,
    rest_ns: 460,
    rest_of: 'wall' as const,
    categories: [
      { category: 'CPU' as const, ns: 50 },
      { category: 'Lock Wait' as const, ns: 140 },
      { category: 'Uncategorized' as const, ns: 460 },
    ],
  };

  it('splits a wall-profiled span’s bar by its categories, which fill it', () => {
    const segments = wallSegments(span('a', '0', 0, 1000, { breakdown: python }));

    expect(segments.map((s) => [s.category, s.ns])).toEqual([
      ['CPU', 50],
      ['Lock Wait', 140],
      ['Uncategorized', 460],
    ]);
    expect(segments.reduce((sum, s) => sum + s.fraction, 0)).toBeCloseTo(1, 12);
    expect(segments[1]?.fraction).toBeCloseTo(140 / 650, 12);
  });

  it('leaves CPU-only and unprofiled spans to the CPU and unexplained split', () => {
    const unprofiled = { ...python, profiled: false, rest_of: null, categories: [] };

    expect([
      wallSegments(span('a', '0', 0, 100)),
      wallSegments(span('b', '0', 0, 100, { breakdown: unprofiled })),
    ]).toEqual([[], []]);
    expect(layoutWaterfall(trace([span('a', '0', 0, 1000, { breakdown: python })]))[0]?.segments).toHaveLength(3);
  });
});
