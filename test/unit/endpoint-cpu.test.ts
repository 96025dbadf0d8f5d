import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EndpointCpuQuery,
  endpointCpu,
  endpointCpuStatements,
  parseEndpointCpuQuery,
  shareOf,
} from '../../shared/query/endpoint-cpu.js';
import { CPU } from '../../shared/query/measures.js';
import { cpuSumColumns, largestCpuSumFirst } from '../../shared/query/sql/cpu-sum.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const RUNS = { numRuns: 200 };
const DAY = 24 * 3600;

describe('shareOf', () => {
  it('is 0 when the total is 0', () => {
    expect(shareOf(0n, 0n)).toBe(0);
  });

  it('is 1 for the whole', () => {
    expect(shareOf(123n, 123n)).toBe(1);
  });

  it('gives the fraction to nine decimal places', () => {
    expect(shareOf(1n, 3n)).toBe(0.333333333);
  });

  it('keeps precision for totals far beyond 2^53', () => {
    const total = 2n ** 80n;

    expect(shareOf(total / 4n, total)).toBe(0.25);
  });

  it('stays between 0 and 1 and within 1e-9 of the exact fraction', () => {
    const pair = fc
      .bigInt({ min: 1n, max: 2n ** 96n })
      .chain((total) => fc.tuple(fc.bigInt({ min: 0n, max: total }), fc.constant(total)));

    fc.assert(
      fc.property(pair, ([value, total]) => {
        const share = shareOf(value, total);
        const exact = Number((value * 10n ** 15n) / total) / 1e15;

        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(1);
        expect(Math.abs(share - exact)).toBeLessThanOrEqual(1e-9);
      }),
      RUNS,
    );
  });
});

describe('parseEndpointCpuQuery', () => {
  const window = { from: '2026-11-24T10:00:00Z', to: '2026-11-24T11:00:00Z' };

  it('reads the service, window and optional filters', () => {
    const query = parseEndpointCpuQuery(
      'acme',
      new URLSearchParams({ service: 'checkout', env: 'prod', version: '1.2.3', ...window }),
      DAY,
    );

    expect(query).toEqual({
      tenant: 'acme',
      service: 'checkout',
      from: 1_795_514_400,
      to: 1_795_518_000,
      env: 'prod',
      version: '1.2.3',
      measure: CPU,
    });
  });

  it('leaves empty env and version filters unset', () => {
    const query = parseEndpointCpuQuery(
      'acme',
      new URLSearchParams({ service: 'checkout', env: '', version: '', ...window }),
      DAY,
    );

    expect([query.env, query.version]).toEqual([undefined, undefined]);
  });

  it('trims the service', () => {
    expect(parseEndpointCpuQuery('acme', new URLSearchParams({ service: ' checkout ', ...window }), DAY).service).toBe(
      'checkout',
    );
  });

  it('takes the tenant from the caller, not the query', () => {
    const params = new URLSearchParams({ service: 'checkout', tenant: 'globex', ...window });

    expect(parseEndpointCpuQuery('acme', params, DAY).tenant).toBe('acme');
  });

  it('refuses a missing service as bad_request', () => {
    expectHotspotsError(() => parseEndpointCpuQuery('acme', new URLSearchParams({ ...window }), DAY), {
      code: 'bad_request',
      message: 'service is required',
    });
  });

  it('refuses a blank service as bad_request', () => {
    expectHotspotsError(() => parseEndpointCpuQuery('acme', new URLSearchParams({ service: '  ', ...window }), DAY), {
      code: 'bad_request',
    });
  });

  it('refuses a missing window as bad_request', () => {
    expectHotspotsError(() => parseEndpointCpuQuery('acme', new URLSearchParams({ service: 'checkout' }), DAY), {
      code: 'bad_request',
      message: 'from and to are required',
    });
  });

  it('refuses a reversed window as bad_request', () => {
    expectHotspotsError(
      () =>
        parseEndpointCpuQuery(
          'acme',
          new URLSearchParams({ service: 'checkout', from: window.to, to: window.from }),
          DAY,
        ),
      { code: 'bad_request' },
    );
  });

  it('refuses a window wider than the maximum as bad_request', () => {
    expectHotspotsError(
      () => parseEndpointCpuQuery('acme', new URLSearchParams({ service: 'checkout', ...window }), 3599),
      {
        code: 'bad_request',
        message: 'time range is 3600 s, wider than the limit of 3599 s',
      },
    );
  });
});

const query: EndpointCpuQuery = { tenant: 'acme', service: 'checkout', from: 1_795_514_400, to: 1_795_518_000 };

