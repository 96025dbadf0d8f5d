import type { BreakdownCategory, TimeBreakdown } from './answers.js';

/**
 * Where a span's time went, from the measures its profiles hold. Each figure is `null` when no
 * profile holding that measure covered the span ("not profiled"), and a number — perhaps 0 — when
 * one did. The categories follow the measures present, which is how runtimes differ:
 * - CPU only (Go): CPU, Off-CPU = duration − CPU;
 * - CPU and wall (Node): CPU, Uncategorized = max(duration, wall) − CPU;
 * - CPU, wall and lock wait (Python): CPU, Lock Wait, Uncategorized = max(duration, wall) − CPU −
 *   lock wait.
 *
 * Wall is time on the span's threads. A thread cannot use more CPU than the time that passed, so
 * wall is at least CPU: `wall_ns` is max(sampled wall, CPU). The sampled figure can fall short
 * because a wall sample is worth the average sampling interval while its CPU is what the thread
 * used since the previous sample (dd-trace-js), which is more when the sample came late or
 * followed samples the profiler drops (`(program)`); `sampled_wall_ns` keeps the samples' sum.
 *
 * The rest is measured against the larger of duration and wall: wall alone misses what happens
 * off the span's threads — a Node request awaiting a timer leaves no sample at all, since the
 * idle event loop's samples carry no span — and the duration alone misses work on several threads
 * at once. It is never negative (CPU and lock wait of several threads can pass both).
 */
export interface MeasuredTime {
  /** The sum of the measure's samples (of the span, or of its request). */
  ns: bigint;
  /** Whether a profile holding this measure covered the span. */
  profiled: boolean;
}

export interface BreakdownInput {
  scope: 'span' | 'request';
  durationNs: bigint;
  cpu: MeasuredTime;
  wall: MeasuredTime;
  lockWait: MeasuredTime;
}

const figure = (time: MeasuredTime): bigint | null => (time.profiled ? time.ns : null);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

export function timeBreakdown(input: BreakdownInput): TimeBreakdown {
  const { cpu, wall, lockWait } = input;
  const categories: { category: BreakdownCategory; ns: bigint }[] = [];
  const profiled = cpu.profiled || wall.profiled || lockWait.profiled;
  const cpuNs = cpu.profiled ? cpu.ns : 0n;
  const wallNs = wall.profiled ? max(wall.ns, cpuNs) : null;
  let rest: bigint | null = null;
  if (profiled) {
    const base = wallNs === null ? input.durationNs : max(input.durationNs, wallNs);
    const explained = cpuNs + (lockWait.profiled ? lockWait.ns : 0n);
    rest = base > explained ? base - explained : 0n;
    if (cpu.profiled) categories.push({ category: 'CPU', ns: cpu.ns });
    if (lockWait.profiled) categories.push({ category: 'Lock Wait', ns: lockWait.ns });
    categories.push({ category: wall.profiled ? 'Uncategorized' : 'Off-CPU', ns: rest });
  }
  return {
    scope: input.scope,
    profiled,
    duration_ns: input.durationNs,
    cpu_ns: figure(cpu),
    wall_ns: wallNs,
    sampled_wall_ns: figure(wall),
    lock_wait_ns: figure(lockWait),
    rest_ns: rest,
    rest_of: profiled ? (wall.profiled ? 'wall' : 'duration') : null,
    categories,
  };
}
