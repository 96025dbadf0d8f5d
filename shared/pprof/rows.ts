/**
 * The rows one pprof profile explodes into, shared by the fast decoder (explode.ts) and the
 * pprof-format reference it is tested against (explode-reference.ts): one sample row per (sample,
 * sample type) with a non-zero value, plus the stacks and frames those samples point at.
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
