import { gzipSync } from 'node:zlib';
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
 * Builds pprof CPU profiles in code with known totals (tests compute expectations from the same
 * spec, independently of the decoder under test). Sample types follow Go's CPU profile:
 * samples/count and cpu/nanoseconds, period 10 ms.
 */
export interface SampleSpec {
  /** Leaf first. */
  stack: string[];
  cpuNs: bigint;
  labels?: Record<string, string>;
  numLabels?: Record<string, bigint>;
}

export interface ProfileSpec {
  startNs?: bigint;
  durationNs?: bigint;
  samples: SampleSpec[];
}

export function buildCpuProfile(spec: ProfileSpec): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationByName = new Map<string, number>();
  const locationOf = (name: string): number => {
    const existing = locationByName.get(name);
    if (existing !== undefined) return existing;
    const id = locations.length + 1;
    functions.push(
      new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(`${name.split('.')[0]}.go`) }),
    );
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: 10 + id })] }));
    locationByName.set(name, id);
    return id;
  };
  const period = 10_000_000n;
  const samples = spec.samples.map(
    (s) =>
      new Sample({
        locationId: s.stack.map(locationOf),
        value: [s.cpuNs / period, s.cpuNs],
        label: [
          ...Object.entries(s.labels ?? {}).map(
            ([k, v]) => new Label({ key: strings.dedup(k), str: strings.dedup(v) }),
          ),
          ...Object.entries(s.numLabels ?? {}).map(([k, v]) => new Label({ key: strings.dedup(k), num: v })),
        ],
      }),
  );
  const profile = new Profile({
    sampleType: [
      new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: spec.startNs ?? BigInt(Date.now()) * 1_000_000n,
    durationNanos: spec.durationNs ?? 10_000_000_000n,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period,
  });
  return profile.encode();
}

export const gzipProfile = (bytes: Uint8Array): Uint8Array => gzipSync(bytes);

/** CPU per value of one label (null = samples without it), straight from the spec. */
export function expectedTotalsByLabel(spec: ProfileSpec, key: string): Map<string | null, bigint> {
  const totals = new Map<string | null, bigint>();
  for (const s of spec.samples) {
    const value = s.labels?.[key] ?? null;
    totals.set(value, (totals.get(value) ?? 0n) + s.cpuNs);
  }
  return totals;
}
