import * as crypto from 'node:crypto';
import { HotspotsError, unprocessable } from '../errors.js';
import { type LabelMapping, normaliseLabels } from '../labels.js';
import { ByteRangeMap, Uint64Map } from './lookup-tables.js';
import type { ExplodedProfile, ExplodeLimits, FrameRow, ProfileContext, SampleRow, StackRow } from './rows.js';
import { int64BigInt, uint64Decimal, WIRE_LEN, WIRE_VARINT, WireReader } from './wire.js';

export type {
  ExplodedProfile,
  ExplodeLimits,
  FrameRow,
  Int64Json,
  ProfileContext,
  SampleRow,
  StackRow,
} from './rows.js';

/**
 * Turns one pprof profile into ClickHouse rows by reading the protobuf wire format directly
 * (google/pprof proto/profile.proto; field numbers are cited where they are read). Pure: no I/O,
 * no SDK. Rows are the same, value for value, as explode-reference.ts computes from
 * pprof-format's decoding (test/unit/explode-differential.test.ts holds the two together); only
 * malformed protobuf is judged differently: see "Malformed input" below.
 *
 * Speed comes from not building the profile as objects: one pass records where each sample,
 * location, function and string sits; samples are then read in place, and everything repeated is
 * looked up by its raw bytes — a sample's packed location ids find its stack, its label records
 * find its label set — so a stack is hashed, and a label set normalised, once per profile.
 * Strings are decoded when first used. The result is columnar (`CompactSamples`): the consumer
 * encodes it straight into RowBinary; `materialiseSampleRows` builds the row objects of
 * `explodeProfile` from it.
 *
 * Malformed input: anything protobuf does not allow is refused (unprocessable), as Go's profile
 * reader refuses it — a truncated varint or record, a length past the end of its message, a
 * varint over 64 bits, wire types 3, 4, 6, 7, and a known field sent with the wrong wire type.
 * pprof-format instead cuts short records silently and cannot skip I32/I64 records or tags above
 * field 15; for everything else the two agree.
 */
export interface LabelSet {
  /** Decimal uint64, as normaliseLabels returns it; '0' when absent. */
  spanId: string;
  localRootSpanId: string;
  endpoint: string | null;
  traceId: string;
  /** Every label with a value, in the sample's order (a repeated key appears each time). */
  keys: string[];
  values: string[];
}

export interface SampleType {
  type: string;
  unit: string;
}

/** The sample rows of one profile, one entry per row in each column, and the stacks they point at. */
export interface CompactSamples {
  rowCount: number;
  /** Index into `sampleTypeList`. */
  sampleTypeIndex: Uint32Array;
  /** The value, int64 (two's complement, as Go reads profile.proto's int64). */
  values: BigInt64Array;
  /** Index into `stackIds` (and into `stacks` when stack rows are built). */
  stackIndex: Uint32Array;
  /** Index into `labelSets`. */
  labelSetIndex: Uint32Array;
  labelSets: LabelSet[];
  /** stack_id of each stack. */
  stackIds: BigUint64Array;
  /** Stack i's frames, leaf first, are stackFrames[stackFrameStarts[i] … stackFrameStarts[i + 1]). */
  stackFrameStarts: Uint32Array;
  /** Indices into `frames` (and `frameIds`). */
  stackFrames: Uint32Array;
  /** frame_id of each entry of `frames`, same order. */
  frameIds: BigUint64Array;
  /** The profile's start second, the `ts` of every row. */
  ts: number;
}

export interface CompactExplodedProfile extends Omit<ExplodedProfile, 'samples'> {
  sampleTypeList: SampleType[];
  compact: CompactSamples;
}

export interface CompactOptions {
  /**
   * Also build `stacks` as StackRow objects (the default). Without them `stacks` is empty and the
   * stacks are only in the columns of `compact`, which saves an array of frame id strings per
   * stack: a RowBinary encoder has no use for those.
   */
  stackRows?: boolean;
}

type IdKey = number | string;

const TWO_32 = 4294967296;
const NO_FRAMES: readonly number[] = [];
// Profile ids below 2^53 are Map keys as numbers, larger ones as their exact decimal text.
const SAFE_HI = 0x200000;
// 64-bit columns are written through a 32-bit view of the same memory: no bigint per row.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;
// Same decoding as pprof-format (`new TextDecoder().decode`): invalid UTF-8 becomes U+FFFD and a
// leading byte-order mark is dropped.
const utf8 = new TextDecoder();

// crypto.hash (Node ≥ 20.12) hashes without a Hash object: about twice as fast for short inputs.
const sha1: (data: string) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha1', data, 'binary')
    : (data) => crypto.createHash('sha1').update(data).digest('binary');
