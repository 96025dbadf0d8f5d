import fc from 'fast-check';
import { Line, Location, Function as PprofFunction, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../shared/platform/bytes.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import type { ProfileContext } from '../../shared/pprof/index.js';
import { createInsertedIds } from '../../shared/profiles/rows/profile-batch-writer.js';
import {
  encodeFrameRow,
  FrameRowEncoder,
  SampleRowEncoder,
  StackRowEncoder,
} from '../../shared/profiles/rows/profile-rows.js';
import { RowBinaryWriter } from '../../shared/profiles/rows/row-binary.js';
import { explodeProfile, explodeProfileCompact, explodeProfileCompactJs, lastBail } from '../support/decoders.js';
import { explodeProfileReference } from '../support/explode-reference.js';
import { buildCpuProfile, type SampleSpec } from '../support/pprof-builder.js';
import { testExplodeLimits, testProfileContext } from '../support/profile-context.js';

/**
 * The consumer's RowBinary encoders against the plainest encoding of the same rows (one writer
 * call per column of the reference's row objects, or of `explodeProfile`'s), and the writer and
 * id set they rely on.
 */
const context: ProfileContext = testProfileContext;
const limits = testExplodeLimits;

/** Many label sets, some long (the shared label-set writer outgrows its first 64 KiB). */
function labelledProfile(): Uint8Array {
  return buildCpuProfile({
    samples: Array.from({ length: 300 }, (_, i) => ({
      stack: [`leaf${i % 7}`, 'main.handle', 'main.main'],
      cpuNs: 10_000_000n + BigInt(i),
      labels: {
        'span id': String(1_000_000_000_000n + BigInt(i)),
        'local root span id': String(1_000_000_000_000n + BigInt(i - (i % 4))),
        'trace endpoint': `GET /items/${i % 9}`,
        note: 'é'.repeat(i % 3 === 0 ? 600 : 3),
      },
    })),
  });
}

/**
 * Label sets at the edges of the label-set columns: texts made while decoding (number labels,
 * lowercased trace ids), no endpoint or trace id, non-ASCII, ids parsed from bytes and by ids.ts.
 */
function edgeLabelProfile(): Uint8Array {
  const ids = ['42', ' 42 ', '007', '18446744073709551615', '18446744073709551616', 'ABCDEF0123456789', 'x'];
  return buildCpuProfile({
    samples: ids.flatMap((id, i): SampleSpec[] => [
      { stack: [`a${i}`, 'main.main'], cpuNs: 10_000_000n, labels: { 'span id': id, 'trace id': `ABC${i}` } },
      {
        stack: [`b${i}`, 'main.main'],
        cpuNs: 20_000_000n,
        labels: { span_id: id, 'trace endpoint': `GET /東京/${i}` },
      },
      { stack: [`c${i}`, 'main.main'], cpuNs: 30_000_000n, numLabels: { 'local root span id': BigInt(i) - 3n } },
      {
        stack: [`d${i}`, 'main.main'],
        cpuNs: 40_000_000n,
        labels: { trace_id: id, endpoint: '' },
        numLabels: { 'trace endpoint': -(2n ** 63n), 'span id': 2n ** 63n - 1n },
      },
    ]),
  });
}

describe('SampleRowEncoder', () => {
  it.each([
    ['many label sets, some long', labelledProfile],
    ['label sets at the edges of the columns', edgeLabelProfile],
  ])('writes exactly the bytes of the reference rows encoded column by column: %s', (_, build) => {
    const bytes = build();
    const compact = explodeProfileCompact(bytes, context, defaultLabelMapping, limits);
    const rows = explodeProfileReference(bytes, context, defaultLabelMapping, limits).samples;
    const plain = new RowBinaryWriter();
    for (const row of rows) {
      for (const text of [row.tenant, row.service, row.env, row.version]) plain.string(text);
      plain.uint32(row.ts);
      for (const text of [row.profile_id, row.ingest_id, row.sample_type, row.sample_unit]) plain.string(text);
      plain.int64(BigInt(row.value));
      plain.uint64(BigInt(row.span_id));
      plain.uint64(BigInt(row.local_root_span_id));
      plain.nullableString(row.endpoint);
      plain.string(row.trace_id);
      plain.stringArray(row.label_keys);
      plain.stringArray(row.label_values);
      plain.uint64(BigInt(row.stack_id));
    }

    for (const chunkBytes of [1, 4096, 1 << 24]) {
      const encoder = new SampleRowEncoder(context, compact);
      const out = new RowBinaryWriter(16);
      const chunks: Buffer[] = [];
      for (let row = 0; row < encoder.rowCount; ) {
        row = encoder.encode(out, row, chunkBytes);
        chunks.push(out.take());
      }
      expect(Buffer.concat(chunks).equals(plain.bytes())).toBe(true);
    }
  });
});

describe('StackRowEncoder', () => {
  it("writes a stack's id and its frame ids, leaf first, as the stacks table reads them", () => {
    const bytes = labelledProfile();
    const compact = explodeProfileCompact(bytes, context, defaultLabelMapping, limits);
    const stacks = explodeProfile(bytes, context, defaultLabelMapping, limits).stacks;
    const fast = new RowBinaryWriter();
    const plain = new RowBinaryWriter();
    const encoder = new StackRowEncoder(context.tenant, compact.compact);
    for (const [stack, row] of stacks.entries()) {
      encoder.encode(fast, stack);
      plain.string(row.tenant);
      plain.uint64(BigInt(row.stack_id));
      plain.uint64Array(row.frame_ids.map(BigInt));
    }
    expect(fast.bytes().equals(plain.bytes())).toBe(true);
  });
});

/**
 * Frames of every kind: named by their location's address (no lines; a function without a name),
 * a line of -1, and (decoded in JavaScript: WebAssembly leaves them) names that are not ASCII.
 */
function frameKindsProfile(unicode: boolean): Uint8Array {
  const strings = new StringTable();
  const fn = (id: number, name: string) =>
    new PprofFunction({
      id,
      name: strings.dedup(name),
      systemName: strings.dedup(`sys.${name}`),
      filename: strings.dedup('a.go'),
    });
  const functions = [fn(1, unicode ? 'main.café' : 'main.main'), fn(2, ''), fn(3, 'pkg.inlined')];
  const locations = [
    new Location({ id: 1, address: 0x401000n, line: [new Line({ functionId: 1, line: 7 })] }),
    new Location({ id: 2, address: 0xffffffff12345n }),
    new Location({
      id: 3,
      address: 0x2an,
      line: [new Line({ functionId: 3, line: -1 }), new Line({ functionId: 2, line: 3 })],
    }),
  ];
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [new Sample({ locationId: [3, 2, 1], value: [1] }), new Sample({ locationId: [2, 1], value: [2] })],
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: 1_790_000_000_000_000_000n,
  }).encode();
}

