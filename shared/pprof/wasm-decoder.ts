import { getRandomValues } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LabelMapping } from '../platform/labels.js';
import { FrameTexts, frameAccess } from './frame-texts.js';
import { LabelSetColumns } from './label-sets.js';
import { ProfileStrings } from './profile-strings.js';
import type { ExplodeLimits, FrameColumns, FrameList, ProfileColumns, ProfileContext, SampleType } from './types.js';
import { HI, int64BigInt, LO } from './wire.js';

/**
 * The decoder's fast path: wasm/assembly/decoder.ts, compiled by `npm run build` to
 * wasm/decoder.wasm, does what explode.ts, stack-table.ts and label-sets.ts do — the scan, the
 * sample loop, frames, stacks and label sets — in WebAssembly; this module copies its results
 * out. It gives up (`{ left }`) on anything but a well-formed profile of the usual shape, and on
 * any error: decoder.ts then runs the JavaScript decoder (explode.ts), which decodes or refuses every profile,
 * with its own messages. test/unit/wasm-decoder.test.ts holds the two to the same columns.
 */

/** Why the WebAssembly decoder left a profile to JavaScript (decoder.ts's codes). */
const BAIL_REASONS = [
  '',
  'malformed',
  'limit',
  'split records',
  'non-ASCII name',
  'flood',
  'missing reference',
  'many leaf frames',
  // an uppercase trace id, lowercased into a text JavaScript makes
  'made text',
] as const;

class WasmBail extends Error {
  constructor(readonly reason: number) {
    super(`WebAssembly decoder bailed: ${BAIL_REASONS[reason] ?? reason}`);
  }
}

interface DecoderExports {
  memory: { buffer: ArrayBuffer };
  input(size: number, rulesSize: number): number;
  decode(
    size: number,
    seedBytes: number,
    seedIds: number,
    maxSamples: number,
    maxFrames: number,
    maxLabels: number,
    maxValueBytes: number,
    maxRecords: number,
    maxRows: number,
  ): number;
  result(field: number): number;
}

// Node has WebAssembly; the project's type libraries (ES2023, no DOM) do not declare it.
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const { WebAssembly } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

function compile(): object | undefined {
  try {
    return new WebAssembly.Module(readFileSync(new URL('./wasm/decoder.wasm', import.meta.url)));
  } catch {
    return undefined; // not built: the JavaScript decoder does everything
  }
}

const imports = {
  env: {
    bail: (reason: number) => {
      throw new WasmBail(reason);
    },
    abort: () => {
      throw new WasmBail(-1);
    },
  },
};

/** The compiled module, or undefined when decoder.wasm was not built. Compiled once; read-only. */
const decoderModule = compile();
// Secret per process, as lookup-tables.ts's: keys cannot be crafted to pile into one run of slots.
const [BYTES_SEED = 0, ID_SEED = 0] = getRandomValues(new Uint32Array(2));

/** True when decoder.wasm was built and loaded. */
export const wasmDecoderBuilt = decoderModule !== undefined;

// Result fields (decoder.ts's `result`).
const R = {
  sampleCount: 0,
  stringCount: 1,
  stringStarts: 2,
  stringEnds: 3,
  sampleTypeCount: 4,
  sampleTypes: 5,
  hasPeriodType: 6,
  periodTypeType: 7,
  periodTypeUnit: 8,
  timeHi: 9,
  timeLo: 10,
  durationHi: 11,
  durationLo: 12,
  periodHi: 13,
  periodLo: 14,
  locationCount: 15,
  locationAddresses: 16,
  frameCount: 17,
  frameIds: 18,
  frameNames: 19,
  frameSystemNames: 21,
  frameFileNames: 22,
  frameLines: 23,
  stackCount: 24,
  stackIds: 25,
  stackLeaves: 26,
  stackPaths: 27,
  locationFramesFrom: 28,
  locationFrameCounts: 29,
  locationFrameList: 30,
  pathCount: 31,
  pathFramesFrom: 32,
  pathFrameCounts: 33,
  pathFrameList: 34,
  rowCount: 35,
  rowTypes: 36,
  rowValues: 37,
  rowStacks: 38,
  rowLabelSets: 39,
  labelSetCount: 40,
  spanIds: 41,
  localRootSpanIds: 42,
  base: 43,
  pathFrameListLength: 44,
  locationFrameListLength: 45,
  endpoints: 46,
  traceIds: 47,
  labelsFrom: 48,
  labelCount: 49,
  labelKeys: 50,
  labelValues: 51,
  madeCount: 52,
  madeNumbers: 53,
  madeUnsigned: 54,
} as const;

