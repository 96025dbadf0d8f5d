import { fileURLToPath } from 'node:url';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { decodeProfilesRequest } from '../../shared/profiles/otlp/otlp-request.js';
import { otlpProfileToPprof } from '../../shared/profiles/otlp/to-pprof.js';
import { explodeProfileCompact } from '../support/decoders.js';
import { otlpRequestFromPprof } from '../support/otlp-from-pprof.js';
import { benchContext, benchLimits } from './explode-inputs.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { median, round, table } from './stats.js';

/**
 * What an OTLP profile costs the consumer beside the same profile as a pprof: decoding the request
 * (protobufjs), converting it to a pprof (pprof-format), then the pprof decode every profile gets.
 * Realistic profiles of 20k and 200k samples (test/bench/realistic-profile.ts) in the Collector's
 * pprof-translator shape; medians over rounds on one core, and the heap the decoded request holds.
 *
 *   node --import tsx test/bench/otlp.ts [rounds]
 */
export type OtlpFigures = {
  profile: string;
  step: string;
  median_ms: number;
  /** Only on the request-decoding row: the encoded request and the heap its decoded form holds. */
  request_mb: number | string;
  heap_mb: number | string;
};

const context = benchContext;
const limits = benchLimits;
const position = { resource: 0, scope: 0, profile: 0 };
const none = { request_mb: '', heap_mb: '' };

function heapOfDecoded(request: Uint8Array): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const decoded = decodeProfilesRequest(request, 'protobuf');
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  if (decoded.resourceProfiles.length !== 1) throw new Error('unexpected request');
  return after - before;
}

export function benchOtlp(rounds = 7): OtlpFigures[] {
  const rows: OtlpFigures[] = [];
  for (const [name, samples] of [
    ['realistic 20k samples', 20_000],
    ['realistic 200k samples', 200_000],
  ] as const) {
    const pprof = buildRealisticProfile({ samples });
    const request = otlpRequestFromPprof(pprof, 'checkout');
    const times = { pprof: [] as number[], request: [] as number[], convert: [] as number[], decode: [] as number[] };
    for (let round = 0; round < rounds + 1; round += 1) {
      let t = performance.now();
      explodeProfileCompact(pprof, context, defaultLabelMapping, limits);
      const pprofMs = performance.now() - t;
      t = performance.now();
      const decoded = decodeProfilesRequest(request, 'protobuf');
      const requestMs = performance.now() - t;
      t = performance.now();
      const converted = otlpProfileToPprof(decoded, position, limits).pprof;
      const convertMs = performance.now() - t;
      t = performance.now();
      explodeProfileCompact(converted, context, defaultLabelMapping, limits);
      const decodeMs = performance.now() - t;
      if (round === 0) continue; // warm-up
      times.pprof.push(pprofMs);
      times.request.push(requestMs);
      times.convert.push(convertMs);
      times.decode.push(decodeMs);
    }
    const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
    rows.push(
      { profile: name, step: 'pprof as uploaded: decode + explode', median_ms: round(median(times.pprof)), ...none },
      {
        profile: name,
        step: 'OTLP: decode request (protobufjs)',
        median_ms: round(median(times.request)),
        request_mb: mb(request.length),
        heap_mb: mb(heapOfDecoded(request)),
      },
      { profile: name, step: 'OTLP: convert to pprof', median_ms: round(median(times.convert)), ...none },
      {
        profile: name,
        step: 'OTLP: decode + explode the converted pprof',
        median_ms: round(median(times.decode)),
        ...none,
      },
    );
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(table(benchOtlp(Number(process.argv[2] ?? '7'))));
}
