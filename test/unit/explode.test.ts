import fc from 'fast-check';
import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  type ProfileInput,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import type { ExplodedProfile, ExplodeLimits, ProfileContext, SampleRow } from '../../shared/pprof/index.js';
import { ProfileIndex } from '../../shared/pprof/profile-scan.js';
import { explodeProfile, explodeProfileCompact, explodeProfileCompactJs } from '../support/decoders.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { testProfileContext } from '../support/profile-context.js';

const RUNS = { numRuns: 200 };
const PERIOD = 10_000_000n;
const ENDPOINT = 'trace endpoint';
const SPAN_ID = 'span id';

const context: ProfileContext = testProfileContext;

const limits: ExplodeLimits = {
  maxSamplesPerProfile: 10_000,
  maxLabelsPerSample: 16,
  maxLabelValueBytes: 256,
  maxStackFrames: 1_000_000,
  maxProfileRecords: 1_000_000,
  maxRowsPerProfile: 1_000_000,
};

const explode = (bytes: Uint8Array, overrides: Partial<ExplodeLimits> = {}): ExplodedProfile =>
  explodeProfile(bytes, context, defaultLabelMapping, { ...limits, ...overrides });

const rowsOfType = (exploded: ExplodedProfile, type: string): SampleRow[] =>
  exploded.samples.filter((row) => row.sample_type === type);

function totalsBy(rows: readonly SampleRow[], key: (row: SampleRow) => string | null): Map<string | null, bigint> {
  const totals = new Map<string | null, bigint>();
  for (const row of rows) totals.set(key(row), (totals.get(key(row)) ?? 0n) + BigInt(row.value));
  return totals;
}

/** A profile with one cpu sample type and whatever the test needs, for shapes the builder cannot make. */
function handBuiltProfile(build: (strings: StringTable) => Omit<ProfileInput, 'stringTable'>): Uint8Array {
  const strings = new StringTable();
  const sampleType = [new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })];
  return new Profile({ sampleType, ...build(strings), stringTable: strings }).encode();
}

const checkoutSpec: ProfileSpec = {
  startNs: 1_795_514_400_123_456_789n,
  durationNs: 10_000_000_000n,
  samples: [
    {
      stack: ['runtime.mallocgc', 'main.checkout', 'main.main'],
      cpuNs: 30_000_000n,
      labels: { [ENDPOINT]: 'POST /checkout', [SPAN_ID]: '11' },
    },
    {
      stack: ['json.Marshal', 'main.checkout', 'main.main'],
      cpuNs: 20_000_000n,
      labels: { [ENDPOINT]: 'POST /checkout', [SPAN_ID]: '12' },
    },
    {
      stack: ['db.query', 'main.cart', 'main.main'],
      cpuNs: 50_000_000n,
      labels: { [ENDPOINT]: 'GET /cart', [SPAN_ID]: '13' },
    },
    { stack: ['runtime.gcBgMarkWorker'], cpuNs: 40_000_000n },
    {
      stack: ['runtime.mallocgc', 'main.checkout', 'main.main'],
      cpuNs: 10_000_000n,
      labels: { [ENDPOINT]: 'POST /checkout', [SPAN_ID]: '11' },
    },
  ],
};

