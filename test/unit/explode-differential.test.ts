import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMultipart } from '../../shared/agents/multipart.js';
import { decompressBounded } from '../../shared/platform/compression.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import { defaultLabelMapping, type LabelMapping } from '../../shared/platform/labels.js';
import type { ExplodedProfile, ExplodeLimits, ProfileContext } from '../../shared/pprof/index.js';
import { uint64Decimal, WireReader } from '../../shared/pprof/wire.js';
import { buildRealisticProfile } from '../bench/realistic-profile.js';
import { buildGoroutineProfile, buildHeapProfile } from '../support/datadog-profiles.js';
import {
  explodeProfile,
  explodeProfileCompact,
  explodeProfileCompactJs,
  lastBail,
  materialise,
  materialiseFrameRows,
  materialiseSampleRows,
  materialiseStackRows,
} from '../support/decoders.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { explodeProfileReference } from '../support/explode-reference.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testExplodeLimits, testProfileContext } from '../support/profile-context.js';

/**
 * The hand-written wire decoder (shared/pprof/explode.ts) against the reference: pprof-format's
 * Profile.decode and the original explode (test/support/explode-reference.ts). For every input
 * both give deep-equal rows, or both refuse it as unprocessable.
 *
 * pprof-format is lenient where protobuf is not: it reads a record cut short as a shorter record,
 * a known field of the wrong wire type as if it were right, and it cannot skip I32/I64 records
 * or read tags of fields above 15. So the inputs pass through `canonical` first, an independent
 * reading of the wire format by the protobuf encoding spec and profile.proto's schema, with Go's
 * pprof reader's rules for wire types: bytes it finds malformed must be refused by the fast
 * decoder; otherwise the fast decoder's result on the bytes must equal the reference's on their
 * canonical form (known fields only, one-byte tags), which pprof-format reads right.
 */
const context: ProfileContext = testProfileContext;
const roomy: ExplodeLimits = {
  maxSamplesPerProfile: 1_000_000,
  maxLabelsPerSample: 64,
  maxLabelValueBytes: 4096,
  maxStackFrames: 10_000_000,
  maxProfileRecords: 10_000_000,
  maxRowsPerProfile: 10_000_000,
};

// ---------------------------------------------------------------------------------------------
// The oracle: protobuf by the spec, slowly and simply (bigint varints, recursion by schema).

type Kind = 'varint' | 'varints' | 'bytes' | Schema;
interface Schema {
  [field: number]: Kind;
}
const valueTypeSchema: Schema = { 1: 'varint', 2: 'varint' };
const labelSchema: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: 'varint' };
const sampleSchema: Schema = { 1: 'varints', 2: 'varints', 3: labelSchema };
const mappingSchema: Schema = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [i + 1, 'varint' as const]));
const lineSchema: Schema = { 1: 'varint', 2: 'varint', 3: 'varint' };
const locationSchema: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: lineSchema, 5: 'varint' };
const functionSchema: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: 'varint', 5: 'varint' };
const profileSchema: Schema = {
  1: valueTypeSchema,
  2: sampleSchema,
  3: mappingSchema,
  4: locationSchema,
  5: functionSchema,
  6: 'bytes',
  7: 'varint',
  8: 'varint',
  9: 'varint',
  10: 'varint',
  11: valueTypeSchema,
  12: 'varint',
  13: 'varints',
  14: 'varint',
  15: 'varint',
};

class Malformed extends Error {}

function readVarint(bytes: Uint8Array, at: { pos: number }, end: number): bigint {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= end) throw new Malformed('truncated varint');
    const byte = bytes[at.pos++] as number;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) {
      if (i === 9 && byte > 1) throw new Malformed('varint over 64 bits');
      return value;
    }
  }
  throw new Malformed('varint over 10 bytes');
}

function writeVarint(out: number[], value: bigint): void {
  let rest = value;
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
}

function canonicalMessage(bytes: Uint8Array, from: number, end: number, schema: Schema): number[] {
  const out: number[] = [];
  const at = { pos: from };
  while (at.pos < end) {
    const tag = readVarint(bytes, at, end);
    const field = tag >> 3n;
    const wire = Number(tag & 7n);
    let value = 0n;
    let start = 0;
    let length = 0;
    if (wire === 0) value = readVarint(bytes, at, end);
    else if (wire === 1 || wire === 5) {
      length = wire === 1 ? 8 : 4;
      if (end - at.pos < length) throw new Malformed('truncated fixed-size value');
      at.pos += length;
    } else if (wire === 2) {
      length = Number(readVarint(bytes, at, end));
      if (length > end - at.pos) throw new Malformed('length past the end');
      start = at.pos;
      at.pos += length;
    } else throw new Malformed(`wire type ${wire}`);
    const kind = field <= 15n ? schema[Number(field)] : undefined;
    if (kind === undefined) continue; // unknown: dropped
    if (kind === 'varint' || (kind === 'varints' && wire === 0)) {
      if (wire !== 0) throw new Malformed(`field ${field} has wire type ${wire}`);
      out.push(Number(field << 3n));
      writeVarint(out, value);
    } else if (kind === 'varints') {
      if (wire !== 2) throw new Malformed(`field ${field} has wire type ${wire}`);
      const packed: number[] = [];
      const inner = { pos: start };
      while (inner.pos < start + length) writeVarint(packed, readVarint(bytes, inner, start + length));
      out.push(Number(field << 3n) | 2);
      writeVarint(out, BigInt(packed.length));
      out.push(...packed);
    } else {
      if (wire !== 2) throw new Malformed(`field ${field} has wire type ${wire}`);
      const content =
        kind === 'bytes'
          ? Array.from(bytes.subarray(start, start + length))
          : canonicalMessage(bytes, start, start + length, kind);
      out.push(Number(field << 3n) | 2);
      writeVarint(out, BigInt(content.length));
      for (const byte of content) out.push(byte);
    }
  }
  return out;
}