const sha1Bytes: (data: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha1', data, 'binary')
    : (data) => crypto.createHash('sha1').update(data).digest('binary');

// The halves of the last id hashed (module state rather than an object per call).
let hashHi = 0;
let hashLo = 0;

/** Frame and stack ids: the first 8 bytes of a SHA-1 digest, big-endian, as a uint64 (explode-reference.ts's hash64). */
function hashDigest(d: string): void {
  hashHi = ((d.charCodeAt(0) << 24) | (d.charCodeAt(1) << 16) | (d.charCodeAt(2) << 8) | d.charCodeAt(3)) >>> 0;
  hashLo = ((d.charCodeAt(4) << 24) | (d.charCodeAt(5) << 16) | (d.charCodeAt(6) << 8) | d.charCodeAt(7)) >>> 0;
}

function hashId(text: string): void {
  hashDigest(sha1(text));
}

/**
 * The text a stack_id hashes — its frame ids joined by commas — is assembled without a string
 * per stack: each location's and caller path's part of it is written once into one buffer, and a
 * stack's text is assembled by copies inside that buffer (no allocation) and hashed in place.
 * Parts are ASCII (decimal ids and commas), so their bytes are their UTF-8.
 */
class StackTexts {
  private bytes = new Uint8Array(1 << 16);
  private text = Buffer.from(this.bytes.buffer);
  /** [0, assembly) is where a stack's text is put together; parts follow. */
  private assembly = 4096;
  private used = 0;
  /** views[n] = bytes[0, n): a stack of n bytes is hashed through a view made once. */
  private views: (Uint8Array | undefined)[] = [];

  /** Stores a part; returns where it is (its length is the text's). */
  add(text: string): number {
    const at = this.used;
    this.reserve(this.assembly, at + text.length);
    this.text.write(text, this.assembly + at, 'latin1');
    this.used = at + text.length;
    return at;
  }

  /** Hashes part a, or part a, a comma and part b (bLength < 0: no b), into hashHi/hashLo. */
  hash(a: number, aLength: number, b: number, bLength: number): void {
    const length = bLength < 0 ? aLength : aLength + 1 + bLength;
    if (length > this.assembly) this.reserve(2 * length, this.used);
    const bytes = this.bytes;
    const parts = this.assembly;
    bytes.copyWithin(0, parts + a, parts + a + aLength);
    if (bLength >= 0) {
      bytes[aLength] = 0x2c;
      bytes.copyWithin(aLength + 1, parts + b, parts + b + bLength);
    }
    let view = this.views[length];
    if (view === undefined) {
      view = bytes.subarray(0, length);
      this.views[length] = view;
    }
    hashDigest(sha1Bytes(view));
  }

  /** Makes room for an assembly area of `assembly` bytes and parts up to `partsEnd`. */
  private reserve(assembly: number, partsEnd: number): void {
    if (assembly === this.assembly && assembly + partsEnd <= this.bytes.length) return;
    let size = this.bytes.length;
    while (size < assembly + partsEnd) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(this.assembly, this.assembly + this.used), assembly);
    this.bytes = bytes;
    this.text = Buffer.from(bytes.buffer);
    this.assembly = assembly;
    this.views = [];
  }
}

function growUint32(column: Uint32Array, size: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(size);
  grown.set(column);
  return grown;
}

/** profile.proto string_table (Profile field 6): byte ranges, decoded on first use. */
class Strings {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private decoded: (string | undefined)[] = [];
  private byteLengths: number[] = [];
  private readonly text: Buffer;