describe('explodeProfile totals', () => {
  it('splits cpu nanoseconds by endpoint exactly as the spec does', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));

    expect(totalsBy(rowsOfType(exploded, 'cpu'), (row) => row.endpoint)).toEqual(
      expectedTotalsByLabel(checkoutSpec, ENDPOINT),
    );
  });

  it('splits sample counts by endpoint exactly as the spec does', () => {
    const expected = new Map([...expectedTotalsByLabel(checkoutSpec, ENDPOINT)].map(([k, v]) => [k, v / PERIOD]));

    const exploded = explode(buildCpuProfile(checkoutSpec));

    expect(totalsBy(rowsOfType(exploded, 'samples'), (row) => row.endpoint)).toEqual(expected);
  });

  it('writes one row per sample and non-zero sample type', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));

    expect([rowsOfType(exploded, 'samples').length, rowsOfType(exploded, 'cpu').length]).toEqual([5, 5]);
  });

  it('writes no row for a zero value', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: PERIOD - 1n }] };

    const exploded = explode(buildCpuProfile(spec));

    expect(exploded.samples.map((row) => row.sample_type)).toEqual(['cpu']);
  });

  it('gives unlabelled rows a null endpoint and span id 0', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));
    const unlabelled = exploded.samples.filter((row) => row.label_keys.length === 0);

    expect(unlabelled.map((row) => [row.endpoint, row.span_id, row.local_root_span_id])).toEqual([
      [null, '0', '0'],
      [null, '0', '0'],
    ]);
  });

  it('keeps a cpu value above 2^53 exact as a decimal string', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 2n ** 60n + 7n }] };

    const [cpu] = rowsOfType(explode(buildCpuProfile(spec)), 'cpu');

    expect(cpu?.value).toBe('1152921504606846983');
  });

  it('writes a value within 2^53 as a number', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 30_000_000n }] };

    const [cpu] = rowsOfType(explode(buildCpuProfile(spec)), 'cpu');

    expect(cpu?.value).toBe(30_000_000);
  });
});

describe('explodeProfile labels', () => {
  it.each(['9007199254740993', '9223372036854775809', '18446744073709551615'])(
    'keeps the span id %s exact',
    (spanId) => {
      const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: PERIOD, labels: { [SPAN_ID]: spanId } }] };

      const rows = explode(buildCpuProfile(spec)).samples;

      expect(rows.map((row) => row.span_id)).toEqual([spanId, spanId]);
    },
  );

  it('reads the local root span id and trace id labels', () => {
    const labels = { 'local root span id': '18446744073709551614', 'trace id': 'ABCDEF0123456789' };
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels }] };

    const [row] = explode(buildCpuProfile(spec)).samples;

    expect([row?.local_root_span_id, row?.trace_id]).toEqual(['18446744073709551614', 'abcdef0123456789']);
  });

  it('keeps every label key and value in order beside the normalised columns', () => {
    const labels = { [ENDPOINT]: `GET /it's/"quoted"/🚀`, [SPAN_ID]: '5', region: 'eu' };
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels }] };

    const [row] = explode(buildCpuProfile(spec)).samples;

    expect([row?.label_keys, row?.label_values]).toEqual([Object.keys(labels), Object.values(labels)]);
  });

  it('writes a numeric label as its decimal value', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, numLabels: { [SPAN_ID]: 123_456n } }] };

    const [row] = explode(buildCpuProfile(spec)).samples;

    expect([row?.span_id, row?.label_values]).toEqual(['123456', ['123456']]);
  });

  it('reads a negative numeric span id as the uint64 a tracer wrote there, keeping the label as sent', () => {
    // ddtrace (Python) span ids span the whole uint64 range; Label.num is int64.
    const spanId = 2n ** 64n - 5n;
    const spec: ProfileSpec = {
      samples: [
        {
          stack: ['main.main'],
          cpuNs: 1n,
          numLabels: { [SPAN_ID]: BigInt.asIntN(64, spanId), 'local root span id': BigInt.asIntN(64, spanId) },
        },
      ],
    };

    const [row] = explode(buildCpuProfile(spec)).samples;

    expect([row?.span_id, row?.local_root_span_id, row?.label_values]).toEqual([
      spanId.toString(),
      spanId.toString(),
      ['-5', '-5'],
    ]);
  });

  it('does not read an empty string label as the number 0', () => {
    // pprof writes an empty string as string index 0 and drops the zero field, so the label
    // arrives with str = 0 and num = 0; google/pprof reads that as no value, never as "0".
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels: { [ENDPOINT]: '' } }] };

    const [row] = explode(buildCpuProfile(spec)).samples;

    expect(row?.endpoint).not.toBe('0');
  });

  it('stamps rows with the profile context and the profile start second', () => {
    const [row] = explode(buildCpuProfile(checkoutSpec)).samples;

    expect(row).toMatchObject({
      tenant: 'acme',
      service: 'checkout',
      env: 'prod',
      version: '1.2.3',
      profile_id: 'profile-1',
      ingest_id: 'ingest-1',
      ts: 1_795_514_400,
    });
  });

  it('falls back to the context start when the profile has no time', () => {
    const spec: ProfileSpec = { startNs: 0n, samples: [{ stack: ['main.main'], cpuNs: 1n }] };

    const exploded = explode(buildCpuProfile(spec));

    expect([exploded.samples[0]?.ts, exploded.startNs]).toEqual([1_700_000_000, 1_700_000_000_000_000_000n]);
  });
});