/** The profile's known fields, re-encoded with one-byte tags; undefined when protobuf forbids the bytes. */
function canonical(bytes: Uint8Array): Uint8Array | undefined {
  try {
    return Uint8Array.from(canonicalMessage(bytes, 0, bytes.length, profileSchema));
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Running both sides.

type Outcome = { ok: true; value: ExplodedProfile } | { ok: false; error: unknown };

function outcomeOf(run: () => ExplodedProfile): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectUnprocessable(error: unknown): void {
  expect(error).toBeInstanceOf(HotspotsError);
  expect([(error as HotspotsError).code, (error as HotspotsError).retriable]).toEqual(['unprocessable', false]);
}

type Verdict = 'same rows' | 'both refuse' | 'malformed';

interface Options {
  limits?: ExplodeLimits;
  mapping?: LabelMapping;
  context?: ProfileContext;
}

/** Profiles `expectAgreement` saw decoded by the WebAssembly decoder (wasm-decoder.ts). */
let decodedInWasm = 0;

/**
 * Runs both decoders on `bytes` and checks they agree; says how. The fast decoder is the
 * WebAssembly one where it takes the profile: its rows must then also equal the JavaScript
 * decoder's (which gives them otherwise).
 */
function expectAgreement(bytes: Uint8Array, options: Options = {}): Verdict {
  const limits = options.limits ?? roomy;
  const mapping = options.mapping ?? defaultLabelMapping;
  const ctx = options.context ?? context;
  const fast = outcomeOf(() => explodeProfile(bytes, ctx, mapping, limits));
  if (fast.ok && lastBail === undefined) {
    decodedInWasm++;
    const js = materialise(explodeProfileCompactJs(bytes, ctx, mapping, limits), ctx);
    if (!isDeepStrictEqual(fast.value, js)) {
      expect(fast.value, 'WebAssembly and JavaScript decoders').toEqual(js);
      expect.fail('the two decoders differ only in what toEqual ignores');
    }
  }
  if (!fast.ok) expectUnprocessable(fast.error);
  const oracle = canonical(bytes);
  if (oracle === undefined) {
    expect(fast.ok, 'bytes protobuf forbids must be refused').toBe(false);
    return 'malformed';
  }
  const reference = outcomeOf(() => explodeProfileReference(oracle, ctx, mapping, limits));
  if (!reference.ok) expectUnprocessable(reference.error);
  if (fast.ok !== reference.ok) {
    const why = fast.ok ? (reference as { error: unknown }).error : fast.error;
    expect.fail(
      `fast ${fast.ok ? 'accepted' : 'refused'} what the reference ${reference.ok ? 'accepted' : 'refused'}: ${why}`,
    );
  }
  if (fast.ok && reference.ok) {
    // isDeepStrictEqual first: toEqual takes seconds on the 40k rows of a realistic profile.
    if (!isDeepStrictEqual(fast.value, reference.value)) {
      expect(fast.value).toEqual(reference.value);
      expect.fail('the rows differ only in what toEqual ignores (prototypes, holes, -0, undefined properties)');
    }
    return 'same rows';
  }
  return 'both refuse';
}

function tally(verdicts: Verdict[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { 'same rows': 0, 'both refuse': 0, malformed: 0 };
  for (const verdict of verdicts) counts[verdict]++;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// (a) Profiles in the repository: real agents' uploads, the bad-input corpus, the builders.

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const MAX_BYTES = 64 * 1024 * 1024;

function badCorpus(): [string, Uint8Array][] {
  const dir = join(fixtures, 'bad');
  const profiles: [string, Uint8Array][] = [];
  for (const file of readdirSync(dir).filter((name) => /\.pprof(\.gz|\.zst)?$/.test(name))) {
    try {
      profiles.push([file, decompressBounded(readFileSync(join(dir, file)), MAX_BYTES).data]);
    } catch (error) {
      // The zstd bombs (payload_too_large) and the cut gzip (unprocessable) never reach the decoder.
      expect(error).toBeInstanceOf(HotspotsError);
      expect((error as HotspotsError).retriable).toBe(false);
      expect(['payload_too_large', 'unprocessable']).toContain((error as HotspotsError).code);
    }
  }
  return profiles;
}

async function agentProfiles(): Promise<[string, Uint8Array][]> {
  const uploads = [
    ['dd-trace-go/profiling-input.multipart', 'dd-trace-go/profiling-input.json'],
    ['pyroscope/ingest-cpu.bin', 'pyroscope/ingest-cpu.json'],
    ['pyroscope/ingest-memory.bin', 'pyroscope/ingest-memory.json'],
    ['dd-trace-js/profiling-input.multipart', 'dd-trace-js/profiling-input.json'],
    ['ddtrace-py/profiling-input.multipart', 'ddtrace-py/profiling-input.json'],
  ];
  const profiles: [string, Uint8Array][] = [];
  for (const [body, sidecar] of uploads as [string, string][]) {
    const { content_type } = JSON.parse(readFileSync(join(fixtures, 'agents', sidecar), 'utf8')) as {
      content_type: string;
    };
    const parts = await parseMultipart(readFileSync(join(fixtures, 'agents', body)), content_type, {
      maxParts: 16,
      maxPartBytes: MAX_BYTES,
    });
    for (const part of parts.filter((p) => p.name.endsWith('.pprof') || p.name === 'profile')) {
      profiles.push([`${body} ${part.name}`, decompressBounded(part.bytes, MAX_BYTES).data]);
    }
  }
  return profiles;
}

describe('the fast decoder on the profiles of the repository', () => {
  it('explodes every real agent upload exactly as the reference does', async () => {
    const profiles = await agentProfiles();

    const verdicts = profiles.map(([, bytes]) => expectAgreement(bytes));

    expect(verdicts).toEqual(profiles.map(() => 'same rows'));
    expect(profiles.map(([name]) => name)).toHaveLength(9);
  });

  it('decodes the Node and Python uploads (number span id labels) in WebAssembly', async () => {
    const runtimes = (await agentProfiles()).filter(([name]) => /^(dd-trace-js|ddtrace-py)\//.test(name));
    const left = runtimes.map(([name, bytes]) => {
      explodeProfile(bytes, context, defaultLabelMapping, roomy);
      return [name, lastBail ?? 'decoded in WebAssembly'];
    });

    expect(runtimes.map(([name]) => name)).toEqual([
      'dd-trace-js/profiling-input.multipart space.pprof',
      'dd-trace-js/profiling-input.multipart wall.pprof',
      'dd-trace-js/profiling-input.multipart events.pprof',
      'ddtrace-py/profiling-input.multipart profile.pprof',
    ]);
    expect(left).toEqual(runtimes.map(([name]) => [name, 'decoded in WebAssembly']));
  });

  it('reads random number labels, negative ones too, under every key as the reference does, in WebAssembly', () => {
    const number = fc.oneof(
      fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: -1n }),
      // Every decimal length alike, among them 16 digits (read as hex where the rule reads 16 hex digits).
      fc
        .nat(18)
        .chain((e) => fc.bigInt({ min: 10n ** BigInt(e), max: 10n ** BigInt(e + 1) - 1n }))
        .chain((n) => fc.constantFrom(n, -n)),
    );
    const keys = [
      'span id',
      'span_id',
      'profile_id',
      'local root span id',
      'trace id',
      'trace_id',
      'trace endpoint',
      'x',
    ];
    const decodedBefore = decodedInWasm;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...keys), number), { minLength: 1, maxLength: 40 }), (labels) => {
        const bytes = buildCpuProfile({
          startNs: 1_795_514_400_000_000_000n,
          samples: labels.map(([key, num], i) => ({
            stack: [`f${i % 5}`, 'main.main'],
            cpuNs: 1n,
            numLabels: { [key]: num },
            ...(i % 3 === 0 ? { labels: { 'trace endpoint': `GET /${i % 2}` } } : {}),
          })),
        });
        expect(expectAgreement(bytes)).toBe('same rows');
      }),
      { numRuns: 100 },
    );
    expect(decodedInWasm - decodedBefore).toBe(100);
  });

  it('agrees with the reference on every pprof of the bad-input corpus', () => {
    const profiles = badCorpus();

    const verdicts = Object.fromEntries(profiles.map(([name, bytes]) => [name, expectAgreement(bytes)]));

    expect(verdicts).toMatchObject({
      'invalid-utf8.pprof': 'same rows',
      'negative-values.pprof': 'same rows',
      'heap-only.pprof': 'same rows',
      'missing-function.pprof': 'both refuse',
      'truncated.pprof': 'both refuse',
    });
  });

  it('agrees with the reference under the limits the corpus was made for', () => {
    const verdicts = badCorpus().map(([name, bytes]) => [name, expectAgreement(bytes, { limits: testExplodeLimits })]);

    expect(Object.fromEntries(verdicts)).toMatchObject({
      'huge-label-value.pprof': 'both refuse',
      'too-many-labels.pprof': 'both refuse',
    });
  });

  it('agrees with the reference on the profiles the test builders make', () => {
    const profiles = [
      buildCpuProfile({
        startNs: 1_795_514_400_123_456_789n,
        samples: [
          {
            stack: ['runtime.mallocgc', 'main.checkout', 'main.main'],
            cpuNs: 30_000_000n,
            labels: { 'span id': '11' },
          },
          { stack: ['db.query', 'main.main'], cpuNs: -10_000_000n, numLabels: { 'span id': -5n } },
          { stack: ['main.main'], cpuNs: 2n ** 62n, labels: { 'trace endpoint': 'GET /東京', 'trace id': 'ABCDEF' } },
        ],
      }),
      buildHeapProfile(1_795_514_400_000_000_000n),
      buildGoroutineProfile(1_795_514_400_000_000_000n),
    ];

    expect(profiles.map((bytes) => expectAgreement(bytes))).toEqual(['same rows', 'same rows', 'same rows']);
  });

  it('reads id and trace id labels as the reference does, whatever their text', () => {
    // The decoder parses plain ids from the label's bytes and leaves the rest to ids.ts
    // (label-sets.ts): values at the edges of both, under every key with an id or a trace id.
    const values = [
      '42',
      ' 42 ',
      '\t7\n',
      '007',
      '0',
      '',
      '1234567890123456', // 16 digits: hex where the rule reads 16 hex digits
      '1234567890123456789', // 19 digits
      '12345678901234567890', // 20 digits, below 2^64
      '18446744073709551615',
      '18446744073709551616',
      '99999999999999999999',
      'ABCDEF0123456789',
      'abcdef012345678g',
      '0x1f',
      '+5',
      '\u0663',
      '\u00a012',
      '\ufeff12',
      'ABCDEF',
    ];
    const keys = ['span id', 'span_id', 'profile_id', 'local root span id', 'trace id', 'trace_id'];
    const bytes = buildCpuProfile({
      startNs: 1_795_514_400_000_000_000n,
      samples: keys.flatMap((key) =>
        values.map((value, i) => ({ stack: [`f${i}`, 'main.main'], cpuNs: 10_000_000n, labels: { [key]: value } })),
      ),
    });

    expect(expectAgreement(bytes)).toBe('same rows');
  });

  it('reads random ids, decimal and 16 hex digits, under every id key as the reference does', () => {
    const idText = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id) => id.toString()),
      // Every length from 1 to 20 digits alike (uniform ids are nearly all 19–20 digits): the
      // decoder parses up to 15 digits in a double and the rest in 32-bit words.
      fc
        .nat(19)
        .chain((e) => fc.bigInt({ min: 10n ** BigInt(e), max: 10n ** BigInt(e + 1) - 1n }))
        .map((id) => id.toString()),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id) => id.toString(16).padStart(16, '0')),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id) => id.toString(16).toUpperCase()),
    );
    const keys = ['span id', 'span_id', 'profile_id', 'local root span id'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...keys), idText), { minLength: 1, maxLength: 40 }), (labels) => {
        const bytes = buildCpuProfile({
          startNs: 1_795_514_400_000_000_000n,
          samples: labels.map(([key, id], i) => ({
            stack: [`f${i % 5}`, 'main.main'],
            cpuNs: 1n,
            labels: { [key]: id },
          })),
        });
        expect(expectAgreement(bytes)).toBe('same rows');
      }),
      { numRuns: 100 },
    );
  });

  it('explodes realistic profiles exactly as the reference does', () => {
    const profiles = [
      buildRealisticProfile(),
      ...[2, 3, 4].map((seed) => buildRealisticProfile({ seed, samples: 2_000, functions: 400, endpoints: 7 })),
    ];

    expect(profiles.map((bytes) => expectAgreement(bytes))).toEqual(profiles.map(() => 'same rows'));
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Generated profiles: every field of profile.proto, encoded every way protobuf allows.

class Writer {
  readonly out: number[] = [];

  /** A varint; `padding` extra 0x80 groups make it non-canonical, up to the 10 bytes protobuf allows. */
  varint(value: bigint, padding = 0): this {
    let rest = BigInt.asUintN(64, value);
    const canonicalLength = Math.max(1, Math.ceil(rest.toString(2).length / 7));
    let extra = Math.min(padding, 10 - canonicalLength);
    while (rest >= 0x80n || extra > 0) {
      if (rest < 0x80n) extra--;
      this.out.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.out.push(Number(rest));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(BigInt(field * 8 + wire));
  }

  bytes(field: number, content: readonly number[]): this {
    this.tag(field, 2).varint(BigInt(content.length));
    for (const byte of content) this.out.push(byte);
    return this;
  }
}

/** How the records of one message are written, drawn by fast-check. */
interface Encoding {
  /** Non-canonical varints: extra 0x80 groups before the last byte. */
  padding: number;
  /** Location ids and values: packed in one record, unpacked, or packed in two records. */
  repeated: 'packed' | 'unpacked' | 'split';
  /** Permutation seed for the records of a message (0 = in schema order). */
  shuffle: number;
  /** Unknown records to insert: [position seed, field, wire type]. */
  unknown: [number, number, 0 | 1 | 2 | 5][];
}

type Record_ = number[];

function messageOf(records: Record_[], encoding: Encoding): number[] {
  const list = [...records];
  if (encoding.shuffle !== 0) {
    let seed = encoding.shuffle;
    for (let i = list.length - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [list[i], list[j]] = [list[j] as Record_, list[i] as Record_];
    }
  }
  for (const [position, field, wire] of encoding.unknown) {
    const record = new Writer().tag(field, wire);
    if (wire === 0) record.varint(BigInt(position) * 977n);
    else if (wire === 1) record.out.push(1, 2, 3, 4, 5, 6, 7, 8);
    else if (wire === 5) record.out.push(9, 8, 7, 6);
    else record.varint(3n).out.push(0x08, 0x96, 0x01);
    list.splice(position % (list.length + 1), 0, record.out);
  }
  return list.flat();
}

function scalar(field: number, value: bigint, encoding: Encoding): Record_ {
  return new Writer().tag(field, 0).varint(value, encoding.padding).out;
}

function repeated(field: number, values: readonly bigint[], encoding: Encoding): Record_[] {
  const packed = (part: readonly bigint[]) => {
    const content = new Writer();
    for (const value of part) content.varint(value, encoding.padding);
    return new Writer().bytes(field, content.out).out;
  };
  if (encoding.repeated === 'unpacked') return values.map((value) => scalar(field, value, encoding));
  if (encoding.repeated === 'split' && values.length > 1) {
    const half = values.length >> 1;
    return [packed(values.slice(0, half)), packed(values.slice(half))];
  }
  return values.length === 0 ? [] : [packed(values)];
}

function nested(field: number, content: readonly number[]): Record_ {
  return new Writer().bytes(field, content).out;
}

interface GeneratedProfile {
  strings: number[][] | undefined;
  sampleTypes: [bigint, bigint][];
  periodType: [bigint, bigint] | undefined;
  timeNanos: bigint;
  durationNanos: bigint;
  period: bigint;
  mappings: bigint[][];
  functions: { id: bigint; name: bigint; systemName: bigint; fileName: bigint; startLine: bigint }[];
  locations: { id: bigint; mappingId: bigint; address: bigint; lines: [bigint, bigint][]; folded: boolean }[];
  samples: { locationIds: bigint[]; values: bigint[]; labels: [bigint, bigint, bigint, bigint][] }[];
  comments: bigint[];
}

function encodeProfile(profile: GeneratedProfile, encoding: Encoding): Uint8Array {
  const records: Record_[] = [];
  const valueType = ([type, unit]: [bigint, bigint]) =>
    messageOf([scalar(1, type, encoding), scalar(2, unit, encoding)], encoding);
  for (const type of profile.sampleTypes) records.push(nested(1, valueType(type)));
  for (const sample of profile.samples) {
    const fields = [
      ...repeated(1, sample.locationIds, encoding),
      ...repeated(2, sample.values, encoding),
      ...sample.labels.map(([key, str, num, unit]) =>
        nested(
          3,
          messageOf(
            [
              ...(key ? [scalar(1, key, encoding)] : []),
              ...(str ? [scalar(2, str, encoding)] : []),
              ...(num ? [scalar(3, num, encoding)] : []),
              ...(unit ? [scalar(4, unit, encoding)] : []),
            ],
            encoding,
          ),
        ),
      ),
    ];
    records.push(nested(2, messageOf(fields, encoding)));
  }
  for (const mapping of profile.mappings) {
    records.push(
      nested(
        3,
        messageOf(
          mapping.map((value, i) => scalar(i + 1, value, encoding)),
          encoding,
        ),
      ),
    );
  }
  for (const location of profile.locations) {
    const fields = [
      scalar(1, location.id, encoding),
      ...(location.mappingId ? [scalar(2, location.mappingId, encoding)] : []),
      ...(location.address ? [scalar(3, location.address, encoding)] : []),
      ...location.lines.map(([fn, line]) =>
        nested(4, messageOf([scalar(1, fn, encoding), scalar(2, line, encoding)], encoding)),
      ),
      ...(location.folded ? [scalar(5, 1n, encoding)] : []),
    ];
    records.push(nested(4, messageOf(fields, encoding)));
  }
  for (const fn of profile.functions) {
    const fields = [fn.id, fn.name, fn.systemName, fn.fileName, fn.startLine].map((value, i) =>
      scalar(i + 1, value, encoding),
    );
    records.push(nested(5, messageOf(fields, encoding)));
  }
  for (const text of profile.strings ?? []) records.push(nested(6, text));
  if (profile.timeNanos) records.push(scalar(9, profile.timeNanos, encoding));
  if (profile.durationNanos) records.push(scalar(10, profile.durationNanos, encoding));
  if (profile.periodType) records.push(nested(11, valueType(profile.periodType)));
  if (profile.period) records.push(scalar(12, profile.period, encoding));
  records.push(...repeated(13, profile.comments, encoding));
  return Uint8Array.from(messageOf(records, encoding));
}

const utf8 = (text: string) => [...Buffer.from(text, 'utf8')];
const labelKeys = ['span id', 'local root span id', 'trace endpoint', 'span_id', 'trace_id', 'trace id', 'span_name'];
const fixedStrings = [
  '',
  ...labelKeys,
  'cpu',
  'nanoseconds',
  'samples',
  'count',
  '12345',
  '18446744073709551615',
  '00000000000000ff',
  'ABCDEF0123456789abcdef0123456789',
  'main.main',
  'main.go',
].map(utf8);
const stringBytes = fc.oneof(
  fc.string({ maxLength: 12 }).map(utf8),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(utf8),
  fc.constantFrom(
    [0xff, 0xfe], // invalid UTF-8: U+FFFD each
    [0x41, 0x80, 0x42], // a lone continuation byte
    [0xe6, 0x9d], // a cut 3-byte sequence
    [0xef, 0xbb, 0xbf, 0x41], // a byte-order mark, which TextDecoder drops
    [0xc0, 0xaf], // an overlong encoding
    [0xed, 0xa0, 0x80], // a UTF-16 surrogate
    utf8('🚀 GET /東京'),
  ),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id) => utf8(id.toString())),
  // Ids at the edges of the decoder's byte-level parse (label-sets.ts) and of ids.ts's.
  fc
    .constantFrom(
      ' 42 ',
      '\t7\n',
      '007',
      '0',
      '1234567890123456', // 16 digits: hex where the rule reads 16 hex digits
      '123456789012345678', // 18 digits
      '1234567890123456789', // 19
      '18446744073709551616', // 2^64
      '99999999999999999999',
      'ABCDEF0123456789',
      'abcdef012345678g',
      '0x1f',
      '+5',
      '\u0663', // an Arabic-Indic digit
      '\u00a012', // a no-break space, which trim() removes
    )
    .map(utf8),
);
/** uint64 values: mostly small, some at the edges of 2^32, 2^53 and 2^64. */
const uint64 = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 40n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
  },
);
/** int64 values (two's complement on the wire): zero, small of either sign, extremes. */
const int64 = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0n) },
  { weight: 5, arbitrary: fc.bigInt({ min: -1000n, max: 100_000_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 53n, -(2n ** 53n), -(2n ** 53n) + 1n, 2n ** 53n - 1n) },
);