  constructor(private readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get count(): number {
    return this.starts.length;
  }

  add(start: number, end: number): void {
    this.starts.push(start);
    this.ends.push(end);
  }

  /** Fixes the table once read; pprof-format reads a profile without one as the table [""]. */
  seal(): void {
    if (this.starts.length === 0) this.add(0, 0);
    this.decoded = new Array(this.starts.length);
    this.byteLengths = new Array(this.starts.length);
  }

  check(index: number, what: string): void {
    if (!(index < this.starts.length))
      throw unprocessable(`${what} refers to string ${index}, beyond the string table`);
  }

  get(index: number, what: string): string {
    const known = this.decoded[index];
    if (known !== undefined) return known;
    this.check(index, what);
    const start = this.starts[index] as number;
    const end = this.ends[index] as number;
    const bytes = this.bytes;
    let ascii = true;
    for (let at = start; at < end; at++) {
      if ((bytes[at] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    const text = ascii ? this.text.toString('latin1', start, end) : utf8.decode(bytes.subarray(start, end));
    this.decoded[index] = text;
    this.byteLengths[index] = ascii ? end - start : Buffer.byteLength(text);
    return text;
  }

  /** UTF-8 length of the decoded string (U+FFFD replacements count 3 bytes, as in the reference). */
  byteLength(index: number, what: string): number {
    const known = this.byteLengths[index];
    if (known !== undefined) return known;
    this.get(index, what);
    return this.byteLengths[index] as number;
  }
}

/** The locations after a stack's leaf: their frames, and where their part of the stack text is. */
interface CallerPath {
  frames: number[];
  text: number;
  textLength: number;
}

/** Where a sample's location ids, values or label records sit: [from, to) byte ranges. */
interface Pieces {
  first: number;
  firstEnd: number;
  /** Further ranges, as from, to pairs (rare: fields split in several records). */
  more: number[];
}

function addPiece(pieces: Pieces, from: number, to: number, joinAdjacent: boolean): void {
  const more = pieces.more;
  if (pieces.first < 0) {
    pieces.first = from;
    pieces.firstEnd = to;
  } else if (joinAdjacent && more.length === 0 && pieces.firstEnd === from) {
    pieces.firstEnd = to;
  } else if (joinAdjacent && more[more.length - 1] === from) {
    more[more.length - 1] = to;
  } else {
    more.push(from, to);
  }
}

/** Piece -2 is the first range, 0, 2, … the further ones. */
const pieceStart = (pieces: Pieces, piece: number): number =>
  piece < 0 ? pieces.first : (pieces.more[piece] as number);
const pieceEnd = (pieces: Pieces, piece: number): number =>
  piece < 0 ? pieces.firstEnd : (pieces.more[piece + 1] as number);
/** The first piece to visit: -2, or past the end when there is none. */
const firstPiece = (pieces: Pieces): number => (pieces.first < 0 ? pieces.more.length : -2);

class ProfileExploder {
  private readonly reader: WireReader;
  private readonly text: Buffer;
  private readonly strings: Strings;

  private readonly sampleTypes: number[] = [];
  private periodType: number[] | undefined;
  private readonly sampleStarts: number[] = [];
  private readonly sampleEnds: number[] = [];
  private timeHi = 0;
  private timeLo = 0;
  private durationHi = 0;
  private durationLo = 0;
  private periodHi = 0;
  private periodLo = 0;

  // profile.proto Location (Profile field 4), by id; lines in flat columns.
  private readonly locationById = new Map<IdKey, number>();
  private readonly locationIds: IdKey[] = [];
  private readonly locationAddressHi: number[] = [];
  private readonly locationAddressLo: number[] = [];
  private readonly locationLinesFrom: number[] = [];
  private readonly locationLinesTo: number[] = [];
  private readonly lineFunctionIds: IdKey[] = [];
  private readonly lineNumbers: number[] = [];
  // Per location: its frames (indices into `frames`) and their ids joined by commas.
  private framesOfLocation: (number[] | undefined)[] = [];
  private textOfLocation = new Int32Array(0);
  private textLengthOfLocation = new Int32Array(0);
  private readonly stackTexts = new StackTexts();
  // Location ids 1…n (what every encoder writes) are looked up in an array, others in the Map.
  private locationByDenseId = new Int32Array(0);

  // profile.proto Function (Profile field 5), by id.
  private readonly functionById = new Map<IdKey, number>();
  private readonly functionNames: number[] = [];
  private readonly functionSystemNames: number[] = [];
  private readonly functionFileNames: number[] = [];

  private readonly frames: FrameRow[] = [];
  /** frames[i].frame_id, in an array of their own: stacks read them by the hundred thousand. */
  private readonly frameIdTexts: string[] = [];
  private readonly frameById = new Uint64Map(1024);
  private frameIdWords = new Uint32Array(256);
  // Stacks in columns: ids, and frames[stackFrameStarts[i] … stackFrameStarts[i + 1]) per stack.
  private readonly stacks: StackRow[] = [];
  private readonly stackById = new Uint64Map(1024);
  private stackIdWords = new Uint32Array(256);
  private stackFrameStarts = new Uint32Array(257);
  private stackFrames = new Uint32Array(4096);
  private stackCount = 0;
  // Stacks by leaf location and caller path (below) when a sample's ids come in one record, by
  // the key text of their records when split (rare).
  private readonly stackByLeafAndPath = new Uint64Map(1024);
  private readonly stackBySplitLocations = new Map<string, number>();
  private stackOfNoLocations = -1;
  // The frames after the leaf, shared by the stacks of one call path (see `stack`).
  private readonly callerPathByLocations: ByteRangeMap;
  private readonly callerPaths: CallerPath[] = [];
  private readonly labelSets: LabelSet[] = [];
  private readonly labelSetByRecords: ByteRangeMap;
  private readonly labelSetBySplitRecords = new Map<string, number>();
  /** First value of each key of the label set being built (normaliseLabels reads it, keeps nothing). */
  private readonly labelScratch = new Map<string, string>();

  constructor(
    private readonly data: Uint8Array,
    private readonly context: ProfileContext,
    private readonly mapping: LabelMapping,
    private readonly limits: ExplodeLimits,
    private readonly stackRows: boolean,
  ) {
    this.reader = new WireReader(data, 'pprof profile');
    this.text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.strings = new Strings(data);
    this.callerPathByLocations = new ByteRangeMap(data, 256);
    this.labelSetByRecords = new ByteRangeMap(data, 1024);
  }

  private wrongType(message: string, field: number, wireType: number): HotspotsError {
    return this.reader.fail(`${message} field ${field} has wire type ${wireType}`);
  }

  /** Enters a LEN record holding a sub-message; returns the end to restore when done. */
  private enter(): number {
    const reader = this.reader;
    const length = reader.length();
    const outer = reader.end;
    reader.end = reader.pos + length;
    return outer;
  }

  /** A varint field: reads it, refusing any other wire type (as Go's decodeInt64 does). */
  private varintField(message: string, field: number, wireType: number): number {
    if (wireType !== WIRE_VARINT) throw this.wrongType(message, field, wireType);
    return this.reader.varint();
  }

  private idKey(value: number): IdKey {
    const reader = this.reader;
    return reader.hi < SAFE_HI ? value : uint64Decimal(reader.hi, reader.lo);
  }

  /** The Profile message: records where everything is; samples are read afterwards. */
  scan(): void {
    const reader = this.reader;
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      switch (field) {
        case 1: // repeated ValueType sample_type = 1
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          this.sampleTypes.push(...this.valueType());
          break;
        case 2: {
          // repeated Sample sample = 2: read in place later
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          const length = reader.length();
          this.sampleStarts.push(reader.pos);
          this.sampleEnds.push(reader.pos + length);
          reader.pos += length;
          break;
        }
        case 3: // repeated Mapping mapping = 3: unused, but must be well-formed
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          this.mappingMessage();
          break;
        case 4: // repeated Location location = 4
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          this.location();
          break;
        case 5: // repeated Function function = 5
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          this.function();
          break;
        case 6: {
          // repeated string string_table = 6
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          const length = reader.length();
          this.strings.add(reader.pos, reader.pos + length);
          reader.pos += length;
          break;
        }
        case 9: // int64 time_nanos = 9
          this.varintField('Profile', field, wireType);
          this.timeHi = reader.hi;
          this.timeLo = reader.lo;
          break;
        case 10: // int64 duration_nanos = 10
          this.varintField('Profile', field, wireType);
          this.durationHi = reader.hi;
          this.durationLo = reader.lo;
          break;
        case 11: // ValueType period_type = 11 (the last one wins, as in pprof-format and Go)
          if (wireType !== WIRE_LEN) throw this.wrongType('Profile', field, wireType);
          this.periodType = this.valueType();
          break;
        case 12: // int64 period = 12
          this.varintField('Profile', field, wireType);
          this.periodHi = reader.hi;
          this.periodLo = reader.lo;
          break;
        case 13: // repeated int64 comment = 13, packed or not
          this.repeatedVarint('Profile', field, wireType);
          break;
        case 7: // int64 drop_frames = 7
        case 8: // int64 keep_frames = 8
        case 14: // int64 default_sample_type = 14
        case 15: // int64 doc_url = 15
          this.varintField('Profile', field, wireType);
          break;
        default:
          reader.skip(wireType);
      }
    }
    this.strings.seal();
    const locationCount = this.locationIds.length;
    this.framesOfLocation = new Array(locationCount);
    this.textOfLocation = new Int32Array(locationCount).fill(-1);
    this.textLengthOfLocation = new Int32Array(locationCount);
    this.locationByDenseId = new Int32Array(locationCount + 1).fill(-1);
    for (let location = 0; location < locationCount; location++) {
      const id = this.locationIds[location];
      if (typeof id === 'number' && id <= locationCount) this.locationByDenseId[id] = location;
    }
  }

  private locationOf(id: IdKey): number {
    const location =
      typeof id === 'number' && id < this.locationByDenseId.length
        ? (this.locationByDenseId[id] as number)
        : (this.locationById.get(id) ?? -1);
    if (location < 0) throw unprocessable(`a sample refers to location ${id}, which the profile does not define`);
    return location;
  }

  /** ValueType: int64 type = 1, int64 unit = 2 (string indices); returns [type, unit]. */
  private valueType(): number[] {
    const reader = this.reader;
    const outer = this.enter();
    let type = 0;
    let unit = 0;
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      if (field === 1) type = this.varintField('ValueType', field, wireType);
      else if (field === 2) unit = this.varintField('ValueType', field, wireType);
      else reader.skip(wireType);
    }
    reader.end = outer;
    return [type, unit];
  }

  /** Mapping: fields 1–6 (u)int64, 7–10 bool, all varints. */
  private mappingMessage(): void {
    const reader = this.reader;
    const outer = this.enter();
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      if (field >= 1 && field <= 10) this.varintField('Mapping', field, wireType);
      else reader.skip(wireType);
    }
    reader.end = outer;
  }

  /** A packed (LEN) or unpacked (VARINT) record of a repeated varint field. */
  private repeatedVarint(message: string, field: number, wireType: number): void {
    const reader = this.reader;
    if (wireType === WIRE_VARINT) {
      reader.varint();
    } else if (wireType === WIRE_LEN) {
      const outer = this.enter();
      while (reader.pos < reader.end) reader.varint();
      reader.end = outer;
    } else {
      throw this.wrongType(message, field, wireType);
    }
  }

  /** Location: uint64 id = 1, mapping_id = 2, address = 3, repeated Line line = 4, bool is_folded = 5. */
  private location(): void {
    const reader = this.reader;
    const outer = this.enter();
    let id: IdKey = 0;
    let addressHi = 0;
    let addressLo = 0;
    const linesFrom = this.lineNumbers.length;
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      switch (field) {
        case 1:
          id = this.idKey(this.varintField('Location', field, wireType));
          break;
        case 3:
          this.varintField('Location', field, wireType);
          addressHi = reader.hi;
          addressLo = reader.lo;
          break;
        case 4:
          if (wireType !== WIRE_LEN) throw this.wrongType('Location', field, wireType);
          this.line();
          break;
        case 2:
        case 5:
          this.varintField('Location', field, wireType);
          break;
        default:
          reader.skip(wireType);
      }
    }
    reader.end = outer;
    // A repeated id replaces the earlier location, as in the reference's Map.
    this.locationById.set(id, this.locationIds.length);
    this.locationIds.push(id);
    this.locationAddressHi.push(addressHi);
    this.locationAddressLo.push(addressLo);
    this.locationLinesFrom.push(linesFrom);
    this.locationLinesTo.push(this.lineNumbers.length);
  }

