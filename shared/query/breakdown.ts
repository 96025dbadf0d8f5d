import type { BreakdownCategory, TimeBreakdown } from './answers.js';

/**
 * Where a span's time went, from the measures its profiles hold. Each figure is `null` when no
 * profile holding that measure covered the span ("not profiled"), and a number — perhaps 0 — when
 * one did. The categories follow the measures present, which is how runtimes differ:
 * - CPU only (Go): CPU, Off-CPU = duration − CPU;
 * - CPU and wall (Node): CPU, Uncategorized = wall − CPU;
 * - CPU, wall and lock wait (Python): CPU, Lock Wait, Uncategorized = wall − CPU − lock wait.
 * Wall is time on the span's threads (it can pass the duration when several threads carry the
 * span); the rest is never negative (sampling can put CPU a period above wall): it is clamped at 0.
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

export function timeBreakdown(input: BreakdownInput): TimeBreakdown {
  const { cpu, wall, lockWait } = input;
  const categories: { category: BreakdownCategory; ns: bigint }[] = [];
  const profiled = cpu.profiled || wall.profiled || lockWait.profiled;
  let rest: bigint | null = null;
  if (profiled) {
    const base = wall.profiled ? wall.ns : input.durationNs;
    const explained = (cpu.profiled ? cpu.ns : 0n) + (lockWait.profiled ? lockWait.ns : 0n);
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
    wall_ns: figure(wall),
    lock_wait_ns: figure(lockWait),
    rest_ns: rest,
    rest_of: profiled ? (wall.profiled ? 'wall' : 'duration') : null,
    categories,
  };
}
