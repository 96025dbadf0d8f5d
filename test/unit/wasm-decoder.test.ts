import { isDeepStrictEqual } from 'node:util';
import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { createProfileDecoder, type DecodedProfile, type ExplodeLimits } from '../../shared/pprof/index.js';
import { buildRealisticProfile } from '../bench/realistic-profile.js';
import {
  explodeProfileCompact,
  explodeProfileCompactJs,
  lastBail,
  materialise,
  wasmDecoderLoaded,
} from '../support/decoders.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testProfileContext as context } from '../support/profile-context.js';

/**
 * The WebAssembly decoder (shared/pprof/wasm-decoder.ts) against the JavaScript one it stands in
 * for: the same columns for every profile it decodes, and every other profile left to
 * JavaScript, which decodes or refuses it. The explode differential test runs it further, on
 * generated and mutated profiles, against the pprof-format reference.
 */
const limits: ExplodeLimits = {
  maxSamplesPerProfile: 1_000_000,
  maxLabelsPerSample: 64,
  maxLabelValueBytes: 4096,
  maxStackFrames: 10_000_000,
  maxProfileRecords: 10_000_000,
  maxRowsPerProfile: 10_000_000,
};

/** Everything a compact profile holds, as plain values. */
function contents(exploded: DecodedProfile) {
  const { compact } = exploded;
  const sets = compact.labelSets;
  return {
    rows: materialise(exploded, context),
    columns: [compact.sampleTypeIndex, compact.values, compact.stackIndex, compact.labelSetIndex].map((c) =>
      Array.from(c as ArrayLike<number | bigint>),
    ),
    stackIds: Array.from(compact.stackIds),
    frameIds: Array.from(compact.frameIds),
    stackFrames: Array.from(compact.stackIds, (_, stack) => [
      Array.from(compact.stackLeafFrames(stack)),
      Array.from(compact.stackCallerFrames(stack)),
    ]),
    frames: Array.from(compact.frameIds, (_, frame) => compact.frameFields(frame)),
    labelSets: Array.from({ length: sets.count }, (_, set) => sets.labelSet(set)),
    ts: compact.ts,
  };
}

type Outcome = { ok: true; value: ReturnType<typeof contents> } | { ok: false; message: string };