describe('explodeProfile metadata', () => {
  it('reports the profile start, duration, period and sample types', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));

    expect({
      startNs: exploded.startNs,
      durationNs: exploded.durationNs,
      period: exploded.period,
      periodType: exploded.periodType,
      sampleTypes: exploded.sampleTypes,
      sampleCount: exploded.sampleCount,
    }).toEqual({
      startNs: 1_795_514_400_123_456_789n,
      durationNs: 10_000_000_000n,
      period: PERIOD,
      periodType: 'cpu/nanoseconds',
      sampleTypes: ['samples/count', 'cpu/nanoseconds'],
      sampleCount: 5,
    });
  });
});

describe('explodeProfile stacks and frames', () => {
  it('writes one stack row per distinct stack', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));

    expect(exploded.stacks.length).toBe(4);
  });

  it('gives samples with the same stack the same stack id', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));
    const cpu = rowsOfType(exploded, 'cpu');

    expect(cpu[0]?.stack_id).toBe(cpu[4]?.stack_id);
  });

  it('writes one frame row per distinct function', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));
    const names = exploded.frames.map((frame) => frame.function_name).sort();

    expect(names).toEqual([
      'db.query',
      'json.Marshal',
      'main.cart',
      'main.checkout',
      'main.main',
      'runtime.gcBgMarkWorker',
      'runtime.mallocgc',
    ]);
  });

  it('lists a stack leaf first', () => {
    const exploded = explode(buildCpuProfile(checkoutSpec));
    const nameOf = new Map(exploded.frames.map((frame) => [frame.frame_id, frame.function_name]));
    const stackId = rowsOfType(exploded, 'cpu')[2]?.stack_id;

    const stack = exploded.stacks.find((row) => row.stack_id === stackId);

    expect(stack?.frame_ids.map((id) => nameOf.get(id))).toEqual(['db.query', 'main.cart', 'main.main']);
  });

  it('keeps file and line on frames', () => {
    const exploded = explode(buildCpuProfile({ samples: [{ stack: ['main.main'], cpuNs: 1n }] }));

    expect(
      exploded.frames.map(({ tenant, function_name, file_name, line }) => ({ tenant, function_name, file_name, line })),
    ).toEqual([{ tenant: 'acme', function_name: 'main.main', file_name: 'main.go', line: 11 }]);
  });

  it('gives the same frame the same id in every profile', () => {
    const first = explode(buildCpuProfile({ samples: [{ stack: ['main.main', 'a.x'], cpuNs: 1n }] }));
    const second = explode(buildCpuProfile({ samples: [{ stack: ['main.main'], cpuNs: 1n }] }));

    expect(first.frames.find((f) => f.function_name === 'main.main')?.frame_id).toBe(second.frames[0]?.frame_id);
  });

  it("lists a location's inlined lines innermost first", () => {
    const bytes = handBuiltProfile((strings) => ({
      function: [
        new PprofFunction({ id: 1, name: strings.dedup('inlined.leaf'), filename: strings.dedup('a.go') }),
        new PprofFunction({ id: 2, name: strings.dedup('outer.caller'), filename: strings.dedup('a.go') }),
      ],
      location: [
        new Location({ id: 1, line: [new Line({ functionId: 1, line: 5 }), new Line({ functionId: 2, line: 9 })] }),
      ],
      sample: [new Sample({ locationId: [1], value: [1] })],
    }));

    const exploded = explode(bytes);
    const nameOf = new Map(exploded.frames.map((frame) => [frame.frame_id, frame.function_name]));

    expect(exploded.stacks[0]?.frame_ids.map((id) => nameOf.get(id))).toEqual(['inlined.leaf', 'outer.caller']);
  });

  it('names a location without lines by its address', () => {
    const bytes = handBuiltProfile(() => ({
      location: [new Location({ id: 1, address: 0x4a2f10 })],
      sample: [new Sample({ locationId: [1], value: [1] })],
    }));

    expect(explode(bytes).frames.map((frame) => frame.function_name)).toEqual(['0x4a2f10']);
  });
});

