/**
 * Measures, not one sample type. Runtimes name the same measure differently (Go and Node `cpu`,
 * Python and Datadog's host profiler `cpu-time`, …); the `samples` rows carry one name per
 * measure, so every reader that sums `sample_type = 'cpu' AND sample_unit = 'nanoseconds'`
 * (span lookups, roll-ups, queries) counts every runtime. Other sample types keep their own name
 * and stay queryable by it. `profiles.sample_types` keeps the names a profile declared, and readers
 * map them with `storedSampleTypeNames`, the same rule the writer applied.
 */
export interface SampleTypeName {
  type: string;
  unit: string;
}

const CPU: SampleTypeName = { type: 'cpu', unit: 'nanoseconds' };
const WALL: SampleTypeName = { type: 'wall', unit: 'nanoseconds' };
const LOCK_WAIT: SampleTypeName = { type: 'lock-wait', unit: 'nanoseconds' };

const key = (type: string, unit: string) => `${type}/${unit}`;

/** Declared sample type (type/unit) → the measure its rows are stored under. */
export const storedNameOfSampleType: ReadonlyMap<string, SampleTypeName> = new Map([
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
export function storedSampleTypes<T extends SampleTypeName>(declared: readonly T[]): (T | SampleTypeName)[] {
  const taken = new Set(declared.map((t) => key(t.type, t.unit)));
  return declared.map((t) => {
    const measure = storedNameOfSampleType.get(key(t.type, t.unit));
    if (measure === undefined) return t;
    const name = key(measure.type, measure.unit);
    if (name === key(t.type, t.unit) || taken.has(name)) return t;
    taken.add(name);
    return { type: measure.type, unit: measure.unit };
  });
}

/** `storedSampleTypes` over `type/unit` strings, as `profiles.sample_types` holds them. */
export function storedSampleTypeNames(declared: readonly string[]): string[] {
  const split = declared.map((name) => {
    const slash = name.indexOf('/');
    return slash < 0 ? { type: name, unit: '' } : { type: name.slice(0, slash), unit: name.slice(slash + 1) };
  });
  return storedSampleTypes(split).map((t) => key(t.type, t.unit));
}