const generatedProfile: fc.Arbitrary<GeneratedProfile> = fc
  .record({
    extraStrings: fc.array(stringBytes, { maxLength: 8 }),
    stringTable: fc.constantFrom('normal', 'normal', 'normal', 'none', 'no empty first'),
    idPool: fc.array(uint64, { minLength: 1, maxLength: 6 }),
    sampleTypeCount: fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 9, arbitrary: fc.integer({ min: 1, max: 3 }) },
    ),
    seed: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    timeNanos: fc.oneof(int64, fc.constant(1_795_514_400_123_456_789n)),
    durationNanos: int64,
    period: int64,
    hasPeriodType: fc.boolean(),
    samples: fc.array(
      fc.record({
        values: fc.array(int64, { maxLength: 4 }),
        locations: fc.array(fc.nat(), { maxLength: 5 }),
        labels: fc.array(fc.tuple(fc.nat(), fc.nat(), int64, fc.nat()), { maxLength: 4 }),
      }),
      { maxLength: 8 },
    ),
    locations: fc.array(
      fc.record({
        id: fc.nat(),
        address: uint64,
        lines: fc.array(fc.tuple(fc.nat(), int64), { maxLength: 3 }),
        folded: fc.boolean(),
      }),
      { maxLength: 6 },
    ),
    functions: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), int64), { maxLength: 5 }),
    comments: fc.array(uint64, { maxLength: 2 }),
    mappings: fc.array(fc.array(uint64, { minLength: 10, maxLength: 10 }), { maxLength: 2 }),
  })
  .map((g) => {
    const table = [...fixedStrings, ...g.extraStrings];
    const strings = g.stringTable === 'none' ? undefined : g.stringTable === 'normal' ? table : table.slice(1);
    const stringCount = strings?.length ?? 1;
    let cursor = 0;
    const draw = () => g.seed[cursor++ % g.seed.length] as number;
    // Mostly in range, now and then one beyond the string table (or a huge index).
    const stringIndex = (n: number): bigint =>
      n % 89 === 88 ? BigInt(stringCount + (n % 3)) : n % 211 === 210 ? 2n ** 40n : BigInt(n % stringCount);
    const id = (n: number): bigint => g.idPool[n % g.idPool.length] as bigint;
    // References mostly to what exists, now and then to any id of the pool.
    const locationIds = g.locations.map((location) => id(location.id));
    const functionIds = g.functions.map(([fnId]) => id(fnId));
    const reference = (ids: bigint[], n: number): bigint =>
      ids.length > 0 && n % 61 !== 60 ? (ids[n % ids.length] as bigint) : id(n);
    const labelKeyIndex = (n: number) => (n % 5 === 0 ? stringIndex(n >> 3) : BigInt(1 + (n % labelKeys.length)));
    return {
      strings,
      sampleTypes: Array.from({ length: g.sampleTypeCount }, (): [bigint, bigint] => [
        stringIndex(draw()),
        stringIndex(draw()),
      ]),
      periodType: g.hasPeriodType ? [stringIndex(draw()), stringIndex(draw())] : undefined,
      timeNanos: g.timeNanos,
      durationNanos: g.durationNanos,
      period: g.period,
      mappings: g.mappings,
      functions: g.functions.map(([fnId, name, systemName, fileName, startLine]) => ({
        id: id(fnId),
        name: stringIndex(name),
        systemName: stringIndex(systemName),
        fileName: stringIndex(fileName),
        startLine,
      })),
      locations: g.locations.map((location) => ({
        id: id(location.id),
        mappingId: location.address % 3n,
        address: location.address,
        lines: location.lines.map(([fn, line]): [bigint, bigint] => [reference(functionIds, fn), line]),
        folded: location.folded,
      })),
      samples: g.samples.map((sample) => ({
        locationIds: sample.locations.map((n) => reference(locationIds, n)),
        values: sample.values,
        labels: sample.labels.map(([key, str, num, unit]): [bigint, bigint, bigint, bigint] => [
          labelKeyIndex(key),
          str % 3 === 0 ? 0n : stringIndex(str),
          str % 3 === 0 ? num : 0n,
          unit % 4 === 0 ? stringIndex(unit) : 0n,
        ]),
      })),
      comments: g.comments,
    };
  });

