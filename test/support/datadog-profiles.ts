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
 * Non-CPU profiles as dd-trace-go uploads them beside cpu.pprof: delta-heap (alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes), goroutines (goroutine/count), … Built
 * in code so tests know their values; the CPU profile comes from pprof-builder.ts.
 */
export interface TypedSample {
  stack: string[];
  values: bigint[];
  labels?: Record<string, string>;
}

export interface TypedProfileSpec {
  sampleTypes: [type: string, unit: string][];
  samples: TypedSample[];
  startNs?: bigint;
}

export function buildTypedProfile(spec: TypedProfileSpec): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const ids = new Map<string, number>();
  const locationOf = (name: string): number => {
    const known = ids.get(name);
    if (known !== undefined) return known;
    const id = locations.length + 1;
    functions.push(new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup('heap.go') }));
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: id })] }));
    ids.set(name, id);
    return id;
  };
  const profile = new Profile({
    sampleType: spec.sampleTypes.map(
      ([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }),
    ),
    sample: spec.samples.map(
      (s) =>
        new Sample({
          locationId: s.stack.map(locationOf),
          value: s.values,
          label: Object.entries(s.labels ?? {}).map(
            ([k, v]) => new Label({ key: strings.dedup(k), str: strings.dedup(v) }),
          ),
        }),
    ),
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: spec.startNs ?? BigInt(Date.now()) * 1_000_000n,
  });
  return profile.encode();
}

/** A delta-heap profile whose values are huge, so any leak into CPU figures shows at once. */
export function buildHeapProfile(startNs?: bigint): Uint8Array {
  return buildTypedProfile({
    sampleTypes: [
      ['alloc_objects', 'count'],
      ['alloc_space', 'bytes'],
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ],
    samples: [
      { stack: ['bytes.growSlice', 'main.handler'], values: [1000n, 987_654_321_000n, 10n, 123_456_789n] },
      { stack: ['json.Marshal', 'main.handler'], values: [500n, 555_000_000_000n, 0n, 0n] },
    ],
    ...(startNs === undefined ? {} : { startNs }),
  });
}

/** A goroutines profile with span labels, as the Go runtime records goroutine labels there. */
export function buildGoroutineProfile(startNs?: bigint): Uint8Array {
  return buildTypedProfile({
    sampleTypes: [['goroutine', 'count']],
    samples: [
      {
        stack: ['runtime.gopark', 'main.handler'],
        values: [7n],
        labels: { 'span id': '42', 'trace endpoint': 'GET /x' },
      },
      { stack: ['runtime.gopark', 'main.main'], values: [3n] },
    ],
    ...(startNs === undefined ? {} : { startNs }),
  });
}
