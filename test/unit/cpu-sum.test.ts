import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuSumColumns, cpuSumOf } from '../../shared/query/sql/cpu-sum.js';

/** What ClickHouse computes for cpuSumColumns: each Int64 value split at 2^32, the halves summed. */
function halves(values: bigint[]): { cpu_hi: string; cpu_lo: string } {
  const hi = values.reduce((sum, v) => sum + (v >> 32n), 0n);
  const lo = values.reduce((sum, v) => sum + (v & 0xffffffffn), 0n);
  return { cpu_hi: String(hi), cpu_lo: String(lo) };
}

describe('cpuSumOf', () => {
  it('joins the halves into the exact sum of any Int64 values, past 2^63 too', () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(fc.array(int64, { maxLength: 20 }), (values) => {
        expect(cpuSumOf(halves(values), 'cpu')).toBe(values.reduce((a, b) => a + b, 0n));
      }),
      { numRuns: 300 },
    );
  });

  it('reads three values just under 2^62 as their exact sum', () => {
    const values = [2n ** 62n - 1n, 2n ** 62n - 2n, 2n ** 62n - 3n];

    expect(cpuSumOf(halves(values), 'cpu')).toBe(3n * 2n ** 62n - 6n);
  });
});

describe('cpuSumColumns', () => {
  it('names the two columns after the alias', () => {
    expect(cpuSumColumns('cpu_ns').text).toBe(
      'toString(sum(bitShiftRight(value, 32))) AS cpu_ns_hi, toString(sum(toUInt64(bitAnd(value, 4294967295)))) AS cpu_ns_lo',
    );
  });
});
