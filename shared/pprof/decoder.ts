import { unprocessable } from '../platform/errors.js';
import type { LabelMapping } from '../platform/labels.js';
import { decodeInJs } from './explode.js';
import type { DecodedProfile, ExplodeLimits, ProfileContext } from './types.js';
import { WasmDecoder, wasmDecoderBuilt } from './wasm-decoder.js';

/** Which decoder reads profiles first: WebAssembly (JavaScript takes what it leaves), or JavaScript only. */
export type PprofDecoderChoice = 'wasm' | 'js';

export interface ProfileDecoderOptions {
  decoder: PprofDecoderChoice;
  /** The WebAssembly instance is dropped after a profile grows its memory past this (default 64 MiB). */
  retainedWasmMemoryBytes?: number;
}

/** The pprof engine's one entry point: bytes in, a profile's columns and which decoder read it out. */
export interface ProfileDecoder {
  /** True when `decoder: 'wasm'` was asked for but decoder.wasm was not built: JavaScript reads everything. */
  readonly wasmMissing: boolean;
  /**
   * Decodes one pprof profile (uncompressed protobuf) into columns. Throws a non-retriable
   * HotspotsError (unprocessable) for a malformed profile or one over `limits`.
   */
  decodeProfile(
    data: Uint8Array,
    context: ProfileContext,
    mapping: LabelMapping,
    limits: ExplodeLimits,
  ): DecodedProfile;
  /** Bytes of WebAssembly memory held between profiles (0: none). */
  wasmMemoryBytes(): number;
}

/**
 * A decoder with its own state (the WebAssembly instance), built once per process by the
 * composition root. The JavaScript decoder decodes or refuses every profile, with its own
 * messages; the WebAssembly one decodes the usual ones faster and leaves the rest to it.
 */
export function createProfileDecoder(options: ProfileDecoderOptions): ProfileDecoder {
  const wasm = options.decoder === 'wasm' ? new WasmDecoder(options.retainedWasmMemoryBytes) : undefined;
  const decode = (
    data: Uint8Array,
    context: ProfileContext,
    mapping: LabelMapping,
    limits: ExplodeLimits,
  ): DecodedProfile => {
    if (wasm === undefined) return { ...decodeInJs(data, context, mapping, limits), decodedBy: { decoder: 'js' } };
    const outcome = wasm.decode(data, context, mapping, limits);
    if ('profile' in outcome) return { ...outcome.profile, decodedBy: { decoder: 'wasm' } };
    return { ...decodeInJs(data, context, mapping, limits), decodedBy: { decoder: 'js', wasmLeft: outcome.left } };
  };
  return {
    wasmMissing: wasm !== undefined && !wasmDecoderBuilt,
    decodeProfile(data, context, mapping, limits) {
      return refuseRepeatedSampleTypes(decode(data, context, mapping, limits));
    },
    wasmMemoryBytes: () => wasm?.memoryBytes() ?? 0,
  };
}

/**
 * A sample type declared twice would be counted twice: its rows would carry the same
 * sample_type, and every query sums by it. Which of the two is meant cannot be known, so the
 * profile is refused.
 */
function refuseRepeatedSampleTypes(profile: DecodedProfile): DecodedProfile {
  const seen = new Set<string>();
  for (const type of profile.sampleTypes) {
    if (seen.has(type)) throw unprocessable(`profile declares sample type ${type} more than once`);
    seen.add(type);
  }
  return profile;
}