  /** Line: uint64 function_id = 1, int64 line = 2, int64 column = 3. */
  private line(): void {
    const reader = this.reader;
    const outer = this.enter();
    let functionId: IdKey = 0;
    let line = 0;
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      if (field === 1) functionId = this.idKey(this.varintField('Line', field, wireType));
      // The reference reads line numbers unsigned, as pprof-format hands them back: -1 is 2^64 − 1.
      else if (field === 2) line = this.varintField('Line', field, wireType);
      else if (field === 3) this.varintField('Line', field, wireType);
      else reader.skip(wireType);
    }
    reader.end = outer;
    this.lineFunctionIds.push(functionId);
    this.lineNumbers.push(line);
  }

  /** Function: uint64 id = 1, int64 name = 2, system_name = 3, filename = 4, start_line = 5. */
  private function(): void {
    const reader = this.reader;
    const outer = this.enter();
    let id: IdKey = 0;
    let name = 0;
    let systemName = 0;
    let fileName = 0;
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const wireType = reader.lo & 7;
      const field = Math.floor(tag / 8);
      switch (field) {
        case 1:
          id = this.idKey(this.varintField('Function', field, wireType));
          break;
        case 2:
          name = this.varintField('Function', field, wireType);
          break;
        case 3:
          systemName = this.varintField('Function', field, wireType);
          break;
        case 4:
          fileName = this.varintField('Function', field, wireType);
          break;
        case 5:
          this.varintField('Function', field, wireType);
          break;
        default:
          reader.skip(wireType);
      }
    }
    reader.end = outer;
    this.functionById.set(id, this.functionNames.length);
    this.functionNames.push(name);
    this.functionSystemNames.push(systemName);
    this.functionFileNames.push(fileName);
  }

  private addressName(location: number): string {
    const hi = this.locationAddressHi[location] as number;
    const lo = this.locationAddressLo[location] as number;
    return `0x${hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0')}`;
  }

  /** The frame (index into `frames`) of these names and line; frame_id hashes them. */
  private frame(name: string, systemName: string, fileName: string, line: number): number {
    hashId(`${name}\u0000${systemName}\u0000${fileName}\u0000${line}`);
    const known = this.frameById.get(hashHi, hashLo);
    if (known >= 0) return known;
    const index = this.frames.length;
    this.frameById.set(hashHi, hashLo, index);
    if (2 * index + 2 > this.frameIdWords.length) this.frameIdWords = growUint32(this.frameIdWords, 4 * index + 4);
    this.frameIdWords[2 * index + LO] = hashLo;
    this.frameIdWords[2 * index + HI] = hashHi;
    const frameId = uint64Decimal(hashHi, hashLo);
    this.frameIdTexts.push(frameId);
    this.frames.push({
      tenant: this.context.tenant,
      frame_id: frameId,
      function_name: name,
      system_name: systemName,
      file_name: fileName,
      line,
    });
    return index;
  }

  /**
   * A location's frames. pprof lists a location's lines innermost first (the last entry is the
   * caller the others were inlined into), and a sample's locations leaf first: concatenating
   * keeps the stack leaf first. A location without lines is one frame named by its address.
   */
  private locationFrames(location: number): number[] {
    const known = this.framesOfLocation[location];
    if (known) return known;
    const strings = this.strings;
    const frames: number[] = [];
    const from = this.locationLinesFrom[location] as number;
    const to = this.locationLinesTo[location] as number;
    if (from === to) frames.push(this.frame(this.addressName(location), '', '', 0));
    for (let line = from; line < to; line++) {
      const functionId = this.lineFunctionIds[line] as IdKey;
      const fn = this.functionById.get(functionId);
      if (fn === undefined) {
        throw unprocessable(`location ${this.locationIds[location]} refers to missing function ${functionId}`);
      }
      const name = strings.get(this.functionNames[fn] as number, 'function name') || this.addressName(location);
      frames.push(
        this.frame(
          name,
          strings.get(this.functionSystemNames[fn] as number, 'function system name'),
          strings.get(this.functionFileNames[fn] as number, 'function file name'),
          this.lineNumbers[line] as number,
        ),
      );
    }
    this.framesOfLocation[location] = frames;
    return frames;
  }

  /** The ids of frames joined by commas: what a stack_id hashes. */
  private framesText(frames: readonly number[]): string {
    const frameIds: string[] = new Array(frames.length);
    for (let i = 0; i < frames.length; i++) frameIds[i] = this.frameIdTexts[frames[i] as number] as string;
    return frameIds.join(',');
  }

  /** Where the location's frame ids, joined by commas, are in `stackTexts`. */
  private locationText(location: number): number {
    const known = this.textOfLocation[location] as number;
    if (known >= 0) return known;
    const text = this.framesText(this.locationFrames(location));
    const at = this.stackTexts.add(text);
    this.textOfLocation[location] = at;
    this.textLengthOfLocation[location] = text.length;
    return at;
  }

  /** Appends the frames of the locations whose packed ids sit in [from, to). */
  private framesOfRange(frames: number[], from: number, to: number): void {
    const reader = this.reader;
    reader.pos = from;
    reader.end = to;
    while (reader.pos < to) {
      for (const frame of this.locationFrames(this.locationOf(this.idKey(reader.varint())))) frames.push(frame);
    }
  }

  /** The stack of these frames (leaf first, then `callers`); its id is in hashHi/hashLo. */
  private addStack(leaf: readonly number[], callers: readonly number[]): number {
    const known = this.stackById.get(hashHi, hashLo);
    if (known >= 0) return known; // another location list with the same frames: the first one stays
    const index = this.stackCount++;
    this.stackById.set(hashHi, hashLo, index);
    if (2 * index + 2 > this.stackIdWords.length) this.stackIdWords = growUint32(this.stackIdWords, 4 * index + 4);
    this.stackIdWords[2 * index + LO] = hashLo;
    this.stackIdWords[2 * index + HI] = hashHi;
    if (index + 2 > this.stackFrameStarts.length)
      this.stackFrameStarts = growUint32(this.stackFrameStarts, 2 * index + 2);
    const start = this.stackFrameStarts[index] as number;
    const end = start + leaf.length + callers.length;
    if (end > this.stackFrames.length) this.stackFrames = growUint32(this.stackFrames, 2 * end);
    const stackFrames = this.stackFrames;
    let at = start;
    for (let i = 0; i < leaf.length; i++) stackFrames[at++] = leaf[i] as number;
    for (let i = 0; i < callers.length; i++) stackFrames[at++] = callers[i] as number;
    this.stackFrameStarts[index + 1] = end;
    if (this.stackRows) {
      const frameIdTexts = this.frameIdTexts;
      const frameIds: string[] = new Array(end - start);
      for (let i = start; i < end; i++) frameIds[i - start] = frameIdTexts[stackFrames[i] as number] as string;
      this.stacks.push({ tenant: this.context.tenant, stack_id: uint64Decimal(hashHi, hashLo), frame_ids: frameIds });
    }
    return index;
  }

  /**
   * The stack of the packed location ids in [from, to). A stack's id hashes its frame ids joined
   * by commas, leaf first. Stacks that differ only in their leaf share the rest, the caller path:
   * it is found by its raw bytes, its frames and text are built once, and a stack is then found
   * by (leaf, caller path) — no key made of the whole stack.
   */
  private stack(from: number, to: number): number {
    const reader = this.reader;
    reader.pos = from;
    reader.end = to;
    const leaf = this.locationOf(this.idKey(reader.varint()));
    const callersFrom = reader.pos;
    // Frames are listed in the order stacks first reach them: the leaf's before its callers'.
    const leafFrames = this.locationFrames(leaf);
    let path = -1;
    if (callersFrom < to) {
      path = this.callerPathByLocations.get(callersFrom, to);
      if (path < 0) {
        const frames: number[] = [];
        this.framesOfRange(frames, callersFrom, to);
        const text = this.framesText(frames);
        path = this.callerPaths.length;
        this.callerPaths.push({ frames, text: this.stackTexts.add(text), textLength: text.length });
        this.callerPathByLocations.set(callersFrom, to, path);
      }
    }
    const known = this.stackByLeafAndPath.get(leaf, path >>> 0);
    if (known >= 0) return known;
    const leafText = this.locationText(leaf);
    const leafTextLength = this.textLengthOfLocation[leaf] as number;
    let index: number;
    if (path < 0) {
      this.stackTexts.hash(leafText, leafTextLength, 0, -1);
      index = this.addStack(leafFrames, NO_FRAMES);
    } else {
      const callers = this.callerPaths[path] as CallerPath;
      this.stackTexts.hash(leafText, leafTextLength, callers.text, callers.textLength);
      index = this.addStack(leafFrames, callers.frames);
    }
    this.stackByLeafAndPath.set(leaf, path >>> 0, index);
    return index;
  }

  /** The stack of a sample whose location ids come in several records, or none. */
  private splitStack(pieces: Pieces): number {
    if (pieces.first < 0 || (pieces.first === pieces.firstEnd && pieces.more.length === 0)) {
      if (this.stackOfNoLocations < 0) {
        hashId('');
        this.stackOfNoLocations = this.addStack(NO_FRAMES, NO_FRAMES);
      }
      return this.stackOfNoLocations;
    }
    const key = this.piecesKey(pieces);
    const known = this.stackBySplitLocations.get(key);
    if (known !== undefined) return known;
    const frames: number[] = [];
    for (let piece = firstPiece(pieces); piece < pieces.more.length; piece += 2) {
      this.framesOfRange(frames, pieceStart(pieces, piece), pieceEnd(pieces, piece));
    }
    hashId(this.framesText(frames));
    const index = this.addStack(frames, NO_FRAMES);
    this.stackBySplitLocations.set(key, index);
    return index;
  }

  /** The label set of the Label records (Sample field 3) in `pieces`, `count` of them. */
  private labelSet(pieces: Pieces, count: number): number {
    if (pieces.more.length === 0) {
      const from = pieces.first < 0 ? 0 : pieces.first;
      const to = pieces.first < 0 ? 0 : pieces.firstEnd;
      let index = this.labelSetByRecords.get(from, to);
      if (index < 0) {
        index = this.buildLabelSet(pieces, count);
        this.labelSetByRecords.set(from, to, index);
      }
      return index;
    }
    const key = this.piecesKey(pieces);
    let index = this.labelSetBySplitRecords.get(key);
    if (index === undefined) {
      index = this.buildLabelSet(pieces, count);
      this.labelSetBySplitRecords.set(key, index);
    }
    return index;
  }

  private buildLabelSet(pieces: Pieces, count: number): number {
    const { limits, strings } = this;
    if (count > limits.maxLabelsPerSample) {
      throw unprocessable(`a sample has ${count} labels, above the limit of ${limits.maxLabelsPerSample}`);
    }
    const reader = this.reader;
    const labels = this.labelScratch;
    labels.clear();
    const keys: string[] = [];
    const values: string[] = [];
    for (let piece = firstPiece(pieces); piece < pieces.more.length; piece += 2) {
      const to = pieceEnd(pieces, piece);
      reader.pos = pieceStart(pieces, piece);
      reader.end = to;
      while (reader.pos < to) {
        reader.varint(); // the tag of Sample field 3, checked when the sample was read
        const outer = this.enter();
        // Label: int64 key = 1, str = 2, num = 3, num_unit = 4 (key, str, num_unit: string indices)
        let keyIndex = 0;
        let strIndex = 0;
        let numHi = 0;
        let numLo = 0;
        while (reader.pos < reader.end) {
          const tag = reader.varint();
          const wireType = reader.lo & 7;
          const field = Math.floor(tag / 8);
          if (field === 1) keyIndex = this.varintField('Label', field, wireType);
          else if (field === 2) strIndex = this.varintField('Label', field, wireType);
          else if (field === 3) {
            this.varintField('Label', field, wireType);
            numHi = reader.hi;
            numLo = reader.lo;
          } else if (field === 4) this.varintField('Label', field, wireType);
          else reader.skip(wireType);
        }
        reader.end = outer;
        // As Go's profile reader does: a label with neither a string nor a number carries no value.
        if (strIndex === 0 && numHi === 0 && numLo === 0) continue;
        const labelKey = strings.get(keyIndex, 'label key');
        const value = strIndex !== 0 ? strings.get(strIndex, 'label value') : int64BigInt(numHi, numLo).toString();
        const valueBytes = strIndex !== 0 ? strings.byteLength(strIndex, 'label value') : value.length;
        if (
          strings.byteLength(keyIndex, 'label key') > limits.maxLabelValueBytes ||
          valueBytes > limits.maxLabelValueBytes
        ) {
          throw unprocessable(
            `label ${JSON.stringify(labelKey.slice(0, 64))} is longer than ${limits.maxLabelValueBytes} bytes`,
          );
        }
        if (!labels.has(labelKey)) labels.set(labelKey, value);
        keys.push(labelKey);
        values.push(value);
      }
    }
    const normalised = normaliseLabels(labels, this.mapping);
    this.labelSets.push({
      spanId: normalised.spanId,
      localRootSpanId: normalised.localRootSpanId,
      endpoint: normalised.endpoint,
      traceId: normalised.traceId,
      keys,
      values,
    });
    return this.labelSets.length - 1;
  }

  /** The key of a sample's pieces: their raw bytes, one latin1 char per byte ('\u0100' between pieces). */
  private piecesKey(pieces: Pieces): string {
    if (pieces.first < 0) return '';
    let key = this.text.toString('latin1', pieces.first, pieces.firstEnd);
    for (let piece = 0; piece < pieces.more.length; piece += 2) {
      key += `\u0100${this.text.toString('latin1', pieces.more[piece], pieces.more[piece + 1])}`;
    }
    return key;
  }

  explode(): CompactExplodedProfile {
    const { context, limits, strings, reader } = this;
    this.scan();

    const sampleCount = this.sampleStarts.length;
    if (sampleCount > limits.maxSamplesPerProfile) {
      throw unprocessable(`profile has ${sampleCount} samples, above the limit of ${limits.maxSamplesPerProfile}`);
    }
    const sampleTypeList: SampleType[] = [];
    for (let i = 0; i < this.sampleTypes.length; i += 2) {
      sampleTypeList.push({
        type: strings.get(this.sampleTypes[i] as number, 'sample type'),
        unit: strings.get(this.sampleTypes[i + 1] as number, 'sample unit'),
      });
    }
    if (sampleTypeList.length === 0) throw unprocessable('profile declares no sample types');
    // Every function's strings must exist, used or not, as in the reference.
    for (let fn = 0; fn < this.functionNames.length; fn++) {
      strings.check(this.functionNames[fn] as number, 'function name');
      strings.check(this.functionSystemNames[fn] as number, 'function system name');
      strings.check(this.functionFileNames[fn] as number, 'function file name');
    }

    const hasTime = this.timeHi !== 0 || this.timeLo !== 0;
    const ts = hasTime ? Number(int64BigInt(this.timeHi, this.timeLo) / 1_000_000_000n) : context.fallbackStartSeconds;
    const typeCount = sampleTypeList.length;
    const bytes = this.data;

    let capacity = Math.max(16, Math.min(sampleCount * Math.min(typeCount, 4), 1 << 20));
    let typeColumn = new Uint32Array(capacity);
    let values32 = new Uint32Array(2 * capacity);
    let stackColumn = new Uint32Array(capacity);
    let labelSetColumn = new Uint32Array(capacity);
    let rowCount = 0;

    const locations: Pieces = { first: -1, firstEnd: -1, more: [] };
    const valuePieces: Pieces = { first: -1, firstEnd: -1, more: [] };
    const labelPieces: Pieces = { first: -1, firstEnd: -1, more: [] };

    for (let sample = 0; sample < sampleCount; sample++) {
      const end = this.sampleEnds[sample] as number;
      reader.pos = this.sampleStarts[sample] as number;
      reader.end = end;
      locations.first = -1;
      locations.firstEnd = -1;
      locations.more.length = 0;
      valuePieces.first = -1;
      valuePieces.firstEnd = -1;
      valuePieces.more.length = 0;
      labelPieces.first = -1;
      labelPieces.firstEnd = -1;
      labelPieces.more.length = 0;
      let labelCount = 0;
      // Sample: repeated uint64 location_id = 1, repeated int64 value = 2 (packed or not),
      // repeated Label label = 3. Records of each may come split and interleaved.
      while (reader.pos < end) {
        const tagAt = reader.pos;
        // Fields 1–15 have one-byte tags; longer ones take the general path.
        let wireType: number;
        let field: number;
        const tagByte = bytes[tagAt] as number;
        if (tagByte < 0x80) {
          reader.pos = tagAt + 1;
          wireType = tagByte & 7;
          field = tagByte >>> 3;
        } else {
          field = Math.floor(reader.varint() / 8);
          wireType = reader.lo & 7;
        }
        if (field === 3) {
          if (wireType !== WIRE_LEN) throw this.wrongType('Sample', field, wireType);
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
            throw this.wrongType('Sample', field, wireType);
          }
          // Varints only: a range per record, as two records' bytes must not run together.
          addPiece(field === 1 ? locations : valuePieces, from, reader.pos, false);
        } else {
          reader.skip(wireType);
        }
      }

      const stack =
        locations.firstEnd > locations.first && locations.more.length === 0
          ? this.stack(locations.first, locations.firstEnd)
          : this.splitStack(locations);
      const labelSet = this.labelSet(labelPieces, labelCount);

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

    const periodType = this.periodType;
    return {
      startNs: int64BigInt(this.timeHi, this.timeLo) || BigInt(context.fallbackStartSeconds) * 1_000_000_000n,
      durationNs: int64BigInt(this.durationHi, this.durationLo),
      period: int64BigInt(this.periodHi, this.periodLo),
      periodType: periodType
        ? `${strings.get(periodType[0] as number, 'period type')}/${strings.get(periodType[1] as number, 'period unit')}`
        : '',
      sampleTypes: sampleTypeList.map((t) => `${t.type}/${t.unit}`),
      sampleTypeList,
      sampleCount,
      stacks: this.stacks,
      frames: this.frames,
      compact: {
        rowCount,
        sampleTypeIndex: typeColumn.subarray(0, rowCount),
        values: new BigInt64Array(values32.buffer, 0, rowCount),
        stackIndex: stackColumn.subarray(0, rowCount),
        labelSetIndex: labelSetColumn.subarray(0, rowCount),
        labelSets: this.labelSets,
        stackIds: new BigUint64Array(this.stackIdWords.buffer, 0, this.stackCount),
        stackFrameStarts: this.stackFrameStarts.subarray(0, this.stackCount + 1),
        stackFrames: this.stackFrames.subarray(0, this.stackFrameStarts[this.stackCount]),
        frameIds: new BigUint64Array(this.frameIdWords.buffer, 0, this.frames.length),
        ts,
      },
    };
  }
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