const encoding: fc.Arbitrary<Encoding> = fc.record({
  padding: fc.constantFrom(0, 0, 0, 1, 3),
  repeated: fc.constantFrom<Encoding['repeated']>('packed', 'packed', 'unpacked', 'split'),
  shuffle: fc.oneof(fc.constant(0), fc.constant(0), fc.nat()),
  unknown: fc.array(
    fc.tuple(
      fc.nat(),
      fc.oneof(fc.constant(0), fc.integer({ min: 16, max: 40 }), fc.constant(100_000)),
      fc.constantFrom<0 | 1 | 2 | 5>(0, 1, 2, 5),
    ),
    { maxLength: 2 },
  ),
});

const limits: fc.Arbitrary<ExplodeLimits> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(roomy) },
  {
    weight: 1,
    arbitrary: fc.record({
      maxSamplesPerProfile: fc.integer({ min: 0, max: 8 }),
      maxLabelsPerSample: fc.integer({ min: 0, max: 4 }),
      maxLabelValueBytes: fc.integer({ min: 0, max: 24 }),
      // Counted differently by the two (the fast decoder also counts caller paths): kept roomy.
      maxStackFrames: fc.constant(roomy.maxStackFrames),
      // The reference has no such limit (pprof-format counts no records): tested in explode.test.ts.
      maxProfileRecords: fc.constant(roomy.maxProfileRecords),
      // Nor a row limit: tested in explode.test.ts.
      maxRowsPerProfile: fc.constant(roomy.maxRowsPerProfile),
    }),
  },
);

