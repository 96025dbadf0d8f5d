import { HotspotsError, unprocessable } from '../platform/errors.js';
import type { LabelMapping } from '../platform/labels.js';
import { frameAccess } from './frame-texts.js';
import { LabelSetBuilder } from './label-sets.js';
import { ByteRangeMap } from './lookup-tables.js';
import { addPiece, clearPieces, firstPiece, newPieces, pieceEnd, pieceStart, piecesKey } from './pieces.js';
import { ProfileIndex } from './profile-scan.js';
import { StackTable } from './stack-table.js';
import { growUint32 } from './typed-arrays.js';
import type { ExplodeLimits, ProfileColumns, ProfileContext, SampleType } from './types.js';
import { HI, int64BigInt, LO, WIRE_LEN, WIRE_VARINT } from './wire.js';

/**
 * Turns one pprof profile into ClickHouse rows by reading the protobuf wire format directly. Pure:
 * no I/O, no SDK. Rows are the same, value for value, as the tests' reference computes from
 * pprof-format's decoding (test/unit/explode-differential.test.ts holds the two together); only
 * malformed protobuf is judged differently: see profile-scan.ts.
 *
 * Speed comes from not building the profile as objects: one pass (profile-scan.ts) records where
 * each sample, location, function and string sits; samples are then read in place, and everything
 * repeated is looked up by its raw bytes — a sample's packed location ids find its stack
 * (stack-table.ts), its label records find its label set (label-sets.ts) — so a stack is hashed,
 * and a label set normalised, once per profile. Frame and stack rows are built only when asked
 * for (the consumer asks for the ids it has not inserted before). Strings are decoded when first
 * used. The result is columnar (`CompactSamples`): the consumer encodes it straight into RowBinary.
 *
 * pprof-format cuts short records silently and cannot skip I32/I64 records or tags above field
 * 15; this decoder refuses malformed protobuf as Go's profile reader does. For everything else
 * the two agree.
 */