describe('explodeProfile limits', () => {
  const twoSamples: ProfileSpec = {
    samples: [
      { stack: ['main.main'], cpuNs: 1n },
      { stack: ['main.main'], cpuNs: 2n },
    ],
  };

  it('accepts exactly the maximum number of samples', () => {
    expect(explode(buildCpuProfile(twoSamples), { maxSamplesPerProfile: 2 }).sampleCount).toBe(2);
  });

  it('refuses a profile with too many samples as unprocessable', () => {
    expectHotspotsError(() => explode(buildCpuProfile(twoSamples), { maxSamplesPerProfile: 1 }), {
      code: 'unprocessable',
      retriable: false,
      message: 'profile has 2 samples, above the limit of 1',
    });
  });

  it('accepts distinct stacks holding exactly the maximum of frames, refuses one more', () => {
    // Two distinct stacks of 3 frames: 6 frames, plus the caller path they share (2 frames).
    const spec: ProfileSpec = {
      samples: [
        { stack: ['a', 'main.handle', 'main.main'], cpuNs: 1n },
        { stack: ['b', 'main.handle', 'main.main'], cpuNs: 1n },
        { stack: ['a', 'main.handle', 'main.main'], cpuNs: 1n },
      ],
    };
    expect(explode(buildCpuProfile(spec), { maxStackFrames: 8 }).stacks).toHaveLength(2);
    expectHotspotsError(() => explode(buildCpuProfile(spec), { maxStackFrames: 7 }), {
      code: 'unprocessable',
      message: "profile's distinct stacks hold more than 7 frames (HOTSPOTS_MAX_STACK_FRAMES)",
    });
  });

  it('refuses a small profile that would make huge stacks (one location of many lines in many paths)', () => {
    // 20,000 lines in one location, in 2,000 distinct caller paths: 40 M frames from ~150 kB.
    const bytes = handBuiltProfile((strings) => {
      const fn = new PprofFunction({ id: 1, name: strings.dedup('deep'), filename: strings.dedup('d.go') });
      const lines = Array.from({ length: 20_000 }, (_, i) => new Line({ functionId: 1, line: i + 1 }));
      const locations = [new Location({ id: 1, line: lines })];
      for (let id = 2; id <= 2_002; id++)
        locations.push(new Location({ id, line: [new Line({ functionId: 1, line: 1 })] }));
      const sample = Array.from({ length: 2_000 }, (_, i) => new Sample({ locationId: [2_002, 1, 2 + i], value: [1] }));
      return { sample, location: locations, function: [fn] };
    });
    expectHotspotsError(() => explode(bytes, { maxStackFrames: 1_000_000 }), { message: /more than 1000000 frames/ });
  });

  it('refuses a sample with too many labels as unprocessable', () => {
    const labels = { a: '1', b: '2', c: '3' };
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels }] };

    expectHotspotsError(() => explode(buildCpuProfile(spec), { maxLabelsPerSample: 2 }), {
      code: 'unprocessable',
      message: 'a sample has 3 labels, above the limit of 2',
    });
  });

  it('refuses a label value longer than the limit in UTF-8 bytes', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels: { [ENDPOINT]: 'é'.repeat(9) } }] };

    expectHotspotsError(() => explode(buildCpuProfile(spec), { maxLabelValueBytes: 17 }), {
      code: 'unprocessable',
      message: 'label "trace endpoint" is longer than 17 bytes',
    });
  });

  it('accepts a label value of exactly the limit in UTF-8 bytes', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels: { [ENDPOINT]: 'é'.repeat(9) } }] };

    expect(explode(buildCpuProfile(spec), { maxLabelValueBytes: 18 }).samples[0]?.endpoint).toBe('é'.repeat(9));
  });

  it('refuses a label key longer than the limit', () => {
    const spec: ProfileSpec = { samples: [{ stack: ['main.main'], cpuNs: 1n, labels: { ['k'.repeat(300)]: 'v' } }] };

    expectHotspotsError(() => explode(buildCpuProfile(spec), { maxLabelValueBytes: 256 }), { code: 'unprocessable' });
  });
});

