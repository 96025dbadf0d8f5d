import type { DecodedProfile, SampleType } from '../pprof/index.js';

/**
 * Measures, not one sample type. Runtimes name the same measure differently (Go and Node `cpu`,
 * Python and Datadog's host profiler `cpu-time`, …); the `samples` rows carry one name per
 * measure, so every reader that sums `sample_type = 'cpu' AND sample_unit = 'nanoseconds'`
 * (span lookups, roll-ups, queries) counts every runtime. Other sample types keep their own name
 * and stay queryable by it. The profile's `sample_types` keeps the names it declared.
 */
export interface Measure {
  type: string;
  unit: string;
}

export const CPU: Measure = { type: 'cpu', unit: 'nanoseconds' };
export const WALL: Measure = { type: 'wall', unit: 'nanoseconds' };
export const LOCK_WAIT: Measure = { type: 'lock-wait', unit: 'nanoseconds' };

const key = (type: string, unit: string) => `${type}/${unit}`;

/** Declared sample type (type/unit) → the measure its rows are stored under. */
export const measureOfSampleType: ReadonlyMap<string, Measure> = new Map([
  // Go runtime/pprof; dd-trace-js (inside wall.pprof, beside wall/nanoseconds)
  [key('cpu', 'nanoseconds'), CPU],
  // ddtrace (Python, libdatadog); Datadog's eBPF host profiler
  [key('cpu-time', 'nanoseconds'), CPU],
  // dd-trace-js
  [key('wall', 'nanoseconds'), WALL],
  // ddtrace (Python)
  [key('wall-time', 'nanoseconds'), WALL],
  [key('lock-acquire-wait', 'nanoseconds'), LOCK_WAIT],
]);

/**
 * The (sample_type, sample_unit) each of a profile's sample types is stored under, in order.
 * A measure is given once: a type already named as its measure keeps it, else the first type that
 * maps to it takes it; any other type that maps to a taken measure keeps its own name (a profile
 * with both `cpu` and `cpu-time` would otherwise count its CPU twice).
 */
export function storedSampleTypes(declared: readonly SampleType[]): SampleType[] {
  const taken = new Set(declared.map((t) => key(t.type, t.unit)));
  return declared.map((t) => {
    const measure = measureOfSampleType.get(key(t.type, t.unit));
    if (measure === undefined) return t;
    const name = key(measure.type, measure.unit);
    if (name === key(t.type, t.unit) || taken.has(name)) return t;
    taken.add(name);
    return { type: measure.type, unit: measure.unit };
  });
}

/** The decoded profile with its rows' sample types stored as measures (`sampleTypes` unchanged). */
export function withStoredMeasures(profile: DecodedProfile): DecodedProfile {
  return { ...profile, sampleTypeList: storedSampleTypes(profile.sampleTypeList) };
}