const MEANINGS = ['spanId', 'localRootSpanId', 'endpoint', 'traceId'] as const;
// Per mapping object: mappings come from configuration and are never changed in place.

/**
 * A mapping's rules as decoder.ts reads them: a count, then per rule its meaning, whether its ids
 * may be 16 hex digits and its key's length (uint32 each), then the key's UTF-8, padded to 4.
 */
function rulesOf(mapping: LabelMapping): Uint8Array {
  const parts: number[] = [];
  const word = (value: number) => parts.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
  const rules = MEANINGS.flatMap((meaning, index) => mapping[meaning].map((rule) => ({ index, rule })));
  word(rules.length);
  for (const { index, rule } of rules) {
    const key = Buffer.from(rule.key, 'utf8');
    word(index);
    word(rule.format === 'hex16-or-decimal' ? 1 : 0);
    word(key.length);
    parts.push(...key, ...new Array((4 - (key.length % 4)) % 4).fill(0));
  }
  return Uint8Array.from(parts);
}

/** Copies of the decoder's tables, out of its memory (the next profile reuses it). */
class Results {
  constructor(
    private readonly exports: DecoderExports,
    private readonly buffer: ArrayBuffer,
  ) {}

  get(field: number): number {
    return this.exports.result(field);
  }

  int32(address: number, count: number): Int32Array<ArrayBuffer> {
    return new Int32Array(this.buffer.slice(address, address + 4 * count));
  }

  uint32(address: number, count: number): Uint32Array<ArrayBuffer> {
    return new Uint32Array(this.buffer.slice(address, address + 4 * count));
  }

  float64(address: number, count: number): Float64Array<ArrayBuffer> {
    return new Float64Array(this.buffer.slice(address, address + 8 * count));
  }
}

const EMPTY = new Int32Array(0);

/** Stacks as decoder.ts left them: each a leaf location's frames and a caller path's. */
class WasmStacks {
  private readonly callerLists: (Int32Array | undefined)[];

  constructor(
    private readonly stackLeaves: Int32Array,
    private readonly stackPaths: Int32Array,
    private readonly locationFramesFrom: Int32Array,
    private readonly locationFrameCounts: Int32Array,
    private readonly locationFrameList: Int32Array,
    private readonly pathFramesFrom: Int32Array,
    private readonly pathFrameCounts: Int32Array,
    private readonly pathFrameList: Int32Array,
  ) {
    this.callerLists = new Array(pathFramesFrom.length);
  }

  stackLeafFrames(stack: number): FrameList {
    const leaf = this.stackLeaves[stack] as number;
    if (leaf < 0) return EMPTY;
    const from = this.locationFramesFrom[leaf] as number;
    return this.locationFrameList.subarray(from, from + (this.locationFrameCounts[leaf] as number));
  }

  /** The same list for every stack of a caller path (StackRowEncoder encodes it once). */
  stackCallerFrames(stack: number): FrameList {
    const path = this.stackPaths[stack] as number;
    if (path < 0) return EMPTY;
    let list = this.callerLists[path];
    if (list === undefined) {
      const from = this.pathFramesFrom[path] as number;
      list = this.pathFrameList.subarray(from, from + (this.pathFrameCounts[path] as number));
      this.callerLists[path] = list;
    }
    return list;
  }
}

/** A location's address as the JavaScript decoder names a frame by it (profile-scan.ts). */
function addressName(addresses: Uint32Array, location: number): string {
  const lo = addresses[2 * location + LO] as number;
  const hi = addresses[2 * location + HI] as number;
  return `0x${hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0')}`;
}

