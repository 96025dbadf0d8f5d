import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  endpointLabel,
  formatCores,
  formatNs,
  formatShare,
  formatStep,
  formatValue,
  measureLabel,
  shareOf,
} from '../../ui/src/format.js';

describe('web UI number formats', () => {
  it('writes CPU and durations with a unit fitting their size', () => {
    expect(
      [
        0, 750, 450_000, 10_000_000, 12_345_678, 120_000_000, 999_000_000, 2_010_000_000, 59_900_000_000, 210e9, 7200e9,
        129600e9,
      ].map(formatNs),
    ).toEqual([
      '0 ms',
      '750 ns',
      '450 µs',
      '10 ms',
      '12.3 ms',
      '120 ms',
      '999 ms',
      '2.01 s',
      '59.9 s',
      '3.5 min',
      '2 h',
      '1.5 d',
    ]);
  });

  it('never rounds a value up into the next unit’s range without switching unit', () => {
    expect(formatNs(999_600_000)).toBe('1 s');
    expect(formatNs(59_990_000_000)).toBe('1 min');
  });

  it('keeps at most three significant digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 53 - 1 }), (ns) => {
        const digits = formatNs(ns)
          .replace(/[^0-9]/g, '')
          .replace(/^0+/, '');
        expect(digits.length).toBeLessThanOrEqual(3);
      }),
    );
  });

  it('writes shares as percentages with one decimal', () => {
    expect([0, 0.0004, 0.343, 0.5, 1].map(formatShare)).toEqual(['0%', '<0.1%', '34.3%', '50%', '100%']);
    expect(shareOf(5, 0)).toBe(0);
  });

  it('writes cores, steps and the unlabelled endpoint readably', () => {
    expect([0, 0.004, 0.01, 0.015, 0.25, 1.5, 12.345].map(formatCores)).toEqual([
      '0',
      '0.004',
      '0.01',
      '0.015',
      '0.25',
      '1.5',
      '12.3',
    ]);
    expect([10, 60, 300, 3600].map(formatStep)).toEqual(['10 s', '1 min', '5 min', '1 h']);
    expect([endpointLabel(null), endpointLabel('GET /a')]).toEqual(['(no endpoint label)', 'GET /a']);
  });
});

describe('web UI measure values', () => {
  it('writes each measure in its unit: durations, bytes, anything else with its unit', () => {
    expect([
      formatValue(12_345_678, 'nanoseconds'),
      formatValue(512, 'bytes'),
      formatValue(4608, 'bytes'),
      formatValue(3 * 1024 ** 2, 'bytes'),
      formatValue(5 * 1024 ** 3, 'bytes'),
      formatValue(13, 'count'),
    ]).toEqual(['12.3 ms', '512 B', '4.5 KiB', '3 MiB', '5 GiB', '13 count']);
  });

  it('names the short-named measures and keeps the others as type/unit', () => {
    expect(['cpu', 'wall', 'lock-wait', 'alloc-space/bytes'].map(measureLabel)).toEqual([
      'CPU',
      'Wall',
      'Lock wait',
      'alloc-space/bytes',
    ]);
  });
});