/** SQL text on one line, so fragments can be looked for whatever the indentation. */
const flat = (text: string): string => text.replace(/\s+/g, ' ').replace(/\( /g, '(').trim();

describe('endpointCpuStatements', () => {
  it('sums CPU per endpoint label from the endpoint roll-up, heaviest first, one row past the limit', () => {
    const { byEndpoint } = endpointCpuStatements(query, 50);

    const text = flat(byEndpoint.text);

    // The sum in halves, exact past 2^63 (cpu-sum.ts), and ordered on the exact sum.
    expect(text).toMatch(
      /^SELECT if\(labelled = 1, endpoint_name, NULL\) AS endpoint_label, toString\(sum\(bitShiftRight\(value, 32\)\)\) AS cpu_ns_hi, toString\(sum\(toUInt64\(bitAnd\(value, 4294967295\)\)\)\) AS cpu_ns_lo FROM cpu_by_endpoint WHERE .* GROUP BY endpoint_label ORDER BY .* LIMIT 51$/,
    );
    expect(text).toContain(`AS endpoint_label, ${cpuSumColumns('cpu_ns').text} FROM`);
    expect(text.endsWith(`GROUP BY endpoint_label ORDER BY ${largestCpuSumFirst.text}, endpoint_label LIMIT 51`)).toBe(
      true,
    );
  });

  it('reads the total from the same rows as the split, so the shares add up', () => {
    const { byEndpoint, total } = endpointCpuStatements(query, 50);
    const [, totalWhere] = flat(total.text).split(' FROM cpu_by_endpoint WHERE ');

    expect(totalWhere).toMatch(/^tenant = 'acme' AND service = 'checkout' .* GROUP BY profile_id\)$/);
    expect(flat(byEndpoint.text)).toContain(`FROM cpu_by_endpoint WHERE ${totalWhere} GROUP BY endpoint_label`);
  });

  it('counts requests of the same committed profiles, narrowed like the CPU', () => {
    const { requests } = endpointCpuStatements({ ...query, env: 'prod', version: '1.2.3' }, 50);

    expect(flat(requests.text)).toContain(
      "FROM endpoint_counts WHERE tenant = 'acme' AND service = 'checkout' AND ts >= toDateTime(1795514400) AND ts < toDateTime(1795518000) AND env = 'prod' AND version = '1.2.3' AND ingest_id IN (SELECT argMax(ingest_id, (committed_ns, ingest_id)) FROM profiles",
    );
  });
});

describe('endpointCpu', () => {
  const rows = [
    { endpoint_label: 'GET /cart', ...cpuSum(600n, 'cpu_ns') },
    { endpoint_label: null, ...cpuSum(300n, 'cpu_ns') },
    { endpoint_label: 'POST /orders', ...cpuSum(100n, 'cpu_ns') },
  ];

  /** The total: the sum alone, in halves. */
  const TOTAL = /^SELECT toString\(sum\(bitShiftRight\(value, 32\)\)\) AS cpu_ns_hi, .* AS cpu_ns_lo\s+FROM /;

  function database(counts: object[] = [], total = 1000n) {
    return createFakeSqlDatabase([
      [/AS endpoint_label/, rows],
      [/FROM endpoint_counts/, counts],
      [TOTAL, [cpuSum(total, 'cpu_ns')]],
    ]);
  }

  it('gives each endpoint its CPU and its share of the total, unlabelled CPU as endpoint null', async () => {
    const result = await endpointCpu(database(), query, 10);

    expect(result.endpoints).toEqual([
      { endpoint: 'GET /cart', value: 600n, cpu_ns: 600n, share: 0.6 },
      { endpoint: null, value: 300n, cpu_ns: 300n, share: 0.3 },
      { endpoint: 'POST /orders', value: 100n, cpu_ns: 100n, share: 0.1 },
    ]);
  });

  it('answers the window in ISO 8601 and the total in nanoseconds', async () => {
    const result = await endpointCpu(database(), query, 10);

    expect([result.from, result.to, result.total_cpu_ns, result.sample_type]).toEqual([
      '2026-11-24T10:00:00.000Z',
      '2026-11-24T11:00:00.000Z',
      1000n,
      'cpu/nanoseconds',
    ]);
  });

  it('adds requests and CPU per request where the profiler counted hits', async () => {
    const result = await endpointCpu(database([{ endpoint: 'GET /cart', requests: '7' }]), query, 10);

    expect(result.endpoints[0]).toEqual({
      endpoint: 'GET /cart',
      value: 600n,
      cpu_ns: 600n,
      share: 0.6,
      requests: 7n,
      value_per_request: 85.714,
      cpu_ns_per_request: 85.714,
    });
  });

  it('gives no requests to an endpoint counted zero times, nor to unlabelled CPU', async () => {
    const counts = [
      { endpoint: 'POST /orders', requests: '0' },
      { endpoint: '', requests: '5' },
    ];

    const result = await endpointCpu(database(counts), query, 10);

    expect(result.endpoints.map((e) => e.requests)).toEqual([undefined, undefined, undefined]);
  });

  it('keeps at most the row limit and says it truncated', async () => {
    const result = await endpointCpu(database(), query, 2);

    expect([result.endpoints.map((e) => e.endpoint), result.truncated]).toEqual([['GET /cart', null], true]);
  });

  it('answers zero shares for a window without CPU', async () => {
    const db = createFakeSqlDatabase([
      [/AS endpoint_label/, []],
      [/FROM endpoint_counts/, []],
      [TOTAL, []],
    ]);

    const result = await endpointCpu(db, query, 10);

    expect([result.total_cpu_ns, result.endpoints, result.truncated]).toEqual([0n, [], false]);
  });
});
