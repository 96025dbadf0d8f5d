import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { parseEndpointCpuQuery } from '../../shared/query/endpoint-cpu.js';
import { parseFlamegraphQuery } from '../../shared/query/flamegraph.js';
import { singleValuedParams } from '../../shared/query/query-params.js';
import { parseTimeseriesQuery } from '../../shared/query/timeseries.js';

const window = 'from=2026-11-24T10:00:00Z&to=2026-11-24T11:00:00Z';
const DAY = 86_400;

function errorOf(run: () => unknown): HotspotsError {
  try {
    run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('expected a HotspotsError');
}

describe('singleValuedParams', () => {
  it('refuses a parameter given twice, naming it and the count', () => {
    const error = errorOf(() => singleValuedParams(new URLSearchParams('service=a&x=1&service=b&service=c')));

    expect([error.status, error.message]).toEqual([
      400,
      'query parameter "service" is given 3 times; it takes one value',
    ]);
  });

  it('lets the parameters a route lists as repeatable repeat', () => {
    const query = new URLSearchParams('endpoint=a&endpoint=b&service=s');

    expect(singleValuedParams(query, ['endpoint'])).toBe(query);
  });

  it('refuses a repeated empty value like any other', () => {
    expect(errorOf(() => singleValuedParams(new URLSearchParams('env=&env=prod'))).status).toBe(400);
  });

  it('quotes at most 64 characters of a long name', () => {
    const name = 'n'.repeat(1000);

    const error = errorOf(() => singleValuedParams(new URLSearchParams(`${name}=1&${name}=2`)));

    expect(error.message).toBe(`query parameter "${'n'.repeat(64)}…" is given 2 times; it takes one value`);
  });
});

describe('the query parsers', () => {
  const limits = {
    maxNodes: 100,
    maxStacks: 100,
    maxRangeSeconds: DAY,
    maxRequestSpans: 100,
    maxPoints: 1000,
    maxSeries: 10,
  };

  it.each([
    ['endpoint CPU', () => parseEndpointCpuQuery('acme', new URLSearchParams(`service=a&service=b&${window}`), DAY)],
    ['timeseries', () => parseTimeseriesQuery('acme', new URLSearchParams(`service=a&service=b&${window}`), limits)],
    ['flame graph', () => parseFlamegraphQuery('acme', new URLSearchParams(`service=a&service=b&${window}`), limits)],
    ['flame graph selector', () => parseFlamegraphQuery('acme', new URLSearchParams('span_id=1&span_id=2'), limits)],
  ])('%s refuses a repeated service or id', (_route, parse) => {
    expect(errorOf(parse).message).toMatch(/^query parameter "(service|span_id)" is given 2 times/);
  });

  it('timeseries and flame graph still take several endpoints', () => {
    const query = new URLSearchParams(`service=a&endpoint=x&endpoint=y&${window}`);

    expect(parseTimeseriesQuery('acme', query, limits).endpoints).toEqual(['x', 'y']);
    expect(parseFlamegraphQuery('acme', query, limits).selector).toMatchObject({ endpoints: ['x', 'y'] });
  });
});