function decodeInWasm(
  exports: DecoderExports,
  data: Uint8Array,
  rules: Uint8Array,
  context: ProfileContext,
  limits: ExplodeLimits,
): ProfileColumns {
  const at = exports.input(data.length, rules.length);
  new Uint8Array(exports.memory.buffer, at, data.length).set(data);
  new Uint8Array(exports.memory.buffer, at + ((data.length + 7) & ~7), rules.length).set(rules);
  exports.decode(
    data.length,
    BYTES_SEED,
    ID_SEED,
    limits.maxSamplesPerProfile,
    limits.maxStackFrames ?? Number.POSITIVE_INFINITY,
    limits.maxLabelsPerSample,
    limits.maxLabelValueBytes,
    limits.maxProfileRecords,
    limits.maxRowsPerProfile,
  );
  const r = new Results(exports, exports.memory.buffer);
  const get = (field: number) => r.get(field);

  const stringCount = get(R.stringCount);
  const strings = ProfileStrings.ofRanges(
    data,
    r.int32(get(R.stringStarts), stringCount),
    r.int32(get(R.stringEnds), stringCount),
    stringCount,
  );
  const typeWords = r.uint32(get(R.sampleTypes), 4 * get(R.sampleTypeCount));
  const sampleTypeList: SampleType[] = [];
  for (let i = 0; i < typeWords.length; i += 4) {
    sampleTypeList.push({
      type: strings.get(typeWords[i + LO] as number, 'sample type'),
      unit: strings.get(typeWords[i + 2 + LO] as number, 'sample unit'),
    });
  }

  const labelSets = new LabelSetColumns(strings);
  const setCount = get(R.labelSetCount);
  const labelCount = get(R.labelCount);
  labelSets.count = setCount;
  labelSets.spanIdWords = r.uint32(get(R.spanIds), 2 * setCount);
  labelSets.localRootSpanIdWords = r.uint32(get(R.localRootSpanIds), 2 * setCount);
  labelSets.endpoints = r.int32(get(R.endpoints), setCount);
  labelSets.traceIds = r.int32(get(R.traceIds), setCount);
  labelSets.labelsFrom = r.int32(get(R.labelsFrom), setCount + 1);
  labelSets.labelKeys = r.int32(get(R.labelKeys), labelCount);
  labelSets.labelValues = r.int32(get(R.labelValues), labelCount);
  // Number labels' texts, made here as label-sets.ts makes them (refs -2 - i, in its order).
  const madeCount = get(R.madeCount);
  if (madeCount > 0) {
    const numbers = new BigUint64Array(r.float64(get(R.madeNumbers), madeCount).buffer);
    const unsigned = new Uint8Array(exports.memory.buffer, get(R.madeUnsigned), madeCount);
    for (let i = 0; i < madeCount; i++) {
      const bits = numbers[i] as bigint;
      labelSets.madeTexts.push((unsigned[i] === 1 ? bits : BigInt.asIntN(64, bits)).toString());
    }
  }

  const rowCount = get(R.rowCount);
  const stackCount = get(R.stackCount);
  const frameCount = get(R.frameCount);
  const locationCount = get(R.locationCount);
  const pathCount = get(R.pathCount);
  const addresses = r.uint32(get(R.locationAddresses), 2 * locationCount);
  const frames: FrameColumns = {
    names: r.int32(get(R.frameNames), frameCount),
    systemNames: r.int32(get(R.frameSystemNames), frameCount),
    fileNames: r.int32(get(R.frameFileNames), frameCount),
    lines: r.float64(get(R.frameLines), frameCount),
    texts: new FrameTexts(strings, (location) => addressName(addresses, location)),
  };
  const stacks = new WasmStacks(
    r.int32(get(R.stackLeaves), stackCount),
    r.int32(get(R.stackPaths), stackCount),
    r.int32(get(R.locationFramesFrom), locationCount),
    r.int32(get(R.locationFrameCounts), locationCount),
    r.int32(get(R.locationFrameList), get(R.locationFrameListLength)),
    r.int32(get(R.pathFramesFrom), pathCount),
    r.int32(get(R.pathFrameCounts), pathCount),
    r.int32(get(R.pathFrameList), get(R.pathFrameListLength)),
  );
  const frameIds = new BigUint64Array(r.uint32(get(R.frameIds), 2 * frameCount).buffer, 0, frameCount);

  const timeHi = get(R.timeHi);
  const timeLo = get(R.timeLo);
  const hasTime = timeHi !== 0 || timeLo !== 0;
  const ts = hasTime ? Number(int64BigInt(timeHi, timeLo) / 1_000_000_000n) : context.fallbackStartSeconds;
  const periodType =
    get(R.hasPeriodType) === 1
      ? `${strings.get(get(R.periodTypeType), 'period type')}/${strings.get(get(R.periodTypeUnit), 'period unit')}`
      : '';
  return {
    startNs: int64BigInt(timeHi, timeLo) || BigInt(context.fallbackStartSeconds) * 1_000_000_000n,
    durationNs: int64BigInt(get(R.durationHi), get(R.durationLo)),
    period: int64BigInt(get(R.periodHi), get(R.periodLo)),
    periodType,
    sampleTypes: sampleTypeList.map((t) => `${t.type}/${t.unit}`),
    sampleTypeList,
    sampleCount: get(R.sampleCount),
    compact: {
      rowCount,
      sampleTypeIndex: r.uint32(get(R.rowTypes), rowCount),
      values: new BigInt64Array(r.uint32(get(R.rowValues), 2 * rowCount).buffer, 0, rowCount),
      stackIndex: r.uint32(get(R.rowStacks), rowCount),
      labelSetIndex: r.uint32(get(R.rowLabelSets), rowCount),
      labelSets,
      stackIds: new BigUint64Array(r.uint32(get(R.stackIds), 2 * stackCount).buffer, 0, stackCount),
      stackLeafFrames: (stack) => stacks.stackLeafFrames(stack),
      stackCallerFrames: (stack) => stacks.stackCallerFrames(stack),
      ...frameAccess(frameIds, frames),
      ts,
    },
  };
}

