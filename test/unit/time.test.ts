import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTime, parseTimeRange } from '../../shared/platform/time.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const RUNS = { numRuns: 200 };
const DAY = 24 * 3600;

describe('parseTime', () => {
  it('reads RFC 3339 in UTC', () => {
    expect(parseTime('2026-11-24T10:00:00Z', 'from')).toBe(1_795_514_400);
  });

  it('honours a positive offset, as dd-trace-go sends it', () => {
    expect(parseTime('2026-11-24T12:00:00+02:00', 'from')).toBe(1_795_514_400);
  });

  it('honours a negative offset', () => {
    expect(parseTime('2026-11-24T05:00:00-05:00', 'from')).toBe(1_795_514_400);
  });

  it('keeps fractional seconds', () => {
    expect(parseTime('2026-11-24T10:00:00.250Z', 'from')).toBe(1_795_514_400.25);
  });

  it('accepts the lower-case t and z RFC 3339 allows', () => {
    expect(parseTime('2026-11-24t10:00:00z', 'from')).toBe(1_795_514_400);
  });

  it('reads integer unix seconds', () => {
    expect(parseTime('1795514400', 'from')).toBe(1_795_514_400);
  });

  it('reads fractional unix seconds', () => {
    expect(parseTime('1795514400.5', 'from')).toBe(1_795_514_400.5);
  });

  it('trims surrounding spaces', () => {
    expect(parseTime(' 1795514400 ', 'from')).toBe(1_795_514_400);
  });

  it('agrees with Date for every instant written in RFC 3339 with an offset', () => {
    const instant = fc.integer({ min: 0, max: 4_102_444_800 });
    const offsetMinutes = fc.integer({ min: -14 * 60, max: 14 * 60 });

    fc.assert(
      fc.property(instant, offsetMinutes, (seconds, offset) => {
        const local = new Date((seconds + offset * 60) * 1000).toISOString().slice(0, 19);
        const sign = offset < 0 ? '-' : '+';
        const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
        const minutes = String(Math.abs(offset) % 60).padStart(2, '0');

        expect(parseTime(`${local}${sign}${hours}:${minutes}`, 'from')).toBe(seconds);
      }),
      RUNS,
    );
  });

  it.each([
    '',
    'yesterday',
    '-1',
    '1e9',
    '1234567890123',
    '2026-11-24',
    '2026-11-24 10:00:00Z',
    '2026-11-24T10:00:00',
    '2026-13-01T00:00:00Z',
    '2026-11-24T10:00:60Z',
    'Tue, 24 Nov 2026 10:00:00 GMT',
  ])('refuses %j as bad_request', (text) => {
    expectHotspotsError(() => parseTime(text, 'from'), { code: 'bad_request', status: 400, retriable: false });
  });

  it('accepts both ends of what ClickHouse DateTime holds', () => {
    expect([parseTime('0', 'from'), parseTime('2106-02-07T06:28:15Z', 'to')]).toEqual([0, 4_294_967_295]);
  });

  it.each([
    '4294967296',
    '4294967295.5',
    '999999999999',
    '2106-02-07T06:28:16Z',
    '9999-12-31T23:59:59Z',
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:00:00+01:00',
  ])('refuses %j, outside what ClickHouse DateTime holds, naming the range', (text) => {
    const error = expectHotspotsError(() => parseTime(text, 'start'));

    expect([error.code, error.message]).toEqual([
      'bad_request',
      `start ${JSON.stringify(text)} is outside 1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z, the range ClickHouse can store`,
    ]);
  });

  it('refuses a day that does not exist in its month instead of rolling it over', () => {
    // Date.parse reads 2026-02-30 as 2026-03-02; RFC 3339 §5.7 bounds the day by its month.
    expectHotspotsError(() => parseTime('2026-02-30T00:00:00Z', 'from'), { code: 'bad_request' });
  });

  it('names the parameter in its error', () => {
    expect(() => parseTime('soon', 'end')).toThrow(/^end must be RFC 3339/);
  });

  it('quotes at most 64 characters of the input in its error', () => {
    const error = expectHotspotsError(() => parseTime('x'.repeat(1000), 'from'));

    expect(error.message.length).toBeLessThan(200);
  });
});

describe('parseTimeRange', () => {
  it('returns both ends in unix seconds', () => {
    const range = parseTimeRange({ from: '2026-11-24T10:00:00Z', to: '2026-11-24T12:00:00+01:00' }, DAY);

    expect(range).toEqual({ from: 1_795_514_400, to: 1_795_518_000 });
  });

  it('accepts a window of exactly the maximum width', () => {
    expect(parseTimeRange({ from: '1000', to: String(1000 + DAY) }, DAY)).toEqual({ from: 1000, to: 1000 + DAY });
  });

  it('refuses a window one second wider than the maximum', () => {
    expectHotspotsError(() => parseTimeRange({ from: '1000', to: String(1001 + DAY) }, DAY), {
      code: 'bad_request',
      message: `time range is ${DAY + 1} s, wider than the limit of ${DAY} s`,
    });
  });

  it('refuses a reversed window', () => {
    expectHotspotsError(() => parseTimeRange({ from: '2000', to: '1000' }, DAY), {
      code: 'bad_request',
      message: 'from must be before to',
    });
  });

  it('refuses an empty window', () => {
    expectHotspotsError(() => parseTimeRange({ from: '1000', to: '1000' }, DAY), { code: 'bad_request' });
  });

  it('refuses a window without from', () => {
    expectHotspotsError(() => parseTimeRange({ to: '1000' }, DAY), {
      code: 'bad_request',
      message: 'from and to are required',
    });
  });

  it('refuses a window without to', () => {
    expectHotspotsError(() => parseTimeRange({ from: '1000', to: undefined }, DAY), { code: 'bad_request' });
  });

  it('refuses a window reaching past 2106 instead of letting it wrap to 1970', () => {
    const error = expectHotspotsError(() => parseTimeRange({ from: '4294960000', to: '4294970000' }, DAY));

    expect([error.code, error.message]).toEqual(['bad_request', expect.stringMatching(/^to "4294970000" is outside/)]);
  });

  it('refuses a window whose end is not a time, naming it', () => {
    expect(() => parseTimeRange({ from: '1000', to: 'later' }, DAY)).toThrow(/^to must be/);
  });
});
