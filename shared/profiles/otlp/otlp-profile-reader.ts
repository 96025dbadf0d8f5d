import type { OtlpProfileRef } from '../envelope.js';
import { decodeProfilesRequest, type OtlpProfilesRequest } from './otlp-request.js';
import { type OtlpConversionLimits, otlpProfileToPprof } from './to-pprof.js';

/**
 * The consumer's door to OTLP requests: one stored request holds many profiles, each with its own
 * envelope, and the envelopes of one request arrive together (published in a row under the upload
 * id as Kafka key, so on one partition), so the last decoded request is kept and the next profile
 * of it is converted without fetching or decoding it again.
 */
export interface OtlpProfileReader {
  /** Whether the request stored under `key` is already decoded (no need to fetch it). */
  holds(key: string): boolean;
  /** The pprof of one profile; `data` is the decompressed request, needed unless `holds(key)`. */
  pprofOf(key: string, ref: OtlpProfileRef, data: Uint8Array | undefined): Uint8Array;
}

export function createOtlpProfileReader(limits: OtlpConversionLimits): OtlpProfileReader {
  let last: { key: string; request: OtlpProfilesRequest } | undefined;
  return {
    holds: (key) => last?.key === key,
    pprofOf(key, ref, data) {
      if (last?.key !== key) {
        if (data === undefined) throw new Error(`OTLP request ${key} was neither decoded nor given`);
        last = undefined;
        last = { key, request: decodeProfilesRequest(data, ref.body) };
      }
      return otlpProfileToPprof(last.request, ref, limits, ref.service).pprof;
    },
  };
}
