import type { RequestHeatmap } from './compare-answers.js';
import { slotOf, Y_BUCKETS } from './pyroscope/heatmap.js';

/**
 * A heatmap of requests: time slots (Pyroscope's SelectHeatmap slots, named by their right edge)
 * by 20 value buckets spread evenly between the smallest and the largest request. Each cell counts
 * its requests, sums their values exactly — so the cells sum to the CPU of every request drawn —
 * and keeps its largest request as exemplar. Pure: no I/O.
 */
export interface RequestPoint {
  /** Unix milliseconds: the request's first sample in the window. */
  timestamp: number;
  value: bigint;
  spanId: string;
}

export function requestHeatmap(
  points: readonly RequestPoint[],
  window: { startMs: number; endMs: number; stepMs: number },
): RequestHeatmap {
  const step_seconds = window.stepMs / 1000;
  if (points.length === 0) return { step_seconds, y_min: [], slots: [] };
  let min = Number(points[0]?.value);
  let max = min;
  for (const p of points) {
    min = Math.min(min, Number(p.value));
    max = Math.max(max, Number(p.value));
  }
  if (max === min) max = min + 1;
  const size = (max - min) / Y_BUCKETS;
  const yMin = Array.from({ length: Y_BUCKETS }, (_, i) => min + Math.trunc(i * size));
  const bucketOf = (value: number): number => {
    for (let i = 0; i < Y_BUCKETS - 1; i += 1) if (value < (yMin[i + 1] as number)) return i;
    return Y_BUCKETS - 1;
  };
  type Slot = RequestHeatmap['slots'][number];
  const slots = new Map<number, Slot>();
  for (const p of points) {
    const t = slotOf(p.timestamp, window.startMs, window.endMs, window.stepMs);
    let slot = slots.get(t);
    if (!slot) {
      slot = {
        t,
        counts: new Array(Y_BUCKETS).fill(0),
        values: new Array(Y_BUCKETS).fill(0n),
        exemplars: new Array(Y_BUCKETS).fill(null),
      };
      slots.set(t, slot);
    }
    const b = bucketOf(Number(p.value));
    slot.counts[b] = (slot.counts[b] as number) + 1;
    slot.values[b] = (slot.values[b] as bigint) + p.value;
    const best = slot.exemplars[b];
    if (!best || p.value > best.value) slot.exemplars[b] = { span_id: p.spanId, value: p.value, t: p.timestamp };
  }
  return { step_seconds, y_min: yMin, slots: [...slots.values()].sort((a, b) => a.t - b.t) };
}