function explodeInto(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ProfileColumns {
  const profile = new ProfileIndex(data, limits);
  profile.scan();
  const { strings, reader } = profile;

  const sampleCount = profile.sampleCount;
  if (sampleCount > limits.maxSamplesPerProfile) {
    throw unprocessable(`profile has ${sampleCount} samples, above the limit of ${limits.maxSamplesPerProfile}`);
  }
  const sampleTypeList: SampleType[] = [];
  for (let i = 0; i < profile.sampleTypes.length; i += 2) {
    sampleTypeList.push({
      type: strings.get(profile.sampleTypes[i] as number, 'sample type'),
      unit: strings.get(profile.sampleTypes[i + 1] as number, 'sample unit'),
    });
  }
  if (sampleTypeList.length === 0) throw unprocessable('profile declares no sample types');
  // Every function's strings must exist, used or not, as in the reference.
  for (let fn = 0; fn < profile.functionNames.length; fn++) {
    strings.check(profile.functionNames[fn] as number, 'function name');
    strings.check(profile.functionSystemNames[fn] as number, 'function system name');
    strings.check(profile.functionFileNames[fn] as number, 'function file name');
  }

  const stacks = new StackTable(profile, data, limits.maxStackFrames);
  const labelSets = new LabelSetBuilder(reader, strings, mapping, limits);
  const labelSetByRecords = new ByteRangeMap(data, Math.min(sampleCount, 1 << 16));
  const labelSetBySplitRecords = new Map<string, number>();
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);

  const hasTime = profile.timeHi !== 0 || profile.timeLo !== 0;
  const ts = hasTime
    ? Number(int64BigInt(profile.timeHi, profile.timeLo) / 1_000_000_000n)
    : context.fallbackStartSeconds;
  const typeCount = sampleTypeList.length;

  let capacity = Math.max(16, Math.min(sampleCount * Math.min(typeCount, 4), 1 << 20, limits.maxRowsPerProfile));
  let typeColumn = new Uint32Array(capacity);
  let values32 = new Uint32Array(2 * capacity);
  let stackColumn = new Uint32Array(capacity);
  let labelSetColumn = new Uint32Array(capacity);
  let rowCount = 0;

  const locations = newPieces();
  const valuePieces = newPieces();
  const labelPieces = newPieces();

  for (let sample = 0; sample < sampleCount; sample++) {
    const end = profile.sampleEnds[sample] as number;
    reader.pos = profile.sampleStarts[sample] as number;
    reader.end = end;
    clearPieces(locations);
    clearPieces(valuePieces);
    clearPieces(labelPieces);
    let labelCount = 0;
    // Sample: repeated uint64 location_id = 1, repeated int64 value = 2 (packed or not),
    // repeated Label label = 3. Records of each may come split and interleaved.
    while (reader.pos < end) {
      const tagAt = reader.pos;
      // Fields 1–15 have one-byte tags; longer ones take the general path.
      let wireType: number;
      let field: number;
      const tagByte = data[tagAt] as number;
      if (tagByte < 0x80) {
        reader.pos = tagAt + 1;
        wireType = tagByte & 7;
        field = tagByte >>> 3;
      } else {
        field = Math.floor(reader.varint() / 8);
        wireType = reader.lo & 7;
      }
      if (field === 3) {
        if (wireType !== WIRE_LEN) throw profile.wrongType('Sample', field, wireType);
        const length = reader.length();
        reader.pos += length;
        labelCount++;
        // Whole records, tag included: adjacent ones make one range.
        addPiece(labelPieces, tagAt, reader.pos, true);
      } else if (field === 1 || field === 2) {
        let from: number;
        if (wireType === WIRE_LEN) {
          const length = reader.length();
          from = reader.pos;
          reader.pos += length;
        } else if (wireType === WIRE_VARINT) {
          from = reader.pos;
          reader.varint();
        } else {
          throw profile.wrongType('Sample', field, wireType);
        }
        // Varints only: a range per record, as two records' bytes must not run together.
        addPiece(field === 1 ? locations : valuePieces, from, reader.pos, false);
      } else {
        reader.skip(wireType);
      }
    }

    const stack =
      locations.firstEnd > locations.first && locations.more.length === 0
        ? stacks.stack(locations.first, locations.firstEnd)
        : stacks.splitStack(locations);

    // The label set, by the raw bytes of the sample's Label records.
    let labelSet: number;
    if (labelPieces.more.length === 0) {
      const from = labelPieces.first < 0 ? 0 : labelPieces.first;
      const to = labelPieces.first < 0 ? 0 : labelPieces.firstEnd;
      labelSet = labelSetByRecords.get(from, to);
      if (labelSet < 0) {
        labelSet = labelSets.build(labelPieces, labelCount);
        labelSetByRecords.set(from, to, labelSet);
      }
    } else {
      const key = piecesKey(text, labelPieces);
      labelSet = labelSetBySplitRecords.get(key) ?? -1;
      if (labelSet < 0) {
        labelSet = labelSets.build(labelPieces, labelCount);
        labelSetBySplitRecords.set(key, labelSet);
      }
    }

    // One row per value with a sample type and a non-zero value; extra values are ignored.
    let valueIndex = 0;
    for (let piece = firstPiece(valuePieces); piece < valuePieces.more.length; piece += 2) {
      const to = pieceEnd(valuePieces, piece);
      reader.pos = pieceStart(valuePieces, piece);
      reader.end = to;
      while (reader.pos < to) {
        reader.varint();
        const type = valueIndex++;
        if (type >= typeCount || (reader.lo | reader.hi) === 0) continue;
        if (rowCount === limits.maxRowsPerProfile) {
          throw unprocessable(
            `profile has more than ${limits.maxRowsPerProfile} sample values (samples × sample types), the limit (HOTSPOTS_MAX_ROWS_PER_PROFILE)`,
          );
        }
        if (rowCount === capacity) {
          capacity *= 2;
          typeColumn = growUint32(typeColumn, capacity);
          values32 = growUint32(values32, 2 * capacity);
          stackColumn = growUint32(stackColumn, capacity);
          labelSetColumn = growUint32(labelSetColumn, capacity);
        }
        typeColumn[rowCount] = type;
        values32[2 * rowCount + LO] = reader.lo;
        values32[2 * rowCount + HI] = reader.hi;
        stackColumn[rowCount] = stack;
        labelSetColumn[rowCount] = labelSet;
        rowCount++;
      }
    }
  }

  const periodType = profile.periodType;
  return {
    startNs: int64BigInt(profile.timeHi, profile.timeLo) || BigInt(context.fallbackStartSeconds) * 1_000_000_000n,
    durationNs: int64BigInt(profile.durationHi, profile.durationLo),
    period: int64BigInt(profile.periodHi, profile.periodLo),
    periodType: periodType
      ? `${strings.get(periodType[0] as number, 'period type')}/${strings.get(periodType[1] as number, 'period unit')}`
      : '',
    sampleTypes: sampleTypeList.map((t) => `${t.type}/${t.unit}`),
    sampleTypeList,
    sampleCount,
    compact: {
      rowCount,
      sampleTypeIndex: typeColumn.subarray(0, rowCount),
      values: new BigInt64Array(values32.buffer, 0, rowCount),
      stackIndex: stackColumn.subarray(0, rowCount),
      labelSetIndex: labelSetColumn.subarray(0, rowCount),
      labelSets,
      stackIds: new BigUint64Array(stacks.stackIdWords.buffer, 0, stacks.stackCount),
      stackLeafFrames: (stack) => stacks.stackLeafFrames(stack),
      stackCallerFrames: (stack) => stacks.stackCallerFrames(stack),
      ...frameAccess(new BigUint64Array(stacks.frameIdWords.buffer, 0, stacks.frameCount), stacks.frameColumns()),
      ts,
    },
  };
}

/** Pure code over the same bytes fails the same way every time: never worth a retry. */
function unprocessableOnFailure<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof HotspotsError) throw error;
    throw unprocessable(`profile could not be exploded: ${(error as Error).message}`, error);
  }
}

/** The profile's columns by the JavaScript decoder, which decodes or refuses every profile. */
export function decodeInJs(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ProfileColumns {
  return unprocessableOnFailure(() => explodeInto(data, context, mapping, limits));
}
