import { describe, expect, it } from 'vitest';
import type { SpanRow } from '../../shared/query/answers.js';
import { traceView } from '../../shared/query/trace-view.js';
import { expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const MS = 1_000_000;

const span = (span_id: string, parent_id: string, service: string, startMs: number, durationMs: number): SpanRow => ({
  trace_id: TRACE,
  span_id,
  parent_id,
  service,
  name: 'op',
  resource: `resource ${span_id}`,
  type: 'web',
  env: 'prod',
  version: '1',
  runtime_id: `${service}-runtime`,
  start_ns: String(1_000_000 * MS + startMs * MS),
  duration_ns: String(durationMs * MS),
  error: 0,
});

/**
 * gateway (1) → checkout (2) → checkout (3) → payments (4); checkout (2) → checkout (5).
 * 2 is a local root of checkout, 4 of payments; 3 and 5 are not local roots.
 */
const spans = [
  span('1', '0', 'gateway', 0, 500),
  span('2', '1', 'checkout', 10, 400),
  span('3', '2', 'checkout', 20, 100),
  span('4', '3', 'payments', 30, 50),
  span('5', '2', 'checkout', 200, 150),
];

const cpuBySpan = [
  { id: '2', ...cpuSum(40n * BigInt(MS)) },
  { id: '3', ...cpuSum(60n * BigInt(MS)) },
  { id: '4', ...cpuSum(10n * BigInt(MS)) },
  { id: '5', ...cpuSum(200n * BigInt(MS)) },
];

const window = (service: string, startMs: number, durationMs: number) => ({
  service,
  runtime_id: `${service}-runtime`,
  start_ns: String(1_000_000 * MS + startMs * MS),
  duration_ns: String(durationMs * MS),
  period: String(10 * MS),
  sample_types: ['samples/count', 'cpu/nanoseconds'],
});

/** Every service profiled for the whole trace but payments, profiled for its first 25 ms. */
const windows = [window('gateway', 0, 1000), window('checkout', 0, 1000), window('payments', 30, 25)];

function database(options: { byRoot?: object[]; bySpan?: object[]; spans?: SpanRow[] } = {}) {
  return createFakeSqlDatabase([
    [/FROM measures_by_(span|root)/, []],
    [/FROM samples_by_root/, options.byRoot ?? []],
    [/FROM samples_by_span/, options.bySpan ?? cpuBySpan],
    // The CPU profiles of the services sent as a set.
    [/FROM profiles/, (_, query) => windows.filter((w) => query.setOf('service')?.includes(w.service))],
    [/FROM spans/, options.spans ?? spans],
  ]);
}

const viewOf = async (db = database(), maxSpans = 100) => traceView(db, 'acme', TRACE, maxSpans, 100_000);
const spanView = async (id: string, db = database()) => (await viewOf(db)).spans.find((s) => s.span_id === id);

describe('traceView', () => {
  it('lists every span of the trace with its own CPU, in the order the spans were read', async () => {
    const view = await viewOf();

    expect(view.spans.map((s) => [s.span_id, s.cpu_ns])).toEqual([
      ['1', 0n],
      ['2', 40n * BigInt(MS)],
      ['3', 60n * BigInt(MS)],
      ['4', 10n * BigInt(MS)],
      ['5', 200n * BigInt(MS)],
    ]);
  });

  it('spans the trace from the earliest start to the latest end, with the CPU of all its spans', async () => {
    const view = await viewOf();

    expect([view.trace_id, view.start_ns, view.duration_ns, view.cpu_ns]).toEqual([
      TRACE,
      1_000_000n * BigInt(MS),
      500n * BigInt(MS),
      310n * BigInt(MS),
    ]);
  });

  it('gives a local root the CPU of the samples labelled with it as local root', async () => {
    const view = await spanView('2', database({ byRoot: [{ id: '2', ...cpuSum(350n * BigInt(MS)) }] }));

    expect(view?.cpu_ns_with_children).toBe(350n * BigInt(MS));
  });

  it('without local root labels, gives a local root the CPU of its same-service subtree', async () => {
    const view = await viewOf();

    expect(view.spans.map((s) => [s.span_id, s.cpu_ns_with_children])).toEqual([
      ['1', 0n],
      ['2', 300n * BigInt(MS)],
      ['3', null],
      ['4', 10n * BigInt(MS)],
      ['5', null],
    ]);
  });

  it('counts unexplained time against a local root’s request CPU and a span’s own CPU elsewhere', async () => {
    const view = await viewOf();

    expect(view.spans.map((s) => [s.span_id, s.unexplained_ns])).toEqual([
      ['1', 500n * BigInt(MS)],
      ['2', 100n * BigInt(MS)],
      ['3', 40n * BigInt(MS)],
      ['4', 40n * BigInt(MS)],
      ['5', 0n],
    ]);
  });

  it('says how much of each span a CPU profile of its service covered', async () => {
    const view = await viewOf();

    expect(view.spans.map((s) => [s.span_id, s.profiled, s.profile_coverage])).toEqual([
      ['1', true, 1],
      ['2', true, 1],
      ['3', true, 1],
      ['4', true, 0.5],
      ['5', true, 1],
    ]);
  });

  it('keeps at most the span limit and says it truncated', async () => {
    const view = await viewOf(database(), 3);

    expect([view.spans.map((s) => s.span_id), view.truncated]).toEqual([['1', '2', '3'], true]);
  });

  it('sums a local root’s request over the spans a truncated view leaves out', async () => {
    // The view reads 3 + 1 spans; the request of 2 also holds 5, which starts last.
    const db = createFakeSqlDatabase([
      [/FROM measures_by_(span|root)/, []],
      [/FROM samples_by_root/, []],
      [/FROM samples_by_span/, cpuBySpan],
      [/FROM profiles/, (_, query) => windows.filter((w) => query.setOf('service')?.includes(w.service))],
      [/SELECT toString\(span_id\) AS span_id, toString\(parent_id\) AS parent_id, service FROM spans/, spans],
      [/FROM spans/, spans.slice(0, 4)],
    ]);

    const view = await viewOf(db, 3);

    expect(view.spans.map((s) => [s.span_id, s.cpu_ns_with_children])).toEqual([
      ['1', 0n],
      ['2', 300n * BigInt(MS)],
      ['3', null],
    ]);
  });

  it('answers no request CPU when the trace has more spans than its tree may read', async () => {
    const db = database({ spans: spans.slice(0, 4) });

    const view = await traceView(db, 'acme', TRACE, 3, 3);

    expect(view.spans.map((s) => s.cpu_ns_with_children)).toEqual([null, null, null]);
  });

  it('refuses a trace without spans as not found', async () => {
    await expectHotspotsErrorAsync(() => viewOf(database({ spans: [] })), {
      code: 'not_found',
      message: `trace ${TRACE} has no spans`,
    });
  });

  it('reads CPU and spans of the caller’s tenant only', async () => {
    const db = database();

    await viewOf(db);

    const tenants = db.statements.flatMap((s) => s.match(/tenant = '[^']*'/g) ?? []);
    expect(new Set(tenants)).toEqual(new Set(["tenant = 'acme'"]));
  });
});

describe('traceView on a trace of one span', () => {
  it('makes the lone span its own local root', async () => {
    const db = database({
      spans: [span('9', '0', 'checkout', 0, 100)],
      bySpan: [{ id: '9', ...cpuSum(30n * BigInt(MS)) }],
    });

    const view = await viewOf(db);

    expect(view.spans[0]).toMatchObject({
      cpu_ns: 30n * BigInt(MS),
      cpu_ns_with_children: 30n * BigInt(MS),
      unexplained_ns: 70n * BigInt(MS),
    });
  });

  it('answers no CPU and the whole duration unexplained when nothing was sampled', async () => {
    const db = database({ spans: [span('9', '0', 'checkout', 0, 100)], bySpan: [] });

    const view = await viewOf(db);

    expect([view.cpu_ns, view.spans[0]?.cpu_ns, view.spans[0]?.unexplained_ns]).toEqual([0n, 0n, 100n * BigInt(MS)]);
  });
});
