import type { LabelMapping } from '../../shared/platform/labels.js';
import {
  createProfileDecoder,
  type DecodedProfile,
  type ExplodedProfile,
  type ExplodeLimits,
  type FrameRow,
  HI,
  type LabelSet,
  LO,
  type ProfileContext,
  type SampleRow,
  type SampleType,
  type StackRow,
} from '../../shared/pprof/index.js';
import { WasmDecoder, wasmDecoderBuilt } from '../../shared/pprof/wasm-decoder.js';

/**
 * The pprof engine as its tests call it: the decoder the consumer uses (WebAssembly first), the
 * JavaScript decoder alone, why WebAssembly left the last profile, and the columns turned into
 * row objects, which the pprof-format reference (explode-reference.ts) also returns.
 */
const wasmFirst = createProfileDecoder({ decoder: 'wasm' });
const jsOnly = createProfileDecoder({ decoder: 'js' });
const wasmProbe = new WasmDecoder();

export const wasmDecoderLoaded = wasmDecoderBuilt;

/** Why the WebAssembly decoder left the last profile `explodeProfileCompact` was given; undefined: it decoded it. */
export let lastBail: string | undefined;

export function explodeProfileCompact(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): DecodedProfile {
  try {
    const decoded = wasmFirst.decodeProfile(data, context, mapping, limits);
    lastBail = decoded.decodedBy.wasmLeft;
    return decoded;
  } catch (error) {
    const outcome = wasmProbe.decode(data, context, mapping, limits);
    lastBail = 'left' in outcome ? outcome.left : undefined;
    throw error;
  }
}

export function explodeProfileCompactJs(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): DecodedProfile {
  return jsOnly.decodeProfile(data, context, mapping, limits);
}

const TWO_32 = 4294967296;

/** The stacks of a compact profile as StackRow objects. */
export function materialiseStackRows(profile: DecodedProfile, tenant: string): StackRow[] {
  const { stackIds, frameIds } = profile.compact;
  const frameIdTexts = Array.from(frameIds, String);
  const rows: StackRow[] = new Array(stackIds.length);
  for (let stack = 0; stack < stackIds.length; stack++) {
    const frames = [...profile.compact.stackLeafFrames(stack), ...profile.compact.stackCallerFrames(stack)];
    rows[stack] = {
      tenant,
      stack_id: String(stackIds[stack]),
      frame_ids: frames.map((frame) => frameIdTexts[frame] as string),
    };
  }
  return rows;
}

/** The frames of a compact profile as FrameRow objects, in the order stacks first reach them. */
export function materialiseFrameRows(profile: DecodedProfile, tenant: string): FrameRow[] {
  return Array.from(profile.compact.frameIds, (_, frame) => profile.compact.frameRow(frame, tenant));
}

/** The sample rows of a compact profile as objects: what `explodeProfile` returns in `samples`. */
export function materialiseSampleRows(profile: DecodedProfile, context: ProfileContext): SampleRow[] {
  const { compact, sampleTypeList } = profile;
  const { rowCount, ts } = compact;
  const labelSets = Array.from({ length: compact.labelSets.count }, (_, set) => compact.labelSets.labelSet(set));
  const stackIds = Array.from(compact.stackIds, String);
  const values32 = new Uint32Array(compact.values.buffer, compact.values.byteOffset, 2 * rowCount);
  const rows: SampleRow[] = new Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const type = sampleTypeList[compact.sampleTypeIndex[row] as number] as SampleType;
    const labels = labelSets[compact.labelSetIndex[row] as number] as LabelSet;
    // Exact below 2^53 in magnitude (the int64 is hi·2^32 + lo with hi signed), else a decimal string.
    const approximate = ((values32[2 * row + HI] as number) | 0) * TWO_32 + (values32[2 * row + LO] as number);
    rows[row] = {
      tenant: context.tenant,
      service: context.service,
      env: context.env,
      version: context.version,
      ts,
      profile_id: context.profileId,
      ingest_id: context.ingestId,
      sample_type: type.type,
      sample_unit: type.unit,
      value: Number.isSafeInteger(approximate) ? approximate : (compact.values[row] as bigint).toString(),
      span_id: labels.spanId,
      local_root_span_id: labels.localRootSpanId,
      endpoint: labels.endpoint,
      trace_id: labels.traceId,
      label_keys: labels.keys,
      label_values: labels.values,
      stack_id: stackIds[compact.stackIndex[row] as number] as string,
    };
  }
  return rows;
}

/** The rows of a profile as objects; the same decoding as `explodeProfileCompact`, then materialised. */
export function explodeProfile(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ExplodedProfile {
  return materialise(explodeProfileCompact(data, context, mapping, limits), context);
}

/** A compact profile's rows as objects. */
export function materialise(exploded: DecodedProfile, context: ProfileContext): ExplodedProfile {
  return {
    startNs: exploded.startNs,
    durationNs: exploded.durationNs,
    period: exploded.period,
    periodType: exploded.periodType,
    sampleTypes: exploded.sampleTypes,
    sampleCount: exploded.sampleCount,
    samples: materialiseSampleRows(exploded, context),
    stacks: materialiseStackRows(exploded, context.tenant),
    frames: materialiseFrameRows(exploded, context.tenant),
  };
}
