import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { int64Parts, stacksToPprof } from '../../shared/query/flame-tree/pprof-export.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

describe('int64Parts', () => {
  it('splits any value into int64 parts that add up to it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (value) => {
        const parts = int64Parts(value);

        expect(parts.every((p) => p >= INT64_MIN && p <= INT64_MAX)).toBe(true);
        expect(parts.reduce((a, b) => a + b, 0n)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an int64 value whole', () => {
    expect([int64Parts(INT64_MAX), int64Parts(5n)]).toEqual([[INT64_MAX], [5n]]);
  });
});

describe('stacksToPprof', () => {
  it('writes a stack past 2^63 ns as several int64 samples of that stack', () => {
    const frames = [{ functionName: 'main.main', fileName: 'main.go', line: 1 }];
    const value = 3n * 2n ** 62n;

    const profile = Profile.decode(gunzipSync(stacksToPprof([{ value, frames }], { remainderNs: value })));

    const values = profile.sample.map((s) => BigInt(s.value[0] ?? 0));
    expect(values.every((v) => v <= INT64_MAX)).toBe(true);
    expect(values.reduce((a, b) => a + b, 0n)).toBe(2n * value);
    expect(new Set(profile.sample.map((s) => s.locationId.join(','))).size).toBe(2);
  });
});
