import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteRangeMap, Uint64Map } from '../../shared/pprof/lookup-tables.js';

/** The decoder's hash tables (shared/pprof/lookup-tables.ts) against a Map doing the same job. */
describe('ByteRangeMap', () => {
  const ranges = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 400 });

  function check(keys: Uint8Array[], maxProbes?: number): ByteRangeMap {
    // All keys in one buffer, each at its own range (a key may repeat at several ranges).
    const bytes = Buffer.concat(keys);
    const map = new ByteRangeMap(bytes, 4, maxProbes);
    const reference = new Map<string, number>();
    let at = 0;
    for (const key of keys) {
      const from = at;
      const to = at + key.length;
      at = to;
      const text = Buffer.from(key).toString('latin1');
      const expected = reference.get(text) ?? -1;
      expect(map.get(from, to)).toBe(expected);
      if (expected < 0) {
        reference.set(text, reference.size);
        map.set(from, to, reference.size - 1);
      }
      expect(map.get(from, to)).toBe(reference.get(text));
    }
    return map;
  }

  it('finds every range by its bytes across growth', () => {
    fc.assert(
      fc.property(ranges, (keys) => void check(keys)),
      { numRuns: 300 },
    );
  });

  it('finds every range by its bytes after a flood moved it into a Map', () => {
    // No probing allowed: the second key landing in an occupied run of slots floods the table.
    fc.assert(
      fc.property(ranges, (keys) => void check(keys, 0)),
      { numRuns: 300 },
    );
    const keys = Array.from({ length: 100 }, (_, i) => Uint8Array.of(i, i + 1, i + 2));
    expect(check(keys, 0).isFlooded).toBe(true);
    expect(check(keys).isFlooded).toBe(false);
  });
});

describe('Uint64Map', () => {
  it('keeps 200k keys across growth, halves compared exactly', () => {
    const map = new Uint64Map(4);
    for (let i = 0; i < 200_000; i++) map.set(i >>> 3, (i * 2654435761) >>> 0, i);
    for (let i = 0; i < 200_000; i++) expect(map.get(i >>> 3, (i * 2654435761) >>> 0)).toBe(i);
    expect(map.get(0xffffffff, 0xffffffff)).toBe(-1);
    expect(map.get(1, 0)).toBe(-1);
  });
});
