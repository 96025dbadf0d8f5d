import { describe, expect, it } from 'vitest';
import { coverage, type ProfileWindow, profiledState, profileWindows } from '../../shared/query/sql/coverage.js';
import { createFakeSqlDatabase } from '../support/fake-sql-database.js';

const window = (startNs: bigint, endNs: bigint, extra: Partial<ProfileWindow> = {}): ProfileWindow => ({
  service: 'checkout',
  runtimeId: 'r1',
  startNs,
  endNs,
  periodNs: 10_000_000n,
  sampleTypes: ['samples/count', 'cpu/nanoseconds'],
  ...extra,
});

describe('coverage', () => {
  it('is the fraction of the span a window covers', () => {
    expect(coverage([window(0n, 25n)], 0n, 100n)).toBe(0.25);
  });

  it('counts overlapping windows once', () => {
    expect(coverage([window(0n, 60n), window(40n, 80n), window(50n, 70n)], 0n, 100n)).toBe(0.8);
  });

  it('clips windows to the span', () => {
    expect(coverage([window(-100n, 10n), window(90n, 500n)], 0n, 100n)).toBe(0.2);
  });

  it('is 0 without windows and 1 for windows that cover the whole span', () => {
    expect([coverage([], 0n, 100n), coverage([window(0n, 50n), window(50n, 100n)], 0n, 100n)]).toEqual([0, 1]);
  });

  it('covers a span of zero duration when a window holds its start', () => {
    expect([coverage([window(0n, 100n)], 50n, 50n), coverage([window(0n, 10n)], 50n, 50n)]).toEqual([1, 0]);
  });
});

describe('profiledState', () => {
  const span = { service: 'checkout', runtimeId: 'r1', startNs: 0n, durationNs: 100n };

  it('counts only windows of the span’s service and process', () => {
    const windows = [window(0n, 50n), window(0n, 100n, { service: 'payments' }), window(0n, 100n, { runtimeId: 'r2' })];

    expect(profiledState(windows, span)).toEqual({
      profiled: true,
      profile_coverage: 0.5,
      sampling_period_ns: 10_000_000n,
    });
  });

  it('counts windows of any process of the service when the span names none', () => {
    expect(profiledState([window(0n, 100n, { runtimeId: 'r2' })], { ...span, runtimeId: '' }).profile_coverage).toBe(1);
  });

  it('says not profiled when the windows of its service miss the span', () => {
    expect(profiledState([window(200n, 300n)], span)).toMatchObject({ profiled: false, profile_coverage: 0 });
  });

  it('has no sampling period without a window of its service', () => {
    expect(profiledState([window(0n, 100n, { service: 'payments' })], span).sampling_period_ns).toBeNull();
  });
});

describe('profileWindows', () => {
  it('keeps both time bounds inside DateTime’s range for a span that ends past 2106', async () => {
    const db = createFakeSqlDatabase([[/FROM profiles/, []]]);
    const lastSecond = 2n ** 32n - 1n;
    await profileWindows(db, 'acme', ['checkout'], 600n * 1_000_000_000n, (lastSecond + 7200n) * 1_000_000_000n);
    const bounds = [...(db.statements[0] ?? '').matchAll(/toDateTime\((\d+)\)/g)].map((match) => Number(match[1]));
    // 18.16 wraps a larger number to 1970, current ClickHouse saturates: neither sees one.
    expect(bounds).toEqual([0, Number(lastSecond)]);
  });
});
