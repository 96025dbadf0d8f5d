import { describe, expect, it } from 'vitest';
import { type Sql, uint64Set } from '../../shared/platform/sql.js';
import { parseMeasure } from '../../shared/query/measures.js';
import { windowSeconds } from '../../shared/query/sql/committed.js';
import { type CpuSelector, type CpuSource, cpuSource, measureSource } from '../../shared/query/sql/measure-source.js';

/** SQL text on one line, so fragments can be looked for whatever the indentation. */
const flat = (statement: Sql): string => statement.text.replace(/\s+/g, ' ').replace(/\( /g, '(').trim();

const text = (source: CpuSource) => ({
  table: flat(source.table),
  where: flat(source.where),
  endpoint: flat(source.endpoint),
});

const window: CpuSelector = { kind: 'service', service: 'checkout', from: 1000.7, to: 1060.2 };

describe('cpuSource for a service window', () => {
  it('reads CPU samples of the service from the samples table', () => {
    const { table, where, endpoint } = text(cpuSource('acme', window));

    expect([table, endpoint]).toEqual(['samples', 'endpoint']);
    expect(where).toContain(
      "tenant = 'acme' AND service = 'checkout' AND sample_type = 'cpu' AND sample_unit = 'nanoseconds'",
    );
  });

  it('widens a fractional window to the whole seconds that cover it', () => {
    const { where } = text(cpuSource('acme', window));

    expect(where).toContain('ts >= toDateTime(1000) AND ts < toDateTime(1061)');
  });

  it('counts only the committed ingest attempts of profiles that started in the window', () => {
    const { where } = text(cpuSource('acme', window));

    expect(where).toContain(
      "ingest_id IN (SELECT argMax(ingest_id, (committed_ns, ingest_id)) FROM profiles WHERE tenant = 'acme' AND service = 'checkout' AND start >= toDateTime(1000) AND start < toDateTime(1061) GROUP BY profile_id)",
    );
  });

  it('reads the endpoint roll-up, which holds CPU rows only, without the sample type filter', () => {
    const { table, where, endpoint } = text(cpuSource('acme', window, 'endpoint'));

    expect([table, where.includes('sample_type'), endpoint]).toEqual([
      'cpu_by_endpoint',
      false,
      'if(labelled = 1, endpoint_name, NULL)',
    ]);
  });

  it('reads the stack roll-up when asked for stacks', () => {
    expect(text(cpuSource('acme', window, 'stack')).table).toBe('cpu_by_stack');
  });

  it('filters endpoints by the endpoint label in the samples table', () => {
    const { where } = text(cpuSource('acme', { ...window, endpoints: ['GET /a', "POST /it's"] }));

    expect(where).toContain("AND endpoint IN ('GET /a', 'POST /it\\'s')");
  });

  it('filters endpoints by the labelled columns in a roll-up', () => {
    const { where } = text(cpuSource('acme', { ...window, endpoints: ['GET /a'] }, 'endpoint'));

    expect(where).toContain("AND labelled = 1 AND endpoint_name IN ('GET /a')");
  });

  it('adds no endpoint filter for an empty list', () => {
    const { where } = text(cpuSource('acme', { ...window, endpoints: [] }));

    expect(where).not.toMatch(/endpoint\w* IN/);
  });

  it('adds env and version filters only when they are given', () => {
    const plain = text(cpuSource('acme', window)).where;
    const narrowed = text(cpuSource('acme', { ...window, env: 'prod', version: '1.2.3' })).where;

    expect([plain.includes('env ='), narrowed.includes("AND env = 'prod' AND version = '1.2.3'")]).toEqual([
      false,
      true,
    ]);
  });
});

describe('cpuSource for spans, requests and traces', () => {
  it('reads one span from samples_by_span by its id, a UInt64 number literal', () => {
    const { table, where } = text(cpuSource('acme', { kind: 'span', spanId: '18446744073709551615' }));

    expect([table, where]).toEqual([
      'samples_by_span',
      expect.stringContaining("tenant = 'acme' AND span_id = 18446744073709551615"),
    ]);
  });

  it('counts only committed attempts of the profiles that hold the span, through profile_commits', () => {
    const { where } = text(cpuSource('acme', { kind: 'span', spanId: '42' }));

    expect(where).toContain(
      "ingest_id IN (SELECT argMax(ingest_id, (committed_ns, ingest_id)) FROM profile_commits WHERE tenant = 'acme' AND profile_id IN (SELECT profile_id FROM samples_by_span WHERE tenant = 'acme' AND span_id = 42) GROUP BY profile_id)",
    );
  });

  it('reads a request from samples_by_root by its local root span id', () => {
    const { table, where } = text(cpuSource('acme', { kind: 'local_root', localRootSpanId: '7' }));

    expect([table, where]).toEqual(['samples_by_root', expect.stringContaining('local_root_span_id = 7')]);
  });

  it("reads a trace from samples_by_span for the span ids the trace's spans hold", () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';

    const { table, where } = text(cpuSource('acme', { kind: 'trace', traceId }));

    expect([table, where]).toEqual([
      'samples_by_span',
      expect.stringContaining(
        `span_id IN (SELECT DISTINCT span_id FROM spans WHERE tenant = 'acme' AND trace_id = '${traceId}')`,
      ),
    ]);
  });

  it('reads a set of spans from samples_by_span by their ids', () => {
    const source = cpuSource('acme', { kind: 'span_set', spanIds: ['1', '2', '9007199254740993'] });
    const ids = uint64Set([1n, 2n, 9_007_199_254_740_993n]);
    const { table, where } = text(source);

    // The ids travel as one external table (sql.ts uint64Set), not as SQL text.
    expect([table, where, source.where.tables]).toEqual([
      'samples_by_span',
      expect.stringContaining(`tenant = 'acme' AND span_id IN ${ids.text}`),
      ids.tables,
    ]);
    expect(where).not.toContain('9007199254740993');
  });

  it('ignores a roll-up, which only service windows have', () => {
    expect(text(cpuSource('acme', { kind: 'span', spanId: '42' }, 'stack')).table).toBe('samples_by_span');
  });

  it('narrows a span by endpoint on the samples table', () => {
    const { where } = text(cpuSource('acme', { kind: 'span', spanId: '42', endpoints: ['GET /a'] }));

    expect(where).toContain("span_id = 42 AND endpoint IN ('GET /a')");
  });
});