describe('the fast decoder on generated profiles', () => {
  it('agrees with the reference on profiles of every shape and encoding', () => {
    const decodedBefore = decodedInWasm;
    const verdicts: Verdict[] = [];
    fc.assert(
      fc.property(generatedProfile, encoding, limits, (profile, how, limit) => {
        verdicts.push(expectAgreement(encodeProfile(profile, how), { limits: limit }));
      }),
      { numRuns: 400 },
    );

    const counts = tally(verdicts);
    console.log('generated profiles:', counts, 'decoded in WebAssembly:', decodedInWasm - decodedBefore);
    expect(counts['same rows']).toBeGreaterThan(80);
    expect(decodedInWasm - decodedBefore).toBeGreaterThan(20);
    expect(counts['both refuse']).toBeGreaterThan(40);
  });

  it('agrees with the reference when the profile has no time and the fallback start is not a whole second', () => {
    const bytes = buildCpuProfile({ startNs: 0n, samples: [{ stack: ['main.main'], cpuNs: 1n }] });

    expect(expectAgreement(bytes, { context: { ...context, fallbackStartSeconds: 1.5 } })).toBe('both refuse');
  });
});

// ---------------------------------------------------------------------------------------------
// (c) Valid encodings, mutated: flipped, cut, inserted, deleted and repeated bytes.