describe('explodeProfile record limit (HOTSPOTS_MAX_PROFILE_RECORDS)', () => {
  /** A profile heavy in one kind of record: 40 extra strings, functions, locations or lines. */
  function profileHeavyIn(kind: 'strings' | 'functions' | 'locations' | 'lines'): Uint8Array {
    return handBuiltProfile((strings) => {
      const name = strings.dedup('main.main');
      const file = strings.dedup('main.go');
      if (kind === 'strings') for (let i = 0; i < 40; i++) strings.dedup(`unused ${i}`);
      const fnCount = kind === 'functions' ? 41 : 1;
      const fns = Array.from({ length: fnCount }, (_, i) => new PprofFunction({ id: i + 1, name, filename: file }));
      const location = [new Location({ id: 1, line: [new Line({ functionId: 1, line: 1 })] })];
      if (kind === 'locations')
        for (let id = 2; id <= 41; id++) location.push(new Location({ id, line: [new Line({ functionId: 1 })] }));
      // Lines of a location no sample uses (a leaf of 40 frames would send WebAssembly's decode to JavaScript).
      if (kind === 'lines')
        location.push(
          new Location({ id: 2, line: Array.from({ length: 40 }, (_, i) => new Line({ functionId: 1, line: i })) }),
        );
      return { sample: [new Sample({ locationId: [1], value: [10] })], location, function: fns };
    });
  }

  /** Records as pprof-format decodes them: every string, location, line and function. */
  function recordsOf(bytes: Uint8Array): number {
    const profile = Profile.decode(bytes);
    const lines = profile.location.reduce((sum, location) => sum + location.line.length, 0);
    return profile.stringTable.strings.length + profile.location.length + lines + profile.function.length;
  }

  const decoders = [
    ['the WebAssembly decoder', explodeProfileCompact],
    ['the JavaScript decoder', explodeProfileCompactJs],
  ] as const;

  for (const kind of ['strings', 'functions', 'locations', 'lines'] as const) {
    for (const [name, decode] of decoders) {
      it(`accepts exactly the maximum of records, refuses one more, in a profile heavy in ${kind} (${name})`, () => {
        const bytes = profileHeavyIn(kind);
        const records = recordsOf(bytes);
        const run = (maxProfileRecords: number) =>
          decode(bytes, context, defaultLabelMapping, { ...limits, maxProfileRecords });

        const accepted = run(records);
        const error = expectHotspotsError(() => run(records - 1));

        expect(records).toBeGreaterThan(40);
        expect(accepted.sampleCount).toBe(1);
        if (decode === explodeProfileCompact) expect(accepted.decodedBy).toEqual({ decoder: 'wasm' });
        expect([error.code, error.message]).toEqual([
          'unprocessable',
          `profile has more than ${records - 1} locations, lines, functions and strings (HOTSPOTS_MAX_PROFILE_RECORDS)`,
        ]);
      });
    }
  }

  it('refuses a flood of empty records before decoding it whole', () => {
    // 2 MB of empty Location records (tag 0x22, length 0): a million records from a tiny gzip.
    const head = handBuiltProfile(() => ({ sample: [new Sample({ value: [1] })] }));
    const bytes = new Uint8Array(head.length + 2_000_000);
    bytes.set(head);
    for (let at = head.length; at < bytes.length; at += 2) bytes[at] = 0x22;

    expectHotspotsError(() => explode(bytes, { maxProfileRecords: 1_000 }), {
      message: /more than 1000 locations, lines, functions and strings/,
    });
  });

  /** 100 samples of 8 sample types, every value non-zero: 800 rows from a few hundred bytes. */
  function profileOfManySampleTypes(): Uint8Array {
    return handBuiltProfile((strings) => {
      const name = strings.dedup('main.main');
      const sampleType = Array.from(
        { length: 8 },
        (_, i) => new ValueType({ type: strings.dedup(`type${i}`), unit: strings.dedup('count') }),
      );
      const sample = Array.from(
        { length: 100 },
        () => new Sample({ locationId: [1], value: [1, 2, 3, 4, 5, 6, 7, 8] }),
      );
      return {
        sampleType,
        sample,
        location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 1 })] })],
        function: [new PprofFunction({ id: 1, name })],
      };
    });
  }

  for (const [name, decode] of decoders) {
    it(`accepts exactly the maximum of sample rows, refuses one more (${name})`, () => {
      const bytes = profileOfManySampleTypes();
      const run = (maxRowsPerProfile: number) =>
        decode(bytes, context, defaultLabelMapping, { ...limits, maxRowsPerProfile });

      const accepted = run(800);

      expect(accepted.compact.rowCount).toBe(800);
      if (decode === explodeProfileCompact) expect(accepted.decodedBy).toEqual({ decoder: 'wasm' });
      expectHotspotsError(() => run(799), {
        code: 'unprocessable',
        message:
          'profile has more than 799 sample values (samples × sample types), the limit (HOTSPOTS_MAX_ROWS_PER_PROFILE)',
      });
    });
  }

  it('keeps no sample positions past the sample limit, and still reports the exact count', () => {
    const samples = Array.from({ length: 50 }, () => new Sample({ value: [1] }));
    const index = new ProfileIndex(
      handBuiltProfile(() => ({ sample: samples })),
      { maxSamplesPerProfile: 10, maxProfileRecords: 1_000 },
    );

    index.scan();

    expect([index.sampleCount, index.sampleStarts.length, index.sampleEnds.length]).toEqual([50, 10, 10]);
  });
});