/** What the WebAssembly decoder made of a profile: its columns, or why it left it to JavaScript. */
export type WasmOutcome = { profile: ProfileColumns } | { left: string };

/**
 * One WebAssembly decoder: its instance, made when first needed, and the mappings' rules it has
 * encoded. The instance's memory only grows: after a profile that grew it past
 * `retainedMemoryBytes` the instance is dropped, so that one large profile does not keep its tables
 * for the life of the process (a new instance costs well under a millisecond).
 */
export class WasmDecoder {
  private instance: DecoderExports | undefined;
  private readonly rulesOfMappings = new WeakMap<LabelMapping, Uint8Array>();

  constructor(private readonly retainedMemoryBytes = 64 * 1024 * 1024) {}

  /** Bytes of memory the decoder holds now (0: none). */
  memoryBytes(): number {
    return this.instance?.memory.buffer.byteLength ?? 0;
  }

  decode(data: Uint8Array, context: ProfileContext, mapping: LabelMapping, limits: ExplodeLimits): WasmOutcome {
    const exports = this.exports();
    if (exports === undefined) return { left: 'not built' };
    try {
      return { profile: decodeInWasm(exports, data, this.rulesOf(mapping), context, limits) };
    } catch (error) {
      // A trap (not a bail) stopped the decoder at a point its code never chose: start the next
      // profile on a fresh instance rather than on whatever state the trap left.
      if (!(error instanceof WasmBail)) this.instance = undefined;
      return { left: error instanceof WasmBail ? (BAIL_REASONS[error.reason] ?? 'abort') : (error as Error).message };
    } finally {
      if (exports.memory.buffer.byteLength > this.retainedMemoryBytes) this.instance = undefined;
    }
  }

  private exports(): DecoderExports | undefined {
    if (this.instance === undefined && decoderModule !== undefined) {
      this.instance = new WebAssembly.Instance(decoderModule, imports).exports as unknown as DecoderExports;
    }
    return this.instance;
  }

  private rulesOf(mapping: LabelMapping): Uint8Array {
    let rules = this.rulesOfMappings.get(mapping);
    if (rules === undefined) {
      rules = rulesOf(mapping);
      this.rulesOfMappings.set(mapping, rules);
    }
    return rules;
  }
}
