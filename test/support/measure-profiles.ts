import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';

/**
 * Reads pprof profiles of several measures back with pprof-format alone: the expectations of the
 * measure tests never go through the decoder under test. The profiles come from pprof-builder.ts.
 */

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