describe('explodeProfile on malformed input', () => {
  it('refuses bytes that are not protobuf as unprocessable', () => {
    expectHotspotsError(() => explode(Buffer.from('this is not a pprof profile', 'utf8')), {
      code: 'unprocessable',
      retriable: false,
    });
  });

  for (const [name, decode] of [
    ['the WebAssembly decoder', explodeProfileCompact],
    ['the JavaScript decoder', explodeProfileCompactJs],
  ] as const) {
    it(`refuses a profile that declares one sample type twice, which would count it twice (${name})`, () => {
      const bytes = handBuiltProfile((strings) => ({
        sampleType: [0, 1].map(() => new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })),
        sample: [new Sample({ locationId: [1], value: [10, 10] })],
        location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 1 })] })],
        function: [new PprofFunction({ id: 1, name: strings.dedup('main.main') })],
      }));

      expectHotspotsError(() => decode(bytes, context, defaultLabelMapping, limits), {
        code: 'unprocessable',
        message: 'profile declares sample type cpu/nanoseconds more than once',
      });
    });
  }

  it('refuses an empty payload, which declares no sample types', () => {
    expectHotspotsError(() => explode(new Uint8Array(0)), {
      code: 'unprocessable',
      message: 'profile declares no sample types',
    });
  });

  it('refuses a sample that refers to a missing location', () => {
    const bytes = handBuiltProfile(() => ({ sample: [new Sample({ locationId: [99], value: [1] })] }));

    expectHotspotsError(() => explode(bytes), {
      code: 'unprocessable',
      message: 'a sample refers to location 99, which the profile does not define',
    });
  });

  it('refuses a location that refers to a missing function', () => {
    const bytes = handBuiltProfile(() => ({
      location: [new Location({ id: 1, line: [new Line({ functionId: 7, line: 1 })] })],
      sample: [new Sample({ locationId: [1], value: [1] })],
    }));

    expectHotspotsError(() => explode(bytes), {
      code: 'unprocessable',
      message: 'location 1 refers to missing function 7',
    });
  });

  it('refuses a label that refers beyond the string table', () => {
    const bytes = handBuiltProfile(() => ({
      sample: [new Sample({ value: [1], label: [new Label({ key: 1000, str: 1 })] })],
    }));

    expectHotspotsError(() => explode(bytes), {
      code: 'unprocessable',
      message: 'label key refers to string 1000, beyond the string table',
    });
  });

  it('throws nothing but unprocessable errors for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          explode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
          expect((error as HotspotsError).code).toBe('unprocessable');
        }
      }),
      RUNS,
    );
  });

  it('throws nothing but unprocessable errors for a valid profile with bytes flipped', () => {
    const valid = buildCpuProfile(checkoutSpec);

    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bytes = Uint8Array.from(valid);
        bytes[at] = (bytes[at] ?? 0) ^ mask;
        try {
          explode(bytes);
        } catch (error) {
          expect((error as HotspotsError).code).toBe('unprocessable');
        }
      }),
      RUNS,
    );
  });
});

