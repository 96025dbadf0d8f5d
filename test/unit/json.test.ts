import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyJson } from '../../shared/platform/json.js';

const RUNS = { numRuns: 200 };

describe('stringifyJson', () => {
  it('writes 2^64 - 1 with every digit', () => {
    expect(stringifyJson(2n ** 64n - 1n)).toBe('18446744073709551615');
  });

  it('writes a negative bigint with every digit', () => {
    expect(stringifyJson(-(2n ** 63n) - 1n)).toBe('-9223372036854775809');
  });

  it('writes bigints nested in objects and arrays as bare numbers', () => {
    const text = stringifyJson({ total_cpu_ns: 2n ** 60n + 1n, endpoints: [{ cpu_ns: 9007199254740993n }] });

    expect(text).toBe('{"total_cpu_ns":1152921504606846977,"endpoints":[{"cpu_ns":9007199254740993}]}');
  });

  it('writes every bigint so that a big-number parser reads it back exactly', () => {
    fc.assert(
      fc.property(fc.bigInt(), (value) => {
        expect(BigInt(stringifyJson({ value }).slice('{"value":'.length, -1))).toBe(value);
      }),
      RUNS,
    );
  });

  it('equals JSON.stringify for every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stringifyJson(value)).toBe(JSON.stringify(value));
      }),
      RUNS,
    );
  });

  it('equals JSON.stringify for objects with undefined members, dates and nulls', () => {
    const value = { a: undefined, b: [undefined, null, new Date(0)], c: { d: 'x"\n' } };

    expect(stringifyJson(value)).toBe(JSON.stringify(value));
  });

  it('uses toJSON when a value defines it', () => {
    expect(stringifyJson({ at: new Date('2026-11-24T10:00:00Z') })).toBe('{"at":"2026-11-24T10:00:00.000Z"}');
  });

  it('writes null for a top-level undefined', () => {
    expect(stringifyJson(undefined)).toBe('null');
  });

  it('writes null for non-finite numbers, as JSON.stringify does', () => {
    expect(stringifyJson([Number.NaN, Number.POSITIVE_INFINITY])).toBe('[null,null]');
  });
});
