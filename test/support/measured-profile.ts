import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';

/**
 * Builds a pprof of several sample types the way other runtimes shape theirs (ddtrace's one
 * `profile.pprof` of `cpu-time`, `wall-time`, `lock-acquire-wait`, …; dd-trace-js's `wall.pprof`
 * of `sample`, `wall`, `cpu`), with string or numeric labels. Expected totals come from the spec.
 */
export interface MeasuredSample {
  stack: string[];
  /** One value per sample type, in the profile's order. */
  values: bigint[];
  labels?: Record<string, string>;
  numLabels?: Record<string, bigint>;
}

export interface MeasuredProfileSpec {
  sampleTypes: [type: string, unit: string][];
  periodType?: [type: string, unit: string];
  period?: bigint;
  startNs?: bigint;
  durationNs?: bigint;
  samples: MeasuredSample[];
}

export function buildMeasuredProfile(spec: MeasuredProfileSpec): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const ids = new Map<string, number>();
  const locationOf = (name: string): number => {
    const known = ids.get(name);
    if (known !== undefined) return known;
    const id = locations.length + 1;
    functions.push(new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(`${name}.py`) }));
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: id })] }));
    ids.set(name, id);
    return id;
  };
  const valueType = ([type, unit]: [string, string]) =>
    new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) });
  const samples = spec.samples.map(
    (s) =>
      new Sample({
        locationId: s.stack.map(locationOf),
        value: s.values,
        label: [
          ...Object.entries(s.labels ?? {}).map(
            ([k, v]) => new Label({ key: strings.dedup(k), str: strings.dedup(v) }),
          ),
          ...Object.entries(s.numLabels ?? {}).map(([k, v]) => new Label({ key: strings.dedup(k), num: v })),
        ],
      }),
  );
  return new Profile({
    sampleType: spec.sampleTypes.map(valueType),
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: spec.startNs ?? BigInt(Date.now()) * 1_000_000n,
    durationNanos: spec.durationNs ?? 10_000_000_000n,
    periodType: valueType(spec.periodType ?? spec.sampleTypes[0] ?? ['cpu', 'nanoseconds']),
    period: spec.period ?? 10_000_000n,
  }).encode();
}
