import { fileURLToPath } from 'node:url';
import { Profile } from 'pprof-format';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { FrameRowEncoder, StackRowEncoder } from '../../shared/profiles/rows/profile-rows.js';
import { RowBinaryWriter } from '../../shared/profiles/rows/row-binary.js';
import {
  explodeProfile,
  explodeProfileCompact,
  explodeProfileCompactJs,
  wasmDecoderLoaded,
} from '../support/decoders.js';
import { explodeProfileReference } from '../support/explode-reference.js';
import { benchContext, benchLimits } from './explode-inputs.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { round, table, timeInTurns } from './stats.js';

/**
 * Decoding and exploding a pprof on one core (issue 7): pprof-format's Profile.decode is the
 * baseline, measured in the same run as the rest, on the realistic profile (20k samples), the
 * same with far fewer distinct stacks, and one ten times larger. Each round runs the baseline and
 * the wire decoder's variants once each, in turn (rotating who goes first), so a noisy neighbour
 * slows all of them alike; the reference explode runs in rounds of its own afterwards, as the
 * garbage it leaves (hundreds of MB) would otherwise be collected on the next one's time. Figures
 * are medians over the rounds after a warm-up; `ratio` is samples/s over the baseline's.
 *
 *   node --import tsx test/bench/decode.ts [rounds]
 */
export type DecodeFigures = {
  profile: string;
  decoder: string;
  median_ms: number;
  mb_per_s: number;
  m_samples_per_s: number;
  m_rows_per_s: number;
  ratio: number;
};

export interface DecodeBenchOptions {
  /** Measured rounds on the 20k-sample profiles (default 10), after 3 warm-up rounds. */
  rounds?: number;
  /** Measured rounds on the large profile (default 3), after 1 warm-up round. */
  largeRounds?: number;
  /** Samples of the large profile (default 200 000). */
  largeSamples?: number;
}

const context = benchContext;
const limits = benchLimits;

interface Decoder {
  name: string;
  /** Runs once; returns the rows it produced (0 for a bare decode). */
  run: (bytes: Uint8Array) => number;
}

const baseline: Decoder = {
  name: 'pprof-format Profile.decode (baseline)',
  run: (bytes) => {
    Profile.decode(bytes);
    return 0;
  },
};
const coldRows = new RowBinaryWriter(1 << 24);
const wireDecoders: Decoder[] = [
  {
    // The consumer's decode: ids of every frame and stack, rows built only for new ones.
    name: 'explodeProfileCompact',
    run: (bytes) => explodeProfileCompact(bytes, context, defaultLabelMapping, limits).compact.rowCount,
  },
  {
    // The same by the JavaScript decoder alone: what profiles the WebAssembly decoder leaves get.
    name: 'explodeProfileCompactJs (JavaScript decoder)',
    run: (bytes) => explodeProfileCompactJs(bytes, context, defaultLabelMapping, limits).compact.rowCount,
  },
  {
    // A cold consumer: every frame and stack is new, so all their rows are built, in RowBinary.
    name: 'explodeProfileCompact + every frame and stack row (RowBinary)',
    run: (bytes) => {
      const { compact } = explodeProfileCompact(bytes, context, defaultLabelMapping, limits);
      coldRows.reset();
      const frameRows = new FrameRowEncoder(context.tenant, compact);
      for (let frame = 0; frame < compact.frameIds.length; frame++) frameRows.encode(coldRows, frame);
      const stackRows = new StackRowEncoder(context.tenant, compact);
      for (let stack = 0; stack < compact.stackIds.length; stack++) stackRows.encode(coldRows, stack);
      return compact.rowCount;
    },
  },
  {
    name: 'explodeProfile (row objects)',
    run: (bytes) => explodeProfile(bytes, context, defaultLabelMapping, limits).samples.length,
  },
];
const reference: Decoder = {
  name: 'reference explode (pprof-format + rows)',
  run: (bytes) => explodeProfileReference(bytes, context, defaultLabelMapping, limits).samples.length,
};

/** Runs the decoders in turn; medians of the measured rounds and the rows each produced. */
async function measure(decoders: Decoder[], bytes: Uint8Array, warmups: number, rounds: number) {
  const timed = await timeInTurns(
    decoders.map((decoder) => () => decoder.run(bytes)),
    warmups,
    rounds,
  );
  return decoders.map((decoder, i) => ({ decoder, ms: timed[i]?.ms ?? Number.NaN, rows: timed[i]?.last ?? 0 }));
}

async function benchProfile(
  label: string,
  bytes: Uint8Array,
  samples: number,
  warmups: number,
  rounds: number,
): Promise<DecodeFigures[]> {
  const measured = [
    ...(await measure([baseline, ...wireDecoders], bytes, warmups, rounds)),
    ...(await measure([reference], bytes, warmups, rounds)),
  ];
  const baselineMs = measured[0]?.ms ?? Number.NaN;
  return measured.map(({ decoder, ms, rows }) => ({
    profile: label,
    decoder: decoder.name,
    median_ms: round(ms),
    mb_per_s: round(bytes.length / 1e6 / (ms / 1000)),
    m_samples_per_s: round(samples / 1e6 / (ms / 1000), 3),
    m_rows_per_s: round(rows / 1e6 / (ms / 1000), 3),
    ratio: round(baselineMs / ms, 2),
  }));
}

/**
 * The realistic profile with each sample's leaf location dropped: its 400 call paths become its
 * only stacks (of 20k samples), to show what stack diversity costs; labels and values unchanged.
 */
function withoutLeaves(bytes: Uint8Array): Uint8Array {
  const profile = Profile.decode(bytes);
  for (const sample of profile.sample) sample.locationId = sample.locationId.slice(1);
  return profile.encode();
}

export async function benchDecode(options: DecodeBenchOptions = {}): Promise<DecodeFigures[]> {
  // npm run bench builds it first; without it explodeProfileCompact would quietly measure JavaScript.
  if (!wasmDecoderLoaded) throw new Error('the WebAssembly decoder is not built: run npm run build');
  const rounds = options.rounds ?? 10;
  const largeSamples = options.largeSamples ?? 200_000;
  const realistic = buildRealisticProfile();
  const fewStacks = withoutLeaves(realistic);
  const large = buildRealisticProfile({ samples: largeSamples, seed: 7 });
  const mb = (bytes: Uint8Array) => (bytes.length / 1e6).toFixed(1);
  return [
    ...(await benchProfile(`realistic 20k samples, ${mb(realistic)} MB`, realistic, 20_000, 3, rounds)),
    ...(await benchProfile(`same, leaf dropped (400 stacks), ${mb(fewStacks)} MB`, fewStacks, 20_000, 3, rounds)),
    ...(await benchProfile(
      `realistic ${largeSamples / 1000}k samples, ${mb(large)} MB`,
      large,
      largeSamples,
      1,
      options.largeRounds ?? 3,
    )),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = process.argv[2] ? Number(process.argv[2]) : undefined;
  const figures = await benchDecode(rounds === undefined ? {} : { rounds });
  console.log(table(figures));
}