const mutation = fc.tuple(
  fc.constantFrom('flip', 'truncate', 'insert', 'delete', 'duplicate'),
  fc.nat(),
  fc.integer({ min: 1, max: 8 }),
  fc.integer({ min: 0, max: 255 }),
);

function mutate(bytes: Uint8Array, mutations: [string, number, number, number][]): Uint8Array {
  let out = Array.from(bytes);
  for (const [kind, where, length, byte] of mutations) {
    const at = out.length === 0 ? 0 : where % out.length;
    if (kind === 'flip') out[at] = (out[at] ?? 0) ^ (byte || 1);
    else if (kind === 'truncate') out = out.slice(0, at);
    else if (kind === 'insert') out.splice(at, 0, ...Array.from({ length }, (_, i) => (byte + i * 37) & 0xff));
    else if (kind === 'delete') out.splice(at, length);
    else out.splice(at, 0, ...out.slice(at, at + length));
  }
  return Uint8Array.from(out);
}

describe('the fast decoder on mutated profiles', () => {
  const smallRealistic = buildRealisticProfile({ samples: 40, functions: 30, endpoints: 3, requests: 6 });
  const builtProfile = buildCpuProfile({
    startNs: 1_795_514_400_000_000_000n,
    samples: [
      { stack: ['a.x', 'main.main'], cpuNs: 30_000_000n, labels: { 'span id': '7', 'trace endpoint': 'GET /é' } },
      { stack: ['b.y', 'main.main'], cpuNs: 10_000_000n, numLabels: { 'local root span id': 9n } },
    ],
  });

  it('agrees with the reference on mutations of valid profiles', () => {
    const verdicts: Verdict[] = [];
    const valid = fc.oneof(
      fc.constant(smallRealistic),
      fc.constant(builtProfile),
      fc.tuple(generatedProfile, encoding).map(([profile, how]) => encodeProfile(profile, how)),
    );
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 3 }), (bytes, mutations) => {
        verdicts.push(expectAgreement(mutate(bytes, mutations)));
      }),
      { numRuns: 500 },
    );

    const counts = tally(verdicts);
    console.log('mutated profiles:', counts);
    expect(counts['same rows']).toBeGreaterThan(5);
    expect(counts.malformed).toBeGreaterThan(50);
  });

  it('refuses random bytes unless they read as protobuf, and then agrees with the reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectAgreement(bytes);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Where the two readings of the wire differ, on purpose.

describe('where the fast decoder reads the wire differently from pprof-format', () => {
  const valid = buildCpuProfile({
    startNs: 1_795_514_400_000_000_000n,
    samples: [{ stack: ['main.main'], cpuNs: 10n }],
  });

  it('refuses a profile cut inside a record, which pprof-format reads as a shorter record', () => {
    const cut = valid.subarray(0, valid.length - 3);

    expectHotspotsError(() => explodeProfile(cut, context, defaultLabelMapping, roomy), {
      code: 'unprocessable',
      retriable: false,
      message: /payload is not a valid pprof profile/,
    });
    expect(() => explodeProfileReference(cut, context, defaultLabelMapping, roomy)).not.toThrow();
  });

  it('skips unknown I32 and I64 fields and fields above 15, which pprof-format cannot read', () => {
    const extra = new Writer()
      .tag(16, 5)
      .out.concat([1, 2, 3, 4], new Writer().tag(99, 1).out, [1, 2, 3, 4, 5, 6, 7, 8]);
    const bytes = Uint8Array.from([...extra, ...valid]);

    const exploded = explodeProfile(bytes, context, defaultLabelMapping, roomy);

    expect(exploded).toEqual(explodeProfile(valid, context, defaultLabelMapping, roomy));
    expect(() => explodeProfileReference(bytes, context, defaultLabelMapping, roomy)).toThrow(HotspotsError);
  });

  it('refuses a known field sent with the wrong wire type, as Go does', () => {
    const bytes = Uint8Array.from([...valid, ...new Writer().bytes(9, [1, 2]).out]); // time_nanos as LEN

    expectHotspotsError(() => explodeProfile(bytes, context, defaultLabelMapping, roomy), {
      message: /Profile field 9 has wire type 2/,
    });
  });

  it('refuses a varint longer than 64 bits', () => {
    const bytes = Uint8Array.from([...valid, 0x48, ...Array(9).fill(0xff), 0x02]); // time_nanos, 10th byte 2

    expectHotspotsError(() => explodeProfile(bytes, context, defaultLabelMapping, roomy), {
      message: /varint longer than 64 bits/,
    });
  });

  it('reads invalid UTF-8 as U+FFFD and drops a leading byte-order mark, as pprof-format does', () => {
    const strings = [[], utf8('k'), [0xff, 0x41], [0xef, 0xbb, 0xbf, 0x42]];
    const label = (key: bigint, str: bigint) => nested(3, [...scalar(1, key, plain), ...scalar(2, str, plain)]);
    const plain: Encoding = { padding: 0, repeated: 'packed', shuffle: 0, unknown: [] };
    const bytes = Uint8Array.from([
      ...nested(1, [...scalar(1, 1n, plain), ...scalar(2, 1n, plain)]),
      ...nested(2, [...repeated(2, [1n], plain).flat(), ...label(1n, 2n), ...label(1n, 3n)]),
      ...strings.flatMap((text) => nested(6, text)),
    ]);

    const [row] = explodeProfile(bytes, context, defaultLabelMapping, roomy).samples;

    expect(row?.label_values).toEqual(['\ufffdA', 'B']);
    expect(expectAgreement(bytes)).toBe('same rows');
  });
});

// ---------------------------------------------------------------------------------------------
// The compact form is the same rows.

describe('the compact form', () => {
  const bytes = buildRealisticProfile({ seed: 5, samples: 500, functions: 100, endpoints: 4 });

  it('holds the rows explodeProfile returns, in columns', () => {
    const compact = explodeProfileCompact(bytes, context, defaultLabelMapping, roomy);
    const rows = explodeProfile(bytes, context, defaultLabelMapping, roomy).samples;
    const { compact: columns } = compact;

    expect(materialiseSampleRows(compact, context)).toEqual(rows);
    expect(
      Array.from({ length: columns.rowCount }, (_, row) => [
        compact.sampleTypeList[columns.sampleTypeIndex[row] as number]?.type,
        String(columns.values[row]),
        String(columns.stackIds[columns.stackIndex[row] as number]),
        columns.labelSets.labelSet(columns.labelSetIndex[row] as number).spanId,
      ]),
    ).toEqual(rows.map((row) => [row.sample_type, String(row.value), row.stack_id, row.span_id]));
  });

  it('builds the stack and frame rows on demand, as the reference makes them', () => {
    const compact = explodeProfileCompact(bytes, context, defaultLabelMapping, roomy);
    const reference = explodeProfileReference(bytes, context, defaultLabelMapping, roomy);

    expect(materialiseStackRows(compact, context.tenant)).toEqual(reference.stacks);
    expect(materialiseFrameRows(compact, context.tenant)).toEqual(reference.frames);
    expect(Array.from(compact.compact.frameIds, String)).toEqual(reference.frames.map((frame) => frame.frame_id));
  });

  it('builds any one frame row alone, in any order', () => {
    const compact = explodeProfileCompact(bytes, context, defaultLabelMapping, roomy);
    const all = materialiseFrameRows(compact, context.tenant);
    const last = all.length - 1;

    const backwards = Array.from(all, (_, i) => compact.compact.frameRow(last - i, context.tenant)).reverse();

    expect(backwards).toEqual(all);
  });
});

// ---------------------------------------------------------------------------------------------
// The wire reader on its own.

describe('the wire reader', () => {
  const reader = (bytes: number[]) => new WireReader(Uint8Array.from(bytes), 'test message');

  it('reads every uint64 varint exactly, as halves and as an exact decimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 3 }), (value, padding) => {
        const wire = reader(new Writer().varint(value, padding).out);

        const double = wire.varint();

        expect([wire.hi, wire.lo, uint64Decimal(wire.hi, wire.lo)]).toEqual([
          Number(value >> 32n),
          Number(value & 0xffffffffn),
          value.toString(),
        ]);
        expect(double).toBe(Number(value));
        expect(wire.pos).toBe(wire.end);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a cut varint', [0x80, 0x80], 'truncated varint'],
    ['an 11-byte varint', [...Array(10).fill(0x80), 0x01], 'varint longer than 64 bits'],
    ['a 10th byte above 1', [...Array(9).fill(0xff), 0x02], 'varint longer than 64 bits'],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => reader(bytes).varint()).toThrow(message);
  });

  it('skips a record of every wire type protobuf defines and refuses the others', () => {
    const records: [number, number[]][] = [
      [0, [0x96, 0x01]],
      [1, [1, 2, 3, 4, 5, 6, 7, 8]],
      [2, [2, 0xaa, 0xbb]],
      [5, [1, 2, 3, 4]],
    ];
    for (const [wire, value] of records) {
      const skipping = reader([...value, 0x7f]);
      skipping.skip(wire);
      expect(skipping.pos).toBe(value.length);
    }
    for (const wire of [3, 4, 6, 7]) expect(() => reader([0, 0, 0, 0]).skip(wire)).toThrow('unsupported wire type');
    expect(() => reader([1, 2, 3]).skip(5)).toThrow('truncated 32-bit value');
    expect(() => reader([5, 1]).skip(2)).toThrow('runs past the end');
  });
});