describe('FrameRowEncoder', () => {
  it.each([
    ['many label sets', labelledProfile, undefined],
    ['frames of every kind', () => frameKindsProfile(false), undefined],
    ['names that are not ASCII', () => frameKindsProfile(true), 'non-ASCII name'],
  ])('writes the bytes encodeFrameRow writes for the reference rows, by either decoder: %s', (_, build, bail) => {
    const bytes = build();
    explodeProfileCompact(bytes, context, defaultLabelMapping, limits);
    expect(lastBail, 'WebAssembly decodes the profile, or leaves it (then JavaScript encodes it twice)').toBe(bail);
    const frames = explodeProfileReference(bytes, context, defaultLabelMapping, limits).frames;
    const plain = new RowBinaryWriter();
    for (const row of frames) encodeFrameRow(plain, row);
    for (const decode of [explodeProfileCompact, explodeProfileCompactJs]) {
      const compact = decode(bytes, context, defaultLabelMapping, limits);
      const fast = new RowBinaryWriter();
      const encoder = new FrameRowEncoder(context.tenant, compact.compact);
      for (let frame = 0; frame < frames.length; frame++) encoder.encode(fast, frame);

      expect(compact.compact.frameIds.length).toBe(frames.length);
      expect(fast.bytes().equals(plain.bytes())).toBe(true);
    }
    expect(frames.length).toBeGreaterThan(3);
  });
});

