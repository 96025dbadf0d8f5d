import { gunzipSync } from 'node:zlib';
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
 * pprof profiles of several measures built in code (Python-, Node- and Go-style sample types
 * under the names the ingest side stores), and their totals read back with pprof-format alone:
 * the expectations of the measure tests never go through the decoder under test.
 */
export interface MeasureSampleSpec {
  /** Leaf first. */
  stack: string[];
  /** One value per sample type, in the profile's order. */
  values: bigint[];
  labels?: Record<string, string>;
}

export interface MeasureProfileSpec {
  sampleTypes: { type: string; unit: string }[];
  startNs: bigint;
  durationNs: bigint;
  samples: MeasureSampleSpec[];
}

export function buildMeasureProfile(spec: MeasureProfileSpec): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationByName = new Map<string, number>();
  const locationOf = (name: string): number => {
    const existing = locationByName.get(name);
    if (existing !== undefined) return existing;
    const id = locations.length + 1;
    functions.push(new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(`${name}.py`) }));
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: id })] }));
    locationByName.set(name, id);
    return id;
  };
  const profile = new Profile({
    sampleType: spec.sampleTypes.map(
      (t) => new ValueType({ type: strings.dedup(t.type), unit: strings.dedup(t.unit) }),
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
    timeNanos: spec.startNs,
    durationNanos: spec.durationNs,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: 10_000_000n,
  });
  return profile.encode();
}

/** A decoded sample: its values by `type/unit` and its string labels. */
export interface DecodedSample {
  values: Map<string, bigint>;
  labels: Map<string, string>;
  /** Function names, root first. */
  stack: string[];
}

/** Decodes a pprof (gzipped or not) with pprof-format. */
export function decodeSamples(bytes: Uint8Array): { sampleTypes: string[]; samples: DecodedSample[] } {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const profile = Profile.decode(raw);
  const text = (i: number | bigint) => profile.stringTable.strings[Number(i)] ?? '';
  const sampleTypes = profile.sampleType.map((t) => `${text(t.type)}/${text(t.unit)}`);
  const functionName = new Map(profile.function.map((f) => [Number(f.id), text(f.name)]));
  const locationName = new Map(
    profile.location.map((l) => [Number(l.id), functionName.get(Number(l.line[0]?.functionId ?? 0)) ?? '']),
  );
  return {
    sampleTypes,
    samples: profile.sample.map((s) => ({
      values: new Map(sampleTypes.map((t, i) => [t, BigInt(s.value[i] ?? 0)])),
      labels: new Map(s.label.filter((l) => Number(l.str) !== 0).map((l) => [text(l.key), text(l.str)])),
      stack: s.locationId.map((id) => locationName.get(Number(id)) ?? '').reverse(),
    })),
  };
}

/** The sum of one sample type over the samples `keep` picks. */
export function totalOf(
  bytes: Uint8Array,
  typeAndUnit: string,
  keep: (sample: DecodedSample) => boolean = () => true,
): bigint {
  return decodeSamples(bytes)
    .samples.filter(keep)
    .reduce((sum, s) => sum + (s.values.get(typeAndUnit) ?? 0n), 0n);
}

/** Whether a sample carries `value` under label `key`. */
export const labelled =
  (key: string, ...values: string[]) =>
  (sample: DecodedSample): boolean =>
    values.includes(sample.labels.get(key) ?? '');