/** The rows of a profile in columns (see CompactSamples), for encoding without a row object each. */
export function explodeProfileCompact(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
  options: CompactOptions = {},
): CompactExplodedProfile {
  const stackRows = options.stackRows ?? true;
  return unprocessableOnFailure(() => new ProfileExploder(data, context, mapping, limits, stackRows).explode());
}

function stackIdTexts(profile: CompactExplodedProfile): string[] {
  const { stackIds } = profile.compact;
  if (profile.stacks.length === stackIds.length) return profile.stacks.map((stack) => stack.stack_id);
  return Array.from(stackIds, (id) => id.toString());
}

/** The stacks of a compact profile as StackRow objects (what `stacks` holds unless stackRows was false). */
export function materialiseStackRows(profile: CompactExplodedProfile, tenant: string): StackRow[] {
  const { stackIds, stackFrameStarts, stackFrames } = profile.compact;
  const rows: StackRow[] = new Array(stackIds.length);
  for (let stack = 0; stack < stackIds.length; stack++) {
    const frameIds: string[] = [];
    for (let at = stackFrameStarts[stack] as number; at < (stackFrameStarts[stack + 1] as number); at++) {
      frameIds.push((profile.frames[stackFrames[at] as number] as FrameRow).frame_id);
    }
    rows[stack] = { tenant, stack_id: (stackIds[stack] as bigint).toString(), frame_ids: frameIds };
  }
  return rows;
}

