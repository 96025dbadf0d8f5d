import { describe, expect, it } from 'vitest';
import { heatmapSeries, slotOf, Y_BUCKETS } from '../../shared/query/pyroscope/heatmap.js';

describe('slotOf', () => {
  it('names a slot (t − step, t] by its right edge, aligned on start, clamped to the window', () => {
    expect(slotOf(1000, 1000, 5000, 1000)).toBe(1000);
    expect(slotOf(1001, 1000, 5000, 1000)).toBe(2000);
    expect(slotOf(2000, 1000, 5000, 1000)).toBe(2000);
    expect(slotOf(500, 1000, 5000, 1000)).toBe(1000);
    expect(slotOf(9000, 1000, 5000, 1000)).toBe(5000);
    expect(slotOf(1600, 1500, 9000, 1000)).toBe(2500);
  });
});

describe('heatmapSeries', () => {
  const window = { start: 0, end: 60_000, stepMs: 10_000 };

  it('counts points per slot in 20 buckets between the smallest and largest value', () => {
    const [series] = heatmapSeries(
      [
        {
          labels: [],
          points: [
            { timestamp: 5_000, value: 0n, id: 'a' },
            { timestamp: 5_000, value: 100n, id: 'b' },
            { timestamp: 15_000, value: 50n, id: 'c' },
            { timestamp: 15_000, value: 54n, id: 'd' },
          ],
        },
      ],
      window,
      'span',
    );
    expect(series?.slots.map((s) => s.timestamp)).toEqual(['10000', '20000']);
    const [first, second] = series?.slots ?? [];
    expect(first?.yMin).toEqual(Array.from({ length: Y_BUCKETS }, (_, i) => i * 5));
    expect(first?.counts[0]).toBe(1);
    expect(first?.counts[Y_BUCKETS - 1]).toBe(1);
    expect(second?.counts[10]).toBe(2);
    expect(second?.exemplars).toEqual([{ timestamp: '15000', spanId: 'd', value: '54' }]);
  });

  it('answers nothing for no points; equal values fall in the last bucket, as in Pyroscope', () => {
    expect(heatmapSeries([{ labels: [], points: [] }], window, 'none')).toEqual([]);
    const [series] = heatmapSeries([{ labels: [], points: [{ timestamp: 1, value: 7n, id: 'p' }] }], window, 'profile');
    // min 7, max 8: every bucket but the last is [7, 7), empty.
    expect(series?.slots[0]?.counts[Y_BUCKETS - 1]).toBe(1);
    expect(series?.slots[0]?.exemplars).toEqual([{ timestamp: '1', profileId: 'p', value: '7' }]);
  });
});