function outcome(run: () => DecodedProfile): Outcome {
  try {
    return { ok: true, value: contents(run()) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Decodes `bytes` both ways; expects the same outcome and returns why WebAssembly gave up, if it did. */
function expectSameAsJs(bytes: Uint8Array, under: ExplodeLimits = limits): string | undefined {
  const fast = outcome(() => explodeProfileCompact(bytes, context, defaultLabelMapping, under));
  const bail = lastBail;
  const js = outcome(() => explodeProfileCompactJs(bytes, context, defaultLabelMapping, under));
  if (!isDeepStrictEqual(fast, js)) expect(fast).toEqual(js);
  return bail;
}

const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((part) => Array.from(part)));
/** A top-level Sample record (Profile field 2) of these raw bytes, appended after a profile's others. */
const sampleRecord = (bytes: number[]) => [0x12, bytes.length, ...bytes];

describe('the WebAssembly decoder', () => {
  it('is built and loaded (npm run build compiles it)', () => {
    expect(wasmDecoderLoaded).toBe(true);
  });

  it('decodes realistic profiles itself, column for column as the JavaScript decoder', () => {
    const profiles = [
      buildRealisticProfile(),
      buildRealisticProfile({ seed: 7, samples: 3_000, functions: 200, endpoints: 3, requests: 50 }),
      buildRealisticProfile({ seed: 9, samples: 500, functions: 5_000 }),
    ];

    const bails = profiles.map((bytes) => expectSameAsJs(bytes));

    expect(bails).toEqual([undefined, undefined, undefined]);
  });

  it('says which decoder read a profile, and why WebAssembly left it', () => {
    const usual = explodeProfileCompact(
      buildRealisticProfile({ seed: 8, samples: 100 }),
      context,
      defaultLabelMapping,
      limits,
    );
    const unusual = explodeProfileCompact(
      buildCpuProfile({ samples: [{ stack: ['main.café'], cpuNs: 10_000_000n }] }),
      context,
      defaultLabelMapping,
      limits,
    );

    expect([usual.decodedBy, unusual.decodedBy]).toEqual([
      { decoder: 'wasm' },
      { decoder: 'js', wasmLeft: 'non-ASCII name' },
    ]);
  });

  it('decodes one profile after another in the same memory, each as if alone', () => {
    const large = buildRealisticProfile({ seed: 3, samples: 5_000 });
    const small = buildCpuProfile({ samples: [{ stack: ['a.b', 'main.main'], cpuNs: 10_000_000n }] });
    const first = contents(explodeProfileCompact(large, context, defaultLabelMapping, limits));

    explodeProfileCompact(small, context, defaultLabelMapping, limits);
    const again = contents(explodeProfileCompact(large, context, defaultLabelMapping, limits));

    expect(isDeepStrictEqual(again, first)).toBe(true);
  });

  it('doubles its tables past 64k distinct stacks and label sets', () => {
    const bytes = buildRealisticProfile({ seed: 5, samples: 90_000, requests: 90_000 });
    const exploded = explodeProfileCompact(bytes, context, defaultLabelMapping, limits);

    expect(expectSameAsJs(bytes)).toBeUndefined();
    expect([exploded.compact.stackIds.length, exploded.compact.labelSets.count]).toSatisfy((counts: number[]) =>
      counts.every((count) => count > 65_536),
    );
  });

  it('drops its memory after a profile that grew it past the retained size', () => {
    const bytes = buildRealisticProfile({ seed: 6, samples: 2_000 });
    const small = createProfileDecoder({ decoder: 'wasm', retainedWasmMemoryBytes: 1024 * 1024 });
    const usual = createProfileDecoder({ decoder: 'wasm' });

    const first = small.decodeProfile(bytes, context, defaultLabelMapping, limits);
    const memoryAfterFirst = small.wasmMemoryBytes();
    const again = small.decodeProfile(bytes, context, defaultLabelMapping, limits);
    usual.decodeProfile(bytes, context, defaultLabelMapping, limits);

    expect(memoryAfterFirst).toBe(0);
    expect(again.decodedBy).toEqual({ decoder: 'wasm' });
    expect(isDeepStrictEqual(contents(again), contents(first))).toBe(true);
    expect(usual.wasmMemoryBytes()).toBeGreaterThan(0);
  });

  it('leaves every other profile to the JavaScript decoder, which decodes or refuses it', () => {
    const built = buildCpuProfile({
      samples: [{ stack: ['a.b', 'main.main'], cpuNs: 10_000_000n, labels: { 'span id': '5' } }],
    });
    // Location 1 is a.b; sample type 0 is samples/count.
    const cases: [string, Uint8Array, ExplodeLimits, string][] = [
      ['cut short', built.subarray(0, built.length - 3), limits, 'malformed'],
      ['over a limit', built, { ...limits, maxSamplesPerProfile: 0 }, 'limit'],
      [
        'location ids in two records',
        concat(built, sampleRecord([0x0a, 1, 1, 0x0a, 1, 1, 0x12, 1, 3])),
        limits,
        'split records',
      ],
      [
        'labels between other fields',
        concat(built, sampleRecord([0x1a, 2, 0x08, 1, 0x12, 1, 3, 0x1a, 2, 0x08, 2])),
        limits,
        'split records',
      ],
      [
        'a location that is not there',
        concat(built, sampleRecord([0x0a, 1, 99, 0x12, 1, 3])),
        limits,
        'missing reference',
      ],
      [
        'a function name that is not ASCII',
        buildCpuProfile({ samples: [{ stack: ['main.café'], cpuNs: 10_000_000n }] }),
        limits,
        'non-ASCII name',
      ],
      ['a location of nine inlined lines', inlinedProfile(9), limits, 'many leaf frames'],
      ['a period type sent as a varint', concat(built, [0x58, 0]), limits, 'malformed'],
      ['location ids chosen to collide in its id table', collidingIdsProfile(200), limits, 'flood'],
    ];

    const bails = cases.map(([, bytes, under]) => expectSameAsJs(bytes, under));

    expect(Object.fromEntries(cases.map(([name], i) => [name, bails[i]]))).toEqual(
      Object.fromEntries(cases.map(([name, , , reason]) => [name, reason])),
    );
  });

  it('reads label values of every form as the JavaScript decoder does', () => {
    const values = [
      ...['42', ' 42 ', '\t7\n', '007', '0', '', ' ', '1234567890123456', 'ABCDEF0123456789', 'abcdef012345678g'],
      ...['18446744073709551615', '18446744073709551616', '18446744073709551617', '18446744073709551620'],
      '99999999999999999999',
      ...['184467440737095516150', '0x1f', '+5', '-1', 'abc', '4bf92f3577b34da6a3ce929d0e0e4736', '1', 'GET /a'],
    ];
    const keys = ['span id', 'span_id', 'profile_id', 'local root span id', 'trace id', 'trace_id', 'trace endpoint'];
    const cases = keys.flatMap((key) => values.map((value): [string, string] => [key, value]));
    // An uppercase trace id is lowercased into a text of its own: left to JavaScript.
    const madeText = ([key, value]: [string, string]) =>
      key.startsWith('trace') && key !== 'trace endpoint' && /^[0-9a-fA-F]{1,32}$/.test(value) && /[A-F]/.test(value);

    const bails = cases.map(([key, value]) =>
      expectSameAsJs(
        labelledProfile([
          [key, value],
          ['span id', '99'],
          [key, '123'],
        ]),
      ),
    );

    expect(bails).toEqual(cases.map((c) => (madeText(c) ? 'made text' : undefined)));
  });

  it('takes the first parseable id in mapping order, as the JavaScript decoder does', () => {
    const profiles = [
      labelledProfile([
        ['span_id', '18446744073709551616'],
        ['profile_id', '5'],
      ]),
      labelledProfile([
        ['profile_id', '6'],
        ['span_id', 'x'],
        ['span id', ' '],
      ]),
      labelledProfile([
        ['span_id', '00000000000000ff'],
        ['span id', '7'],
      ]),
    ];

    const bails = profiles.map((bytes) => expectSameAsJs(bytes));

    expect(bails).toEqual([undefined, undefined, undefined]);
    expect(
      profiles.map((bytes) =>
        explodeProfileCompact(bytes, context, defaultLabelMapping, limits).compact.labelSets.labelSet(0),
      ),
    ).toMatchObject([{ spanId: '5' }, { spanId: '6' }, { spanId: '7' }]);
  });

  it('reads number labels (Label.num) itself, negative ones as their uint64, as the JavaScript decoder does', () => {
    const numbers = [
      ...[1n, 5n, 42n, 99n, 1_000_000n, 2n ** 53n + 1n, 1234567890123456n, 9999999999999999n, 1000000000000000n],
      ...[2n ** 63n - 1n, -1n, -2n, -(2n ** 63n), -1234567890123456n, -(2n ** 63n) + 1n, 123456789012345678n],
    ];
    const keys = [
      'span id',
      'span_id',
      'profile_id',
      'local root span id',
      'trace id',
      'trace_id',
      'trace endpoint',
      'other',
    ];
    const cases = keys.flatMap((key) => numbers.map((value): [string, bigint] => [key, value]));

    // Alone (its key decides its meaning) and behind a span id and a repeat of its key.
    const bails = cases.flatMap(([key, value]) => [
      expectSameAsJs(numberLabelledProfile([[key, value]])),
      expectSameAsJs(
        numberLabelledProfile([
          [key, value],
          ['span id', 99n],
          [key, 123n],
          ['thread id', value],
        ]),
      ),
    ]);

    expect(bails).toEqual(cases.flatMap(() => [undefined, undefined]));
    // ddtrace's span ids of 2^63 and above arrive negative: read as their uint64.
    const ddtrace = numberLabelledProfile([
      ['span id', -2n],
      ['local root span id', -(2n ** 63n)],
    ]);
    expect(
      explodeProfileCompact(ddtrace, context, defaultLabelMapping, limits).compact.labelSets.labelSet(0),
    ).toMatchObject({
      spanId: String(2n ** 64n - 2n),
      localRootSpanId: String(2n ** 63n),
      keys: ['span id', 'local root span id'],
      values: ['-2', String(-(2n ** 63n))],
    });
  });

  it('mixes number and string labels in a set and across sets, and leaves a number longer than the limit', () => {
    const mixed = buildCpuProfile({
      samples: [
        {
          stack: ['a.b', 'main.main'],
          cpuNs: 10n,
          labels: { 'trace endpoint': 'GET /a' },
          numLabels: { 'span id': -7n },
        },
        { stack: ['main.main'], cpuNs: 20n, labels: { 'span id': '8' }, numLabels: { 'local root span id': 8n } },
        { stack: ['main.main'], cpuNs: 30n, numLabels: { 'span id': 9n, 'local root span id': -9n } },
      ],
    });
    const long = numberLabelledProfile([['n', -12345n]]);

    expect(expectSameAsJs(mixed)).toBeUndefined();
    expect(expectSameAsJs(long, { ...limits, maxLabelValueBytes: 6 })).toBeUndefined();
    expect(expectSameAsJs(long, { ...limits, maxLabelValueBytes: 5 })).toBe('limit');
  });

  it('leaves an uppercase trace id, whose lowercase text JavaScript makes, to it', () => {
    const upper = labelledProfile([['trace_id', '4BF92F3577B34DA6']]);

    expect(expectSameAsJs(upper)).toBe('made text');
  });

  it('decodes what it does not leave: ids not numbered 1…n, repeated ids, a line of -1, eight inlined lines', () => {
    const sparse = buildProfile({ idBase: 1_000, lines: 2 });
    const repeated = concat(
      buildProfile({ idBase: 0, lines: 1 }),
      // A second location 1: the last definition wins.
      [0x22, 4, 0x08, 1, 0x18, 0x07],
    );
    const bails = [sparse, repeated, buildProfile({ idBase: 0, lines: 1, line: -1n }), inlinedProfile(8)].map((bytes) =>
      expectSameAsJs(bytes),
    );

    expect(bails).toEqual([undefined, undefined, undefined, undefined]);
  });
});

/** One sample with these labels (string values), in this order: repeated keys too. */
/** One sample whose labels are numbers (Label.num), in this order. */
function numberLabelledProfile(labels: [string, bigint][]): Uint8Array {
  const strings = new StringTable();
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [
      new Sample({
        locationId: [1],
        value: [1],
        label: labels.map(([key, num]) => new Label({ key: strings.dedup(key), num })),
      }),
    ],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 3 })] })],
    function: [new PprofFunction({ id: 1, name: strings.dedup('main.main'), filename: strings.dedup('main.go') })],
    stringTable: strings,
  }).encode();
}

