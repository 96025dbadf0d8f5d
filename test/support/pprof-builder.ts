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
 * Builds pprof profiles in code with known totals (tests compute expectations from the same spec,
 * independently of the decoder under test): Go-style CPU profiles (`buildCpuProfile`), profiles of
 * several sample types as other runtimes shape theirs (`buildMeasuredProfile`), and any other shape
 * (`buildPprof`).
 */
export type ValueTypeSpec = [type: string, unit: string];

export interface MeasuredSample {
  /** Leaf first. */
  stack: string[];
  /** One value per sample type, in the profile's order. */
  values: bigint[];
  labels?: Record<string, string>;
  numLabels?: Record<string, bigint>;
}

/** Where a function's code stands: its source file and the line of its one location. */
export type FrameOf = (name: string, id: number) => { file: string; line: number };

export interface PprofSpec {
  sampleTypes: ValueTypeSpec[];
  samples: MeasuredSample[];
  frameOf: FrameOf;
  /** Fields left out here are left out of the profile. */
  startNs?: bigint;
  durationNs?: bigint;
  periodType?: ValueTypeSpec;
  period?: bigint;
}

export function buildPprof(spec: PprofSpec): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationByName = new Map<string, number>();
  const locationOf = (name: string): number => {
    const existing = locationByName.get(name);
    if (existing !== undefined) return existing;
    const id = locations.length + 1;
    const { file, line } = spec.frameOf(name, id);
    functions.push(new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(file) }));
    locations.push(new Location({ id, line: [new Line({ functionId: id, line })] }));
    locationByName.set(name, id);
    return id;
  };
  const valueType = ([type, unit]: ValueTypeSpec) =>
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
    ...(spec.startNs === undefined ? {} : { timeNanos: spec.startNs }),
    ...(spec.durationNs === undefined ? {} : { durationNanos: spec.durationNs }),
    ...(spec.periodType === undefined ? {} : { periodType: valueType(spec.periodType) }),
    ...(spec.period === undefined ? {} : { period: spec.period }),
  }).encode();
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const TEN_SECONDS_NS = 10_000_000_000n;
const CPU_PERIOD_NS = 10_000_000n;
const CPU_NS: ValueTypeSpec = ['cpu', 'nanoseconds'];

/** Go-style frames: `main.handle` in main.go, lines from 11. */
const goFrame: FrameOf = (name, id) => ({ file: `${name.split('.')[0]}.go`, line: 10 + id });
/** Python-style frames: `handle` in handle.py, lines from 1. */
const pythonFrame: FrameOf = (name, id) => ({ file: `${name}.py`, line: id });

/** A CPU sample of a Go-style profile (samples/count and cpu/nanoseconds, period 10 ms). */
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

/** A CPU profile as Go's runtime writes it: samples/count and cpu/nanoseconds, period 10 ms. */
export function buildCpuProfile(spec: ProfileSpec): Uint8Array {
  return buildPprof({
    sampleTypes: [['samples', 'count'], CPU_NS],
    samples: spec.samples.map(({ cpuNs, ...sample }) => ({ ...sample, values: [cpuNs / CPU_PERIOD_NS, cpuNs] })),
    frameOf: goFrame,
    startNs: spec.startNs ?? nowNs(),
    durationNs: spec.durationNs ?? TEN_SECONDS_NS,
    periodType: CPU_NS,
    period: CPU_PERIOD_NS,
  });
}

/**
 * A profile of several sample types the way other runtimes shape theirs (ddtrace's one
 * `profile.pprof` of `cpu-time`, `wall-time`, `lock-acquire-wait`, …; dd-trace-js's `wall.pprof`
 * of `sample`, `wall`, `cpu`), with Python-style frames.
 */
export interface MeasuredProfileSpec {
  sampleTypes: ValueTypeSpec[];
  /** The first sample type unless given. */
  periodType?: ValueTypeSpec;
  /** 10 ms unless given. */
  period?: bigint;
  startNs?: bigint;
  durationNs?: bigint;
  samples: MeasuredSample[];
}

export function buildMeasuredProfile(spec: MeasuredProfileSpec): Uint8Array {
  return buildPprof({
    ...spec,
    frameOf: pythonFrame,
    startNs: spec.startNs ?? nowNs(),
    durationNs: spec.durationNs ?? TEN_SECONDS_NS,
    periodType: spec.periodType ?? spec.sampleTypes[0] ?? CPU_NS,
    period: spec.period ?? CPU_PERIOD_NS,
  });
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
