import { describe, expect, it } from 'vitest';
import { CPU } from '../../shared/query/measures.js';
import {
  parseTimeseriesQuery,
  type TimeseriesLimits,
  type TimeseriesQuery,
  timeseries,
} from '../../shared/query/timeseries.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const DAY = 24 * 3600;
const limits: TimeseriesLimits = { maxRangeSeconds: 7 * DAY, maxPoints: 1000, maxSeries: 3 };
const parse = (query: string) => parseTimeseriesQuery('acme', new URLSearchParams(query), limits);

describe('parseTimeseriesQuery', () => {
  it('reads the service, a window of whole seconds and the grouping, by endpoint by default', () => {
    expect(parse('service=checkout&from=1000.5&to=4600.2&step=60')).toEqual({
      tenant: 'acme',
      service: 'checkout',
      from: 1000,
      to: 4601,
      step: 60,
      groupBy: 'endpoint',
      measure: CPU,
    });
  });

  it('picks a step of at least a minute that gives at most 100 points', () => {
    expect([parse('service=s&from=0&to=3600').step, parse(`service=s&from=0&to=${DAY}`).step]).toEqual([60, 864]);
  });

  it('reads version grouping and the optional filters', () => {
    expect(parse('service=s&from=0&to=3600&group_by=version&env=prod&version=2&endpoint=GET+%2Fa')).toMatchObject({
      groupBy: 'version',
      env: 'prod',
      version: '2',
      endpoints: ['GET /a'],
    });
  });

  it.each([['0'], ['1.5'], ['-60'], ['soon'], ['']])('refuses step=%j', (step) => {
    expectHotspotsError(() => parse(`service=s&from=0&to=3600&step=${step}`), {
      code: 'bad_request',
      message: 'step must be a whole number of seconds ≥ 1',
    });
  });

  it('refuses a step that gives more points than the limit, saying how many', () => {
    expectHotspotsError(() => parse('service=s&from=0&to=3600&step=3'), {
      code: 'bad_request',
      message: 'step 3 s gives 1200 points over this range, more than the limit of 1000',
    });
  });

  it('refuses a grouping other than endpoint or version', () => {
    expectHotspotsError(() => parse('service=s&from=0&to=3600&group_by=host'), {
      code: 'bad_request',
      message: 'group_by must be endpoint or version',
    });
  });

  it('refuses a query without a service', () => {
    expectHotspotsError(() => parse('from=0&to=3600'), { code: 'bad_request', message: 'service is required' });
  });
});

describe('timeseries', () => {
  const query: TimeseriesQuery = {
    tenant: 'acme',
    service: 'checkout',
    from: 1000,
    to: 1180,
    step: 60,
    groupBy: 'endpoint',
  };

  /** Four series over three buckets: GET /a 90, unlabelled 40, POST /b 25, GET /c 5. */
  const rows = [
    { t: 1000, k: 'GET /a', ...cpuSum(50n) },
    { t: '1060', k: 'GET /a', ...cpuSum(40n) },
    { t: 1000, k: null, ...cpuSum(40n) },
    { t: 1060, k: 'POST /b', ...cpuSum(20n) },
    { t: 1120, k: 'POST /b', ...cpuSum(5n) },
    { t: 1120, k: 'GET /c', ...cpuSum(5n) },
  ];

  it('answers one series per key, heaviest first, with the buckets of the window', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, rows.slice(0, 3)]]);

    const result = await timeseries(db, query, limits);

    expect([result.timestamps, result.series]).toEqual([
      [1000, 1060, 1120],
      [
        {
          key: 'GET /a',
          total_value: 90n,
          total_cpu_ns: 90n,
          points: [
            { t: 1000, value: 50n, cpu_ns: 50n },
            { t: 1060, value: 40n, cpu_ns: 40n },
          ],
        },
        { key: null, total_value: 40n, total_cpu_ns: 40n, points: [{ t: 1000, value: 40n, cpu_ns: 40n }] },
      ],
    ]);
  });

  it('sums the smallest series beyond the limit into one marked other, keeping the total exact', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, rows]]);

    const result = await timeseries(db, query, limits);

    expect([result.total_cpu_ns, result.series.map((s) => [s.key, s.other ?? false, s.total_cpu_ns])]).toEqual([
      160n,
      [
        ['GET /a', false, 90n],
        [null, false, 40n],
        [null, true, 30n],
      ],
    ]);
  });

  it('sums the folded series bucket by bucket', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, rows]]);

    const result = await timeseries(db, query, limits);

    expect(result.series.at(-1)?.points).toEqual([
      { t: 1060, value: 20n, cpu_ns: 20n },
      { t: 1120, value: 10n, cpu_ns: 10n },
    ]);
  });

  it('buckets samples from the start of the window, step seconds wide, from the endpoint roll-up', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, []]]);

    await timeseries(db, query, limits);

    expect(db.statements[0]?.replace(/\s+/g, ' ')).toMatch(
      /^SELECT 1000 \+ intDiv\(toUInt32\(ts\) - 1000, 60\) \* 60 AS t, if\(labelled = 1, endpoint_name, NULL\) AS k, toString\(sum\(bitShiftRight\(value, 32\)\)\) AS cpu_hi, toString\(sum\(toUInt64\(bitAnd\(value, 4294967295\)\)\)\) AS cpu_lo FROM cpu_by_endpoint WHERE /,
    );
  });

  it('groups by the version column when asked to', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, []]]);

    await timeseries(db, { ...query, groupBy: 'version' }, limits);

    expect(db.statements[0]).toMatch(/ AS t, version AS k,/);
  });

  it('answers empty series and every bucket for a window without CPU', async () => {
    const db = createFakeSqlDatabase([[/GROUP BY t, k/, []]]);

    const result = await timeseries(db, query, limits);

    expect([result.timestamps, result.series, result.total_cpu_ns]).toEqual([[1000, 1060, 1120], [], 0n]);
  });
});
