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
 * The profiles that make the consumer spend most per byte uploaded (issue 20's amplification
 * shapes), built to sit just under or just over the consumer's limits:
 *
 * - **labels**: every sample carries `labels` labels of `valueBytes` each; the texts sit once in
 *   the string table, but every `samples` row carries a copy (HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE);
 * - **sample types**: `samples` samples × `sampleTypes` sample types, every value non-zero: one row
 *   per value (HOTSPOTS_MAX_ROWS_PER_PROFILE).
 *
 * Both are a few kB of gzip. Each sample's CPU is `cpuNsPerSample`, so a test knows the CPU total
 * of a committed one without decoding it (`amplifiedCpuTotal`).
 */
export interface AmplificationSpec {
  samples: number;
  /** Sample types besides cpu/nanoseconds (each a value of 1 per sample). */
  extraSampleTypes?: number;
  /** Labels per sample, keys `k00`, `k01`, … (3 bytes) and values of `valueBytes` bytes. */
  labels?: number;
  valueBytes?: number;
  /** Distinct stacks the samples cycle through. */
  stacks?: number;
  cpuNsPerSample?: bigint;
  startNs?: bigint;
}

const DEFAULT_CPU_NS = 10_000_000n;

export function buildAmplifiedProfile(spec: AmplificationSpec): Uint8Array {
  const strings = new StringTable();
  const extraTypes = spec.extraSampleTypes ?? 0;
  const labelCount = spec.labels ?? 0;
  const valueBytes = spec.valueBytes ?? 0;
  const stackCount = Math.max(1, spec.stacks ?? 1);
  const cpuNs = spec.cpuNsPerSample ?? DEFAULT_CPU_NS;

  const functions = Array.from(
    { length: stackCount + 1 },
    (_, i) =>
      new PprofFunction({
        id: i + 1,
        name: strings.dedup(i === 0 ? 'main.main' : `main.work${i}`),
        filename: strings.dedup('main.go'),
      }),
  );
  const locations = functions.map(
    (f, i) => new Location({ id: i + 1, line: [new Line({ functionId: f.id, line: 10 + i })] }),
  );
  const labels = Array.from({ length: labelCount }, (_, i) => {
    const key = `k${String(i).padStart(2, '0')}`;
    // Distinct values (a label set is one per profile), each exactly valueBytes long.
    const value = `${i}:`.padEnd(valueBytes, String.fromCharCode(97 + (i % 26)));
    return new Label({ key: strings.dedup(key), str: strings.dedup(value) });
  });
  const sampleTypes = [
    new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    ...Array.from(
      { length: extraTypes },
      (_, i) => new ValueType({ type: strings.dedup(`extra${i}`), unit: strings.dedup('count') }),
    ),
  ];
  const values = [cpuNs, ...Array.from({ length: extraTypes }, () => 1n)];
  const samples = Array.from(
    { length: spec.samples },
    (_, i) => new Sample({ locationId: [2 + (i % stackCount), 1], value: values, label: labels }),
  );
  return new Profile({
    sampleType: sampleTypes,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: spec.startNs ?? BigInt(Date.now()) * 1_000_000n,
    durationNanos: 10_000_000_000n,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: 10_000_000n,
  }).encode();
}

/** Rows the consumer writes for the profile: one per non-zero value. */
export const amplifiedRows = (spec: AmplificationSpec): number => spec.samples * (1 + (spec.extraSampleTypes ?? 0));

/** Label text the rows carry: every row its sample's labels, key (3 bytes) and value. */
export const amplifiedLabelBytes = (spec: AmplificationSpec): number =>
  amplifiedRows(spec) * (spec.labels ?? 0) * (3 + (spec.valueBytes ?? 0));

export const amplifiedCpuTotal = (spec: AmplificationSpec): bigint =>
  BigInt(spec.samples) * (spec.cpuNsPerSample ?? DEFAULT_CPU_NS);

/**
 * The shapes at the consumer's default limits (HOTSPOTS_MAX_LABELS_PER_SAMPLE 64,
 * HOTSPOTS_MAX_LABEL_VALUE_BYTES 4096, HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE 256 MiB,
 * HOTSPOTS_MAX_ROWS_PER_PROFILE 4,000,000), one just under and one just over each.
 */
export function amplificationShapes(limits = { labelBytes: 256 * 2 ** 20, rows: 4_000_000 }) {
  const perLabelledRow = 64 * (3 + 4096);
  const labelledRows = Math.floor(limits.labelBytes / perLabelledRow);
  // Two rows per labelled sample (cpu and one extra type): the label text doubles with the types.
  const labelledSamples = Math.floor(labelledRows / 2);
  const typesPerSample = 1000;
  return {
    labelsUnder: { samples: labelledSamples, extraSampleTypes: 1, labels: 64, valueBytes: 4096 },
    labelsOver: { samples: labelledSamples + 1, extraSampleTypes: 1, labels: 64, valueBytes: 4096 },
    rowsUnder: { samples: Math.floor(limits.rows / typesPerSample), extraSampleTypes: typesPerSample - 1, stacks: 64 },
    rowsOver: {
      samples: Math.floor(limits.rows / typesPerSample) + 1,
      extraSampleTypes: typesPerSample - 1,
      stacks: 64,
    },
    // Both at once: as many rows as allowed, each with as much label text as the rows leave room for.
    bothUnder: {
      samples: Math.floor(limits.rows / typesPerSample),
      extraSampleTypes: typesPerSample - 1,
      stacks: 64,
      labels: 1,
      valueBytes: Math.floor(limits.labelBytes / limits.rows) - 3,
    },
  } satisfies Record<string, AmplificationSpec>;
}