/** The sample rows of a compact profile as objects: what `explodeProfile` returns in `samples`. */
export function materialiseSampleRows(profile: CompactExplodedProfile, context: ProfileContext): SampleRow[] {
  const { compact, sampleTypeList } = profile;
  const { rowCount, labelSets, ts } = compact;
  const stackIds = stackIdTexts(profile);
  const values32 = new Uint32Array(compact.values.buffer, compact.values.byteOffset, 2 * rowCount);
  const rows: SampleRow[] = new Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const type = sampleTypeList[compact.sampleTypeIndex[row] as number] as SampleType;
    const labels = labelSets[compact.labelSetIndex[row] as number] as LabelSet;
    // Exact below 2^53 in magnitude (the int64 is hi·2^32 + lo with hi signed), else a decimal string.
    const approximate = ((values32[2 * row + HI] as number) | 0) * TWO_32 + (values32[2 * row + LO] as number);
    rows[row] = {
      tenant: context.tenant,
      service: context.service,
      env: context.env,
      version: context.version,
      ts,
      profile_id: context.profileId,
      ingest_id: context.ingestId,
      sample_type: type.type,
      sample_unit: type.unit,
      value: Number.isSafeInteger(approximate) ? approximate : (compact.values[row] as bigint).toString(),
      span_id: labels.spanId,
      local_root_span_id: labels.localRootSpanId,
      endpoint: labels.endpoint,
      trace_id: labels.traceId,
      label_keys: labels.keys,
      label_values: labels.values,
      stack_id: stackIds[compact.stackIndex[row] as number] as string,
    };
  }
  return rows;
}

/** The rows of a profile as objects; the same decoding as `explodeProfileCompact`, then materialised. */
export function explodeProfile(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ExplodedProfile {
  const exploded = explodeProfileCompact(data, context, mapping, limits);
  return {
    startNs: exploded.startNs,
    durationNs: exploded.durationNs,
    period: exploded.period,
    periodType: exploded.periodType,
    sampleTypes: exploded.sampleTypes,
    sampleCount: exploded.sampleCount,
    samples: materialiseSampleRows(exploded, context),
    stacks: exploded.stacks,
    frames: exploded.frames,
  };
}
