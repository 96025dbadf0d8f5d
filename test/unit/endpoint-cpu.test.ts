import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { parseEndpointCpuQuery, shareOf } from '../../shared/query/endpoint-cpu.js';

const RUNS = { numRuns: 200 };
const DAY = 24 * 3600;

function errorOf(run: () => unknown): HotspotsError {
  try {
    run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('expected a HotspotsError');
}

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
    const error = errorOf(() => parseEndpointCpuQuery('acme', new URLSearchParams({ ...window }), DAY));

    expect([error.code, error.message]).toEqual(['bad_request', 'service is required']);
  });

  it('refuses a blank service as bad_request', () => {
    const error = errorOf(() => parseEndpointCpuQuery('acme', new URLSearchParams({ service: '  ', ...window }), DAY));

    expect(error.code).toBe('bad_request');
  });

  it('refuses a missing window as bad_request', () => {
    const error = errorOf(() => parseEndpointCpuQuery('acme', new URLSearchParams({ service: 'checkout' }), DAY));

    expect([error.code, error.message]).toEqual(['bad_request', 'from and to are required']);
  });

  it('refuses a reversed window as bad_request', () => {
    const error = errorOf(() =>
      parseEndpointCpuQuery(
        'acme',
        new URLSearchParams({ service: 'checkout', from: window.to, to: window.from }),
        DAY,
      ),
    );

    expect(error.code).toBe('bad_request');
  });

  it('refuses a window wider than the maximum as bad_request', () => {
    const error = errorOf(() =>
      parseEndpointCpuQuery('acme', new URLSearchParams({ service: 'checkout', ...window }), 3599),
    );

    expect([error.code, error.message]).toEqual([
      'bad_request',
      'time range is 3600 s, wider than the limit of 3599 s',
    ]);
  });
});
