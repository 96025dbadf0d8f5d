import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMultipart } from '../../shared/agents/multipart.js';
import { decompressBounded } from '../../shared/platform/compression.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import { benchContext, benchLimits } from './explode-inputs.js';
import { round, table, timeInTurns } from './stats.js';

/**
 * Decode speed on what dd-trace-js 5.x and ddtrace 4.x really send (test/fixtures/agents): their
 * span ids are number labels (Label.num). The consumer's decoder (WebAssembly first, JavaScript
 * for what it leaves) beside the JavaScript decoder alone, alternating which runs first each
 * round; medians of the rounds. `decoded_by` says which decoder the consumer's path used.
 *
 *   node --import tsx test/bench/decode-runtimes.ts [rounds]
 */
export type RuntimeDecodeFigures = {
  profile: string;
  decoder: string;
  decoded_by: string;
  median_us: number;
  mb_per_s: number;
  ratio_to_js: number;
};

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents');
const MAX_BYTES = 64 * 1024 * 1024;
const context = { ...benchContext, service: 'bench', env: '', version: '' };

/** The pprof parts of a recorded upload, decompressed. */
async function pprofParts(dir: string): Promise<[string, Uint8Array][]> {
  const { content_type } = JSON.parse(readFileSync(join(fixtures, dir, 'profiling-input.json'), 'utf8')) as {
    content_type: string;
  };
  const parts = await parseMultipart(readFileSync(join(fixtures, dir, 'profiling-input.multipart')), content_type, {
    maxParts: 16,
    maxPartBytes: MAX_BYTES,
  });
  return parts
    .filter((part) => part.name.endsWith('.pprof'))
    .map((part) => [`${dir} ${part.name}`, decompressBounded(part.bytes, MAX_BYTES).data]);
}

export async function benchRuntimeDecode(rounds = 400, warmups = 100): Promise<RuntimeDecodeFigures[]> {
  const decoders = [
    { name: 'consumer decoder (WebAssembly first)', decoder: createProfileDecoder({ decoder: 'wasm' }) },
    { name: 'JavaScript decoder alone', decoder: createProfileDecoder({ decoder: 'js' }) },
  ];
  const profiles = [
    ...(await pprofParts('dd-trace-js')).filter(([name]) => name.endsWith('wall.pprof')),
    ...(await pprofParts('ddtrace-py')),
  ];
  const figures: RuntimeDecodeFigures[] = [];
  for (const [name, bytes] of profiles) {
    const timed = await timeInTurns(
      decoders.map(
        ({ decoder }) =>
          () =>
            decoder.decodeProfile(bytes, context, defaultLabelMapping, benchLimits),
      ),
      warmups,
      rounds,
    );
    const jsMs = timed[1]?.ms ?? Number.NaN;
    decoders.forEach((d, i) => {
      const { ms, last } = timed[i] as (typeof timed)[number];
      figures.push({
        profile: `${name}, ${(bytes.length / 1000).toFixed(1)} kB`,
        decoder: d.name,
        decoded_by:
          last.decodedBy.decoder + (last.decodedBy.wasmLeft ? ` (wasm left: ${last.decodedBy.wasmLeft})` : ''),
        median_us: round(ms * 1000),
        mb_per_s: round(bytes.length / 1e6 / (ms / 1000)),
        ratio_to_js: round(jsMs / ms, 2),
      });
    });
  }
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = process.argv[2] ? Number(process.argv[2]) : undefined;
  console.log(table(await benchRuntimeDecode(rounds)));
}