describe('explodeProfile against the reference decoder', () => {
  const functionNames = ['main.main', 'main.handle', 'net/http.serve', 'runtime.mallocgc', 'db.query', 'json.Marshal'];
  const endpoint = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.constantFrom('GET /cart', `POST /it's`, 'GET "/q"', 'ＧＥＴ /東京', 'a\\b', 'line\nbreak'),
  );
  const spanId = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id) => id.toString());
  const sample = fc.record({
    stack: fc.array(fc.constantFrom(...functionNames), { minLength: 1, maxLength: 6 }),
    cpuNs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    labels: fc.record(
      { [ENDPOINT]: endpoint, [SPAN_ID]: spanId, other: fc.string({ unit: 'binary', minLength: 1 }) },
      { requiredKeys: [] },
    ),
  });
  const spec = fc.record({ samples: fc.array(sample, { minLength: 1, maxLength: 30 }) });
  // Graphemes can be long in UTF-8; the label limit is tested on its own above.
  const roomyLabels = { maxLabelValueBytes: 64 * 1024 };

  /** Totals per (endpoint, span id) read straight from pprof-format's decoding of the bytes. */
  function referenceTotals(bytes: Uint8Array): Map<string, bigint> {
    const profile = Profile.decode(bytes);
    const strings = profile.stringTable.strings;
    const cpuIndex = profile.sampleType.findIndex((t) => strings[Number(t.type)] === 'cpu');
    const totals = new Map<string, bigint>();
    for (const s of profile.sample) {
      const labels = new Map(s.label.map((l) => [strings[Number(l.key)], strings[Number(l.str)]]));
      const key = JSON.stringify([labels.get(ENDPOINT) ?? null, labels.get(SPAN_ID) ?? '0']);
      totals.set(key, (totals.get(key) ?? 0n) + BigInt(s.value[cpuIndex] ?? 0));
    }
    for (const [key, total] of totals) if (total === 0n) totals.delete(key);
    return totals;
  }

  it('gives the same cpu totals per endpoint and span id as pprof-format', () => {
    fc.assert(
      fc.property(spec, (generated) => {
        const bytes = buildCpuProfile(generated);

        const rows = rowsOfType(explode(bytes, roomyLabels), 'cpu');
        const totals = totalsBy(rows, (row) => JSON.stringify([row.endpoint, row.span_id]));

        expect(totals).toEqual(referenceTotals(bytes));
      }),
      RUNS,
    );
  });

  it('gives the same number of sample rows as non-zero sample values in pprof-format', () => {
    fc.assert(
      fc.property(spec, (generated) => {
        const bytes = buildCpuProfile(generated);
        const expected = Profile.decode(bytes).sample.flatMap((s) => s.value.filter((v) => BigInt(v) !== 0n)).length;

        expect(explode(bytes, roomyLabels).samples.length).toBe(expected);
      }),
      RUNS,
    );
  });
});