describe('RowBinaryWriter.int64Number', () => {
  it('writes any integral number as int64 of its bigint does (wrapping past 64 bits)', () => {
    const values = fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63), 1.8446744073709552e19),
    );
    fc.assert(
      fc.property(values, (value) => {
        const fast = new RowBinaryWriter(8);
        const plain = new RowBinaryWriter(8);
        fast.int64Number(value);
        plain.int64(BigInt.asIntN(64, BigInt(value)));
        expect(fast.bytes().equals(plain.bytes())).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('RowBinaryWriter.stringFrom', () => {
  it('writes a copied text as string() writes the text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 5 }), (texts) => {
        const source = {
          utf8Length: (ref: number) => Buffer.byteLength(texts[ref] as string),
          copyUtf8: (ref: number, target: DataView, at: number) =>
            at + Buffer.from(texts[ref] as string).copy(new Uint8Array(target.buffer, target.byteOffset), at),
        };
        const copied = new RowBinaryWriter(8);
        const plain = new RowBinaryWriter(8);
        texts.forEach((text, ref) => {
          copied.stringFrom(source, ref);
          plain.string(text);
        });
        expect(copied.bytes().equals(plain.bytes())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('RowBinaryWriter.take', () => {
  it('hands over what was written; later writes do not touch it', () => {
    const writer = new RowBinaryWriter(8);
    writer.string('first chunk');
    const first = writer.take();
    writer.string('second');
    writer.uint64(2n ** 64n - 1n);
    const second = writer.take();
    expect(first.equals(Buffer.from('\u000bfirst chunk'))).toBe(true);
    expect(second.length).toBe(1 + 6 + 8);
    expect(writer.take().length).toBe(0);
  });
});

describe('RowBinaryWriter.recycle', () => {
  it('writes the next chunk into a buffer given back, and only into one it can own', () => {
    const writer = new RowBinaryWriter(64);
    writer.string('first chunk');
    const first = writer.take();
    writer.recycle(first);
    writer.string('second');
    const second = writer.take();
    expect(second.buffer).toBe(first.buffer);
    expect(second.equals(Buffer.from('\u0006second'))).toBe(true);
  });

  it('takes back only memory it handed over, each time once', () => {
    // A pooled buffer may start at offset 0 and still share its memory with others.
    const writer = new RowBinaryWriter(64);
    const pooled = Buffer.allocUnsafe(16);
    writer.recycle(pooled);
    writer.recycle(new Uint8Array(4096));
    writer.string('x');
    const own = writer.take();
    expect(own.buffer).not.toBe(pooled.buffer);
    expect(own.buffer.byteLength).toBe(64);

    // Given back twice while the writer already writes into it: the second would let the next
    // chunk overwrite this one while its insert may still read it.
    writer.recycle(own);
    writer.string('in flight');
    writer.recycle(own);
    const inFlight = writer.take();
    expect(inFlight.buffer).toBe(own.buffer);
    writer.string('next chunk');
    const next = writer.take();
    expect(next.buffer).not.toBe(inFlight.buffer);
    expect(inFlight.equals(Buffer.from('\u0009in flight'))).toBe(true);
  });
});

describe('createInsertedIds', () => {
  it('keeps ids per tenant and kind', () => {
    const ids = createInsertedIds(10);
    ids.add('acme', 'frames', 1, 2);
    expect(ids.has('acme', 'frames', 1, 2)).toBe(true);
    expect(ids.has('acme', 'stacks', 1, 2)).toBe(false);
    expect(ids.has('other', 'frames', 1, 2)).toBe(false);
    expect(ids.has('acme', 'frames', 2, 1)).toBe(false);
  });

  it('forgets everything when full (a forgotten id only costs a redundant insert)', () => {
    const ids = createInsertedIds(3);
    for (let lo = 0; lo < 3; lo++) ids.add('acme', 'stacks', 0, lo);
    expect(ids.has('acme', 'stacks', 0, 2)).toBe(true);
    ids.add('acme', 'stacks', 0, 3);
    expect([0, 1, 2].map((lo) => ids.has('acme', 'stacks', 0, lo))).toEqual([false, false, false]);
    expect(ids.has('acme', 'stacks', 0, 3)).toBe(true);
  });
});

describe('copyBytes', () => {
  it('copies any range to any offset as Buffer.copy does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.nat(80),
        fc.nat(80),
        fc.nat(20),
        (source, from, length, at) => {
          const start = Math.min(from, source.length);
          const end = Math.min(start + length, source.length);
          const expected = Buffer.alloc(120, 7);
          Buffer.from(source).copy(expected, at, start, end);
          const target = Buffer.alloc(120, 7);
          const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          copyBytes(view(target), at, view(source), start, end);
          expect(target.equals(expected)).toBe(true);
        },
      ),
    );
  });
});
