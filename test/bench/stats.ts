/** Percentiles by the nearest-rank method over a sorted copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarise(latenciesMs: readonly number[]) {
  return {
    n: latenciesMs.length,
    p50_ms: round(percentile(latenciesMs, 50)),
    p99_ms: round(percentile(latenciesMs, 99)),
    max_ms: round(Math.max(...latenciesMs)),
  };
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0] as object);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => String(r[c] ?? '')))),
  ].join('\n');
}

/** The median: the middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Runs each of `runs` once a round, `warmups + rounds` rounds; each round starts one run later, so
 * that each follows every other one (and collects its garbage) as often, and a noisy neighbour slows
 * them all alike. Per run: the median time of the measured rounds (ms) and what its last call returned.
 */
export async function timeInTurns<T>(
  runs: readonly (() => T)[],
  warmups: number,
  rounds: number,
): Promise<{ ms: number; last: T }[]> {
  const times = runs.map((): number[] => []);
  const last: T[] = [];
  for (let r = 0; r < warmups + rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const i = (r + k) % runs.length;
      const started = performance.now();
      last[i] = (runs[i] as () => T)();
      const elapsed = performance.now() - started;
      if (r >= warmups) times[i]?.push(elapsed);
    }
    await new Promise(setImmediate); // let logs and timers through between rounds
  }
  return runs.map((_, i) => ({ ms: median(times[i] ?? []), last: last[i] as T }));
}
