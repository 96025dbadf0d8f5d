/**
 * SelectHeatmap's bucketing, as Pyroscope does it (pkg/model/heatmap): points (one per profile,
 * or one per span) fall in time slots (start − step, start], (start, start + step], … named by
 * their right edge, and in 20 value buckets spread evenly between the smallest and the largest
 * value of every series; a slot counts the points of each bucket and, when asked, keeps the
 * largest point of each bucket as its exemplar. Pure: no I/O.
 */
export interface HeatmapPoint {
  /** Unix milliseconds. */
  timestamp: number;
  value: bigint;
  /** The profile id or the span id (16 hex digits) the point stands for. */
  id: string;
}

export interface HeatmapInput {
  labels: { name: string; value: string }[];
  points: HeatmapPoint[];
}

export interface HeatmapExemplar {
  timestamp: string;
  profileId?: string;
  spanId?: string;
  value: string;
}

export interface HeatmapSeriesMessage {
  labels: { name: string; value: string }[];
  slots: { timestamp: string; yMin: number[]; counts: number[]; exemplars: HeatmapExemplar[] }[];
}

export const Y_BUCKETS = 20;

function roundUp(timestamp: number, start: number, step: number): number {
  const offset = start % step;
  const shifted = timestamp - offset;
  return (shifted % step === 0 ? shifted : (Math.floor(shifted / step) + 1) * step) + offset;
}

/** The right edge of the slot holding `timestamp`, within [start, end rounded up]. */
export function slotOf(timestamp: number, start: number, end: number, step: number): number {
  const rounded = roundUp(timestamp, start, step);
  const last = roundUp(end, start, step);
  return Math.min(Math.max(rounded, start), last);
}

export function heatmapSeries(
  inputs: readonly HeatmapInput[],
  window: { start: number; end: number; stepMs: number },
  exemplars: 'span' | 'profile' | 'none',
): HeatmapSeriesMessage[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const series of inputs) {
    for (const point of series.points) {
      min = Math.min(min, Number(point.value));
      max = Math.max(max, Number(point.value));
    }
  }
  if (min === Number.POSITIVE_INFINITY) return [];
  if (max === min) max = min + 1;
  const size = (max - min) / Y_BUCKETS;
  const yMin = Array.from({ length: Y_BUCKETS }, (_, i) => min + Math.trunc(i * size));
  const bucketOf = (value: number): number => {
    for (let i = 0; i < Y_BUCKETS - 1; i += 1) if (value < (yMin[i + 1] as number)) return i;
    return Y_BUCKETS - 1;
  };
  return inputs.map((series) => {
    const slots = new Map<number, { counts: number[]; best: (HeatmapPoint | undefined)[] }>();
    for (const point of series.points) {
      const at = slotOf(point.timestamp, window.start, window.end, window.stepMs);
      let slot = slots.get(at);
      if (!slot) {
        slot = { counts: new Array(Y_BUCKETS).fill(0), best: new Array(Y_BUCKETS).fill(undefined) };
        slots.set(at, slot);
      }
      const bucket = bucketOf(Number(point.value));
      slot.counts[bucket] = (slot.counts[bucket] as number) + 1;
      const best = slot.best[bucket];
      if (best === undefined || point.value > best.value) slot.best[bucket] = point;
    }
    return {
      labels: series.labels,
      slots: [...slots]
        .sort(([a], [b]) => a - b)
        .map(([timestamp, slot]) => ({
          timestamp: String(timestamp),
          yMin,
          counts: slot.counts,
          exemplars:
            exemplars === 'none'
              ? []
              : slot.best
                  .filter((p): p is HeatmapPoint => p !== undefined)
                  .map((p) => ({
                    timestamp: String(p.timestamp),
                    ...(exemplars === 'span' ? { spanId: p.id } : { profileId: p.id }),
                    value: String(p.value),
                  })),
        })),
    };
  });
}
