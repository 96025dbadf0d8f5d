import { describe, expect, it } from 'vitest';
import type { SpanRow } from '../../shared/query/answers.js';
import { OTHER_STACKS } from '../../shared/query/flamegraph.js';
import { spanHotspots } from '../../shared/query/span-hotspots.js';
import { expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { type CannedAnswer, cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const MS = 1_000_000n;
const limits = { maxStacks: 2, topFunctions: 5, maxRequestSpans: 1000 };

const span = (span_id: string, parent_id: string, service: string, durationMs: bigint): SpanRow => ({
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id,
  parent_id,
  service,
  name: 'http.request',
  resource: 'GET /cart',
  type: 'web',
  env: 'prod',
  version: '1',
  runtime_id: 'r1',
  start_ns: String(1_000_000n * MS),
  duration_ns: String(durationMs * MS),
  error: 0,
});

/** Span 2 (checkout, 100 ms) under gateway span 1: 30 ms in json.Marshal, 10 ms in handle, 5 ms beyond maxStacks. */
const stackRows = [
  { stack_id: '1', frame_list: ['13', '12', '11'] },
  { stack_id: '2', frame_list: ['12', '11'] },
];
const frameRows = [
  { frame_id: '11', function_name: 'main.main', file_name: 'main.go', line: '1' },
  { frame_id: '12', function_name: 'main.handle', file_name: 'main.go', line: '1' },
  { frame_id: '13', function_name: 'json.Marshal', file_name: 'encode.go', line: '1' },
];
const stackAnswers: CannedAnswer[] = [
  [
    /GROUP BY stack_id/,
    [
      { stack_id: '1', ...cpuSum(30n * MS) },
      { stack_id: '2', ...cpuSum(10n * MS) },
      { stack_id: '3', ...cpuSum(1n * MS) },
    ],
  ],
  // Stacks and frames by the ids of the set the statement sends.
  [/FROM stacks\b/, (_, query) => stackRows.filter((s) => query.setOf('stack_id')?.includes(s.stack_id))],
  [/FROM frames\b/, (_, query) => frameRows.filter((f) => query.setOf('frame_id')?.includes(f.frame_id))],
];

/** A CPU total: the sum alone, in halves (cpu-sum.ts), read from `table`. */
const total = (table: string) =>
  new RegExp(`^SELECT toString\\(sum\\(bitShiftRight\\(value, 32\\)\\)\\) AS cpu_hi, .* AS cpu_lo FROM ${table} `);

const windows = [
  {
    service: 'checkout',
    runtime_id: 'r1',
    start_ns: String(999_000n * MS),
    duration_ns: String(60_000n * MS),
    period: String(10n * MS),
    sample_types: ['samples/count', 'cpu/nanoseconds'],
  },
];

function database(options: { spans?: SpanRow[]; rootSamples?: string; requestCpu?: bigint; stacks?: boolean } = {}) {
  const spans = options.spans ?? [span('1', '0', 'gateway', 300n), span('2', '1', 'checkout', 100n)];
  return createFakeSqlDatabase([
    [/AS root FROM samples_by_span/, []],
    // No samples of other measures (wall, lock wait).
    [/count\(\) AS n FROM measures_by_root/, [{ n: '0' }]],
    [total('measures_by_\\w+'), [cpuSum(0n)]],
    [/count\(\) AS n FROM samples_by_root/, [{ n: options.rootSamples ?? '0' }]],
    ...(options.stacks === false ? [[/GROUP BY stack_id/, []] as const] : stackAnswers),
    // The span's own total (beyond maxStacks) and its request's total.
    [new RegExp(`${total('samples_by_span').source}WHERE tenant = 'acme' AND span_id = 2\\b`), [cpuSum(45n * MS)]],
    [total('samples_by_\\w+'), [cpuSum(options.requestCpu ?? 80n * MS)]],
    [/FROM profiles/, (_, query) => windows.filter((w) => query.setOf('service')?.includes(w.service))],
    [/FROM span_index/, (statement) => spans.filter((s) => new RegExp(`span_id = ${s.span_id}\\b`).test(statement))],
    // Whether a span's parent is a span of the same service.
    [
      /SELECT 1 AS found FROM spans\b/,
      (statement) =>
        spans
          .filter((s) => statement.includes(`span_id = ${s.span_id} AND service = '${s.service}'`))
          .slice(0, 1)
          .map(() => ({ found: 1 })),
    ],
    [/FROM spans\b/, (statement) => spans.filter((s) => statement.includes(`service = '${s.service}'`))],
  ]);
}

describe('spanHotspots', () => {
  it('gives a span its CPU, exact beyond the stacks it resolved', async () => {
    const hotspots = await spanHotspots(database(), 'acme', '2', limits);

    expect([hotspots.cpu_ns, hotspots.span?.duration_ns, hotspots.sampling_period_ns]).toEqual([
      45n * MS,
      100n * MS,
      10n * MS,
    ]);
  });

  it('ranks its functions by self and by total time, unresolved stacks as one entry', async () => {
    const hotspots = await spanHotspots(database(), 'acme', '2', limits);

    expect([
      hotspots.top_functions.self.map((f) => [f.function, f.self_ns]),
      hotspots.top_functions.total.map((f) => [f.function, f.total_ns]),
    ]).toEqual([
      [
        ['json.Marshal', 30n * MS],
        ['main.handle', 10n * MS],
        [OTHER_STACKS, 5n * MS],
      ],
      [
        ['main.handle', 40n * MS],
        ['main.main', 40n * MS],
        ['json.Marshal', 30n * MS],
        [OTHER_STACKS, 5n * MS],
      ],
    ]);
  });

  it('gives a local root its request CPU and counts unexplained time against it', async () => {
    const hotspots = await spanHotspots(database({ requestCpu: 80n * MS }), 'acme', '2', limits);

    expect([
      hotspots.is_local_root,
      hotspots.local_root_span_id,
      hotspots.cpu_ns_with_children,
      hotspots.unexplained_ns,
    ]).toEqual([true, '2', 80n * MS, 20n * MS]);
  });

  it('reads the request CPU of a local root from samples labelled with it, where the tracer labels them', async () => {
    const db = database({ rootSamples: '3', requestCpu: 90n * MS });

    const hotspots = await spanHotspots(db, 'acme', '2', limits);

    expect(hotspots.cpu_ns_with_children).toBe(90n * MS);
    expect(db.statements).toContainEqual(expect.stringMatching(total('samples_by_root')));
  });

  it('gives a span that is not a local root no request CPU, and counts unexplained time against its own', async () => {
    const spans = [span('1', '0', 'checkout', 300n), span('2', '1', 'checkout', 100n)];

    const hotspots = await spanHotspots(database({ spans }), 'acme', '2', limits);

    expect([hotspots.is_local_root, hotspots.cpu_ns_with_children, hotspots.unexplained_ns]).toEqual([
      false,
      null,
      55n * MS,
    ]);
  });

  it('refuses a span id that no span and no sample carries as not found', async () => {
    await expectHotspotsErrorAsync(() => spanHotspots(database({ spans: [], stacks: false }), 'acme', '2', limits), {
      code: 'not_found',
      message: 'span 2 is unknown: no span and no CPU samples carry this id',
    });
  });

  it('refuses to sum a request whose service has more spans in the trace than it may read', async () => {
    const spans = [span('1', '0', 'gateway', 300n), span('2', '1', 'checkout', 100n), span('3', '2', 'checkout', 50n)];

    await expectHotspotsErrorAsync(
      () => spanHotspots(database({ spans }), 'acme', '2', { ...limits, maxRequestSpans: 1 }),
      {
        code: 'unprocessable',
        message:
          'the request of span 2 cannot be summed: its trace has more than 1 spans of service "checkout", the most read to find a request from its spans (HOTSPOTS_MAX_REQUEST_SPANS)',
      },
    );
  });
});
