/**
 * The types the pprof engine shares with its callers and between its decoders. Row objects
 * (`SampleRow`, `StackRow`, `FrameRow`) are the shape the pprof-format reference in the tests
 * produces; the consumer reads the columns of a `DecodedProfile` instead: one sample row per
 * (sample, sample type) with a non-zero value, plus the stacks and frames those samples point at.
 */
export interface ProfileContext {
  tenant: string;
  service: string;
  env: string;
  version: string;
  profileId: string;
  ingestId: string;
  /** Used when the profile carries no time_nanos (seconds since the epoch). */
  fallbackStartSeconds: number;
}

export interface ExplodeLimits {
  maxSamplesPerProfile: number;
  maxLabelsPerSample: number;
  maxLabelValueBytes: number;
  /**
   * Frames summed over a profile's distinct stacks and caller paths: what decoding and the stack
   * rows cost, which a small profile can otherwise make huge (one location of many lines under
   * many distinct paths).
   */
  maxStackFrames: number;
  /**
   * Locations, lines, functions and strings of one profile, summed: the decoder's tables. An empty
   * record takes two bytes, so without this a 64 MiB profile (gzipped to ~100 KB) could hold 33M of
   * them and need gigabytes to decode.
   */
  maxProfileRecords: number;
  /**
   * Sample rows of one profile: a row per sample and sample type with a non-zero value, what the
   * consumer writes. Bounds what a small profile of many sample types can make it write and hold.
   */
  maxRowsPerProfile: number;
}

/** Int64 that may exceed 2^53: a number when exact, else a decimal string (ClickHouse parses both). */
export type Int64Json = number | string;

export interface SampleRow {
  tenant: string;
  service: string;
  env: string;
  version: string;
  ts: number;
  profile_id: string;
  ingest_id: string;
  sample_type: string;
  sample_unit: string;
  value: Int64Json;
  span_id: string;
  local_root_span_id: string;
  endpoint: string | null;
  trace_id: string;
  label_keys: string[];
  label_values: string[];
  stack_id: string;
}

export interface StackRow {
  tenant: string;
  stack_id: string;
  frame_ids: string[];
}

export interface FrameRow {
  tenant: string;
  frame_id: string;
  function_name: string;
  system_name: string;
  file_name: string;
  line: number;
}

export interface ExplodedProfile {
  startNs: bigint;
  durationNs: bigint;
  period: bigint;
  periodType: string;
  sampleTypes: string[];
  sampleCount: number;
  samples: SampleRow[];
  stacks: StackRow[];
  frames: FrameRow[];
}

export interface SampleType {
  type: string;
  unit: string;
}

/** A list of frames (indices into `frameIds`). */
export type FrameList = ArrayLike<number> & Iterable<number>;

export type FrameFields = Pick<FrameRow, 'function_name' | 'system_name' | 'file_name' | 'line'>;

/**
 * A text of a frame or label set, by ref: a string of the profile's string table (ref ≥ 0), none
 * (`NO_TEXT`: '' or NULL), or a text the decoder made (ref ≤ -2: a location's address as a frame
 * name, a number label's decimal, a lowercased trace id).
 */
export const NO_TEXT = -1;

/** Texts by ref, for encoders that copy their UTF-8 (RowBinaryWriter.stringFrom) instead of making strings. */
export interface TextSource {
  text(ref: number): string;
  utf8Length(ref: number): number;
  /** Copies text `ref`'s UTF-8 into `target` at `at`; returns the end. */
  copyUtf8(ref: number, target: DataView, at: number): number;
}

/** The frames of a profile in columns, one entry per frame; texts are refs into `texts`. */
export interface FrameColumns {
  names: Int32Array;
  systemNames: Int32Array;
  fileNames: Int32Array;
  lines: Float64Array;
  texts: TextSource;
}

/** A label set as objects: what a sample row carries. */
export interface LabelSet {
  /** Decimal uint64, as normaliseLabels returns it; '0' when absent. */
  spanId: string;
  localRootSpanId: string;
  endpoint: string | null;
  traceId: string;
  /** Every label with a value, in the sample's order (a repeated key appears each time). */
  keys: string[];
  values: string[];
}

/**
 * The label sets of one profile in columns, one entry per set. Texts are refs (see NO_TEXT); ids
 * are uint64 words laid out for a BigUint64Array view (2i + LO, 2i + HI), 0 when absent.
 */
export interface LabelSets extends TextSource {
  readonly count: number;
  readonly spanIdWords: Uint32Array;
  readonly localRootSpanIdWords: Uint32Array;
  /** endpoint: a ref, or NO_TEXT for NULL. */
  readonly endpoints: Int32Array;
  /** trace_id: a ref, or NO_TEXT for ''. */
  readonly traceIds: Int32Array;
  /** Set i's labels are entries [labelsFrom[i], labelsFrom[i + 1]) of `labelKeys` and `labelValues`. */
  readonly labelsFrom: Int32Array;
  readonly labelKeys: Int32Array;
  readonly labelValues: Int32Array;
  /** Set i as objects. */
  labelSet(index: number): LabelSet;
}

/** The sample rows of one profile, one entry per row in each column, and the stacks they point at. */
export interface CompactSamples {
  rowCount: number;
  /** Index into `sampleTypeList`. */
  sampleTypeIndex: Uint32Array;
  /** The value, int64 (two's complement, as Go reads profile.proto's int64). */
  values: BigInt64Array;
  /** Index into `stackIds`. */
  stackIndex: Uint32Array;
  /** Index into `labelSets`. */
  labelSetIndex: Uint32Array;
  labelSets: LabelSets;
  /** stack_id of each stack. */
  stackIds: BigUint64Array;
  /**
   * Stack i's frames, leaf first, are `stackLeafFrames(i)` then `stackCallerFrames(i)`: indices
   * into `frameIds`. Two lists because stacks share their callers' part.
   */
  stackLeafFrames: (stack: number) => FrameList;
  stackCallerFrames: (stack: number) => FrameList;
  /** frame_id of each frame. */
  frameIds: BigUint64Array;
  /** The other columns of each frame, texts as refs an encoder copies from the profile. */
  frames: FrameColumns;
  /** The frames row of frame i, built when asked for (tests; the consumer encodes `frames`). */
  frameRow: (frame: number, tenant: string) => FrameRow;
  /** Frame i's columns but its id, as strings. */
  frameFields: (frame: number) => FrameFields;
  /** The profile's start second, the `ts` of every row. */
  ts: number;
}

/** Which decoder read a profile, and (`js` after WebAssembly gave up) why WebAssembly left it. */
export interface DecodedBy {
  decoder: 'wasm' | 'js';
  wasmLeft?: string;
}

/** A profile decoded into columns, as one decoder read it (before it says which). */
export interface ProfileColumns extends Omit<ExplodedProfile, 'samples' | 'stacks' | 'frames'> {
  sampleTypeList: SampleType[];
  compact: CompactSamples;
}

/** What the engine's entry point returns: a profile's columns and which decoder read it. */
export interface DecodedProfile extends ProfileColumns {
  decodedBy: DecodedBy;
}