function labelledProfile(labels: [string, string][]): Uint8Array {
  const strings = new StringTable();
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [
      new Sample({
        locationId: [1],
        value: [1],
        label: labels.map(([key, str]) => new Label({ key: strings.dedup(key), str: strings.dedup(str) })),
      }),
    ],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 3 })] })],
    function: [new PprofFunction({ id: 1, name: strings.dedup('main.main'), filename: strings.dedup('main.go') })],
    stringTable: strings,
  }).encode();
}

/**
 * Locations whose ids (hi·2^32 + lo, lo = hi·0x9e3779b1 mod 2^32) all land in one slot of the
 * decoder's id table whatever its secret: a flood, which it leaves to JavaScript (a V8 Map).
 */
function collidingIdsProfile(count: number): Uint8Array {
  const strings = new StringTable();
  const ids = Array.from(
    { length: count },
    (_, i) => (BigInt(i + 1) << 32n) | BigInt(Math.imul(i + 1, 0x9e3779b1) >>> 0),
  );
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [new Sample({ locationId: [ids[0] as bigint, ids[count - 1] as bigint], value: [1] })],
    location: ids.map((id) => new Location({ id, address: 0x1000n })),
    stringTable: strings,
  }).encode();
}

/** A profile of one sample on one location of `lines` inlined lines. */
function inlinedProfile(lines: number): Uint8Array {
  return buildProfile({ idBase: 0, lines });
}

/**
 * One sample on one location of `lines` lines; location ids counted from `idBase` + 1, function
 * ids from `functionIdBase` + 1 (default: the same).
 */
function buildProfile({
  idBase,
  functionIdBase = idBase,
  lines,
  line = 12n,
}: {
  idBase: number;
  functionIdBase?: number;
  lines: number;
  line?: bigint;
}): Uint8Array {
  const strings = new StringTable();
  const functions = Array.from(
    { length: lines },
    (_, i) =>
      new PprofFunction({
        id: functionIdBase + i + 1,
        name: strings.dedup(`pkg.f${i}`),
        filename: strings.dedup('f.go'),
      }),
  );
  const location = new Location({
    id: idBase + 1,
    address: 0x401000n,
    line: functions.map((fn) => new Line({ functionId: fn.id, line })),
  });
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [new Sample({ locationId: [idBase + 1], value: [3] })],
    location: [location],
    function: functions,
    stringTable: strings,
    timeNanos: 1_790_000_000_000_000_000n,
  }).encode();
}
