import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimalUint64, parseFixedWidthSpanId, parseHexUint64, parseSpanId } from '../../shared/platform/ids.js';

const RUNS = { numRuns: 200 };
const MAX_UINT64 = 2n ** 64n - 1n;
const uint64 = fc.bigInt({ min: 0n, max: MAX_UINT64 });

describe('parseDecimalUint64', () => {
  it('keeps every digit of the largest uint64', () => {
    expect(parseDecimalUint64('18446744073709551615')).toBe('18446744073709551615');
  });

  it('keeps an id just above 2^53 exact', () => {
    expect(parseDecimalUint64('9007199254740993')).toBe('9007199254740993');
  });

  it('keeps an id just above 2^63 exact', () => {
    expect(parseDecimalUint64('9223372036854775809')).toBe('9223372036854775809');
  });

  it('canonicalises leading zeros', () => {
    expect(parseDecimalUint64('000042')).toBe('42');
  });

  it('reads every uint64 back as itself', () => {
    fc.assert(
      fc.property(uint64, (value) => {
        expect(parseDecimalUint64(value.toString())).toBe(value.toString());
      }),
      RUNS,
    );
  });

  it('refuses 2^64', () => {
    expect(parseDecimalUint64('18446744073709551616')).toBeUndefined();
  });

  it('refuses every value above the uint64 range that fits 20 digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MAX_UINT64 + 1n, max: 10n ** 20n - 1n }), (value) => {
        expect(parseDecimalUint64(value.toString())).toBeUndefined();
      }),
      RUNS,
    );
  });

  it.each(['', '-1', '+1', ' 1', '1 ', '1.0', '1e3', '0x10', '123456789012345678901', '１２'])('refuses %j', (text) => {
    expect(parseDecimalUint64(text)).toBeUndefined();
  });
});

describe('parseHexUint64', () => {
  it('reads 16 hex digits as decimal', () => {
    expect(parseHexUint64('ffffffffffffffff')).toBe('18446744073709551615');
  });

  it('reads upper-case digits', () => {
    expect(parseHexUint64('00000000000000FF')).toBe('255');
  });

  it('reads fewer than 16 digits', () => {
    expect(parseHexUint64('a')).toBe('10');
  });

  it('reads every uint64 written in hex back as its decimal', () => {
    fc.assert(
      fc.property(uint64, (value) => {
        expect(parseHexUint64(value.toString(16))).toBe(value.toString());
      }),
      RUNS,
    );
  });

  it.each(['', '0x1', 'g', '1ffffffffffffffff', ' ff'])('refuses %j', (text) => {
    expect(parseHexUint64(text)).toBeUndefined();
  });
});

describe('parseFixedWidthSpanId (label values)', () => {
  it('reads exactly 16 hex digits as hex, the OpenTelemetry form', () => {
    expect(parseFixedWidthSpanId('00f067aa0ba902b7')).toBe('67667974448284343');
  });

  it('reads a 16-character all-digit id as hex, per the fixed-width form', () => {
    expect(parseFixedWidthSpanId('0000000000000010')).toBe('16');
  });

  it('reads shorter ids as decimal', () => {
    expect(parseFixedWidthSpanId('1234')).toBe('1234');
  });

  it('reads 17 to 20 digit ids as decimal', () => {
    expect(parseFixedWidthSpanId('18446744073709551615')).toBe('18446744073709551615');
  });

  it('refuses hex digits in an id that is not 16 characters long', () => {
    expect(parseFixedWidthSpanId('abc')).toBeUndefined();
  });

  it('reads every 16-digit hex id back as its decimal', () => {
    fc.assert(
      fc.property(uint64, (value) => {
        expect(parseFixedWidthSpanId(value.toString(16).padStart(16, '0'))).toBe(value.toString());
      }),
      RUNS,
    );
  });

  it('never returns anything but a canonical uint64 decimal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 24 }), (text) => {
        const id = parseFixedWidthSpanId(text);
        if (id !== undefined) {
          expect(id).toMatch(/^(0|[1-9]\d*)$/);
          expect(BigInt(id) <= MAX_UINT64).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('parseSpanId (ids in URLs)', () => {
  it('reads 16 hex digits with letters as hex', () => {
    expect(parseSpanId('00f067aa0ba902b7')).toBe('67667974448284343');
  });

  it('reads 16 digits with a leading zero as hex, the zero-padded OpenTelemetry form', () => {
    expect(parseSpanId('0000000000000010')).toBe('16');
  });

  it('reads a 16-digit decimal id without a leading zero as decimal, as Datadog prints ids near 2^53', () => {
    expect(parseSpanId('9007199254740993')).toBe('9007199254740993');
  });

  it('reads a 0x-prefixed id as hex', () => {
    expect(parseSpanId('0x10')).toBe('16');
  });

  it('reads every decimal uint64 without leading zeros back as itself', () => {
    fc.assert(
      fc.property(uint64, (value) => {
        expect(parseSpanId(value.toString())).toBe(value.toString());
      }),
      RUNS,
    );
  });

  it('reads every 16-digit hex id that has a letter or a leading zero as its decimal', () => {
    fc.assert(
      fc.property(uint64, (value) => {
        const hex = value.toString(16).padStart(16, '0');
        fc.pre(/[a-f]/.test(hex) || hex.startsWith('0'));
        expect(parseSpanId(hex)).toBe(value.toString());
      }),
      RUNS,
    );
  });
});