describe('cpuSource tenancy', () => {
  it.each<CpuSelector>([
    window,
    { kind: 'span', spanId: '1' },
    { kind: 'local_root', localRootSpanId: '1' },
    { kind: 'trace', traceId: '0af7651916cd43dd8448eb211c80319c' },
    { kind: 'span_set', spanIds: ['1', '2'] },
  ])('scopes every table it reads for a $kind selector to the caller’s tenant', (selector) => {
    const { where } = text(cpuSource("o'brien", selector));
    const tenantFilters = where.match(/tenant = '(?:[^'\\]|\\.)*'/g) ?? [];

    expect(new Set(tenantFilters)).toEqual(new Set(["tenant = 'o\\'brien'"]));
    expect(tenantFilters.length).toBe((where.match(/\bFROM\b/g) ?? []).length + 1);
  });
});

describe('windowSeconds', () => {
  it('covers a fractional window with whole seconds', () => {
    expect(windowSeconds(1000.7, 1060.2)).toEqual({ fromSec: 1000, toSec: 1061 });
  });

  it('keeps a window of whole seconds as it is', () => {
    expect(windowSeconds(1000, 1060)).toEqual({ fromSec: 1000, toSec: 1060 });
  });
});

describe('measureSource for measures other than CPU', () => {
  const wall = parseMeasure('wall');

  it('reads a service window of wall time from samples, by its sample type, whatever roll-up is asked', () => {
    const plain = text(measureSource('acme', window, wall));
    const rolled = text(measureSource('acme', window, wall, 'stack'));

    expect([plain.table, rolled.table, rolled.endpoint]).toEqual(['samples', 'samples', 'endpoint']);
    expect(rolled.where).toContain(
      "tenant = 'acme' AND service = 'checkout' AND sample_type = 'wall' AND sample_unit = 'nanoseconds'",
    );
  });

  it('reads a span, a request and a trace from the measure lookups, narrowed to the sample type', () => {
    const measure = parseMeasure('alloc-space/bytes');
    const span = text(measureSource('acme', { kind: 'span', spanId: '42' }, measure));
    const request = text(measureSource('acme', { kind: 'local_root', localRootSpanId: '7' }, measure));
    const trace = text(measureSource('acme', { kind: 'trace', traceId: 'ab' }, measure));

    expect([span.table, request.table, trace.table]).toEqual([
      'measures_by_span',
      'measures_by_root',
      'measures_by_span',
    ]);
    expect(span.where).toContain(
      "tenant = 'acme' AND span_id = 42 AND sample_type = 'alloc-space' AND sample_unit = 'bytes'",
    );
    expect(request.where).toContain("local_root_span_id = 7 AND sample_type = 'alloc-space' AND sample_unit = 'bytes'");
    // The committed filter reads the profile ids of the same rows.
    expect(span.where).toContain(
      "SELECT profile_id FROM measures_by_span WHERE tenant = 'acme' AND span_id = 42 AND sample_type = 'alloc-space'",
    );
  });

  it('keeps CPU on its own lookups and roll-ups', () => {
    expect(text(measureSource('acme', { kind: 'span', spanId: '42' }, parseMeasure('cpu'))).table).toBe(
      'samples_by_span',
    );
    expect(text(measureSource('acme', window, parseMeasure('cpu/nanoseconds'), 'endpoint')).table).toBe(
      'cpu_by_endpoint',
    );
  });
});
