import { type HotspotsError, unprocessable } from '../platform/errors.js';
import { ProfileStrings } from './profile-strings.js';
import type { ExplodeLimits } from './types.js';
import { uint64Decimal, WIRE_LEN, WIRE_VARINT, WireReader } from './wire.js';

/** A profile id (location, function): a number below 2^53, else its exact decimal text. */
export type IdKey = number | string;

// Profile ids below 2^53 are Map keys as numbers, larger ones as their exact decimal text.
const SAFE_HI = 0x200000;

/**
 * One pass over a pprof Profile message (google/pprof proto/profile.proto; field numbers are
 * cited where they are read) that records where everything is: sample records as byte ranges,
 * locations, lines and functions in flat columns, strings as ranges decoded on first use. Nothing
 * per sample is decoded here; explode.ts reads samples in place afterwards.
 *
 * Malformed input is refused (unprocessable) as Go's profile reader refuses it: a truncated varint
 * or record, a length past the end of its message, a varint over 64 bits, wire types 3, 4, 6, 7,
 * and a known field sent with the wrong wire type.
 */
export class ProfileIndex {
  readonly reader: WireReader;
  readonly strings: ProfileStrings;

  /** sample_type as [type, unit] string index pairs, flat. */
  readonly sampleTypes: number[] = [];
  periodType: number[] | undefined;
  readonly sampleStarts: number[] = [];
  readonly sampleEnds: number[] = [];
  timeHi = 0;
  timeLo = 0;
  durationHi = 0;
  durationLo = 0;
  periodHi = 0;
  periodLo = 0;

  // Location (Profile field 4), by id; lines in flat columns.
  /** Locations whose id is not in 1…n (n locations); ids 1…n, what every encoder writes, are in an array. */
  private readonly locationById = new Map<IdKey, number>();
  readonly locationIds: IdKey[] = [];
  private readonly locationAddressHi: number[] = [];
  private readonly locationAddressLo: number[] = [];
  readonly locationLinesFrom: number[] = [];
  readonly locationLinesTo: number[] = [];
  readonly lineFunctionIds: IdKey[] = [];
  readonly lineNumbers: number[] = [];
  private locationByDenseId = new Int32Array(0);

  // Function (Profile field 5), by id: 1…n in an array, others in the Map.
  private readonly functionIds: IdKey[] = [];
  private readonly functionById = new Map<IdKey, number>();
  private functionByDenseId = new Int32Array(0);
  readonly functionNames: number[] = [];
  readonly functionSystemNames: number[] = [];
  readonly functionFileNames: number[] = [];

  /**
   * Samples in the profile. Above `maxSamplesPerProfile` their ranges are no longer kept (the
   * caller refuses the profile with this count), so a flood of samples costs no memory.
   */
  sampleCount = 0;
  /** Locations, lines, functions and strings read so far, against `maxProfileRecords`. */
  private records = 0;
  private readonly maxSamples: number;
  private readonly maxRecords: number;

  constructor(data: Uint8Array, limits: Pick<ExplodeLimits, 'maxSamplesPerProfile' | 'maxProfileRecords'>) {
    this.reader = new WireReader(data, 'pprof profile');
    this.strings = new ProfileStrings(data);
    this.maxSamples = limits.maxSamplesPerProfile;
    this.maxRecords = limits.maxProfileRecords;
  }

  /** Counts one more table record, refusing the profile past the limit before it costs memory. */
  private addRecord(): void {
    if (++this.records > this.maxRecords) {
      throw unprocessable(
        `profile has more than ${this.maxRecords} locations, lines, functions and strings (HOTSPOTS_MAX_PROFILE_RECORDS)`,
      );
    }
  }

  wrongType(message: string, field: number, wireType: number): HotspotsError {
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

  idKey(value: number): IdKey {
    const reader = this.reader;
    return reader.hi < SAFE_HI ? value : uint64Decimal(reader.hi, reader.lo);
  }

  /** Reads the Profile message; samples are read in place afterwards. */
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
          if (++this.sampleCount <= this.maxSamples) {
            this.sampleStarts.push(reader.pos);
            this.sampleEnds.push(reader.pos + length);
          }
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
          this.addRecord();
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
    // In order: a repeated id ends on its last location, as in the reference's Map.
    this.locationByDenseId = new Int32Array(locationCount + 1).fill(-1);
    for (let location = 0; location < locationCount; location++) {
      const id = this.locationIds[location] as IdKey;
      if (typeof id === 'number' && id <= locationCount) this.locationByDenseId[id] = location;
      else this.locationById.set(id, location);
    }
    const functionCount = this.functionIds.length;
    this.functionByDenseId = new Int32Array(functionCount + 1).fill(-1);
    for (let fn = 0; fn < functionCount; fn++) {
      const id = this.functionIds[fn] as IdKey;
      if (typeof id === 'number' && id <= functionCount) this.functionByDenseId[id] = fn;
      else this.functionById.set(id, fn);
    }
  }

  /** The index of the function with this id, or -1. */
  functionOf(id: IdKey): number {
    return typeof id === 'number' && id < this.functionByDenseId.length
      ? (this.functionByDenseId[id] as number)
      : (this.functionById.get(id) ?? -1);
  }

  locationOf(id: IdKey): number {
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
    this.addRecord();
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
    this.addRecord();
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
    this.addRecord();
    this.functionIds.push(id);
    this.functionNames.push(name);
    this.functionSystemNames.push(systemName);
    this.functionFileNames.push(fileName);
  }

  addressName(location: number): string {
    const hi = this.locationAddressHi[location] as number;
    const lo = this.locationAddressLo[location] as number;
    return `0x${hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0')}`;
  }
}
