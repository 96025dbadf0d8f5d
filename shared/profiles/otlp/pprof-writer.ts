/**
 * Writes a pprof (profile.proto) straight to bytes, for the OTLP conversion: pprof-format's
 * object model and its measure-then-encode pass took most of the conversion's time (60-240 ms of a
 * 20k-sample profile, test/bench/otlp.ts). Fields go out in profile.proto's order; strings are
 * interned as they are first used, and index 0 is "".
 */
type Int64 = number | bigint;

const MAX_64 = (1n << 64n) - 1n;

/** A growable buffer of protobuf wire data. */
class Wire {
  bytes = new Uint8Array(4096);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** An unsigned varint; negative int64 values are written as their two's complement (10 bytes). */
  varint(value: Int64): void {
    this.room(10);
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      let v = value;
      while (v >= 0x80) {
        this.bytes[this.length++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.bytes[this.length++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value)) & MAX_64;
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }

  tag(field: number, wireType: 0 | 2): void {
    this.varint(field * 8 + wireType);
  }

  /** A varint field, left out when zero (proto3 defaults). */
  int(field: number, value: Int64): void {
    if (value === 0 || value === 0n) return;
    this.tag(field, 0);
    this.varint(value);
  }

  raw(data: Uint8Array): void {
    this.room(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** A length-delimited field holding what `other` wrote. */
  message(field: number, other: Wire): void {
    this.tag(field, 2);
    this.varint(other.length);
    this.raw(other.bytes.subarray(0, other.length));
  }

  /** A packed repeated varint field (omitted when empty). */
  packed(field: number, values: readonly Int64[], scratch: Wire): void {
    if (values.length === 0) return;
    scratch.length = 0;
    for (const v of values) scratch.varint(v);
    this.message(field, scratch);
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export interface PprofLabel {
  key: number;
  str: number;
  num: Int64;
}

export interface PprofLine {
  functionId: number;
  line: Int64;
  column: Int64;
}

export class PprofWriter {
  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>([['', 0]]);
  private readonly sampleTypes = new Wire();
  private readonly samples = new Wire();
  private readonly mappings = new Wire();
  private readonly locations = new Wire();
  private readonly functions = new Wire();
  private readonly item = new Wire();
  private readonly inner = new Wire();
  private readonly scratch = new Wire();

  string(text: string): number {
    let id = this.stringIds.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.stringIds.set(text, id);
    }
    return id;
  }

  sampleType(type: string, unit: string): void {
    this.item.length = 0;
    this.item.int(1, this.string(type));
    this.item.int(2, this.string(unit));
    this.sampleTypes.message(1, this.item);
  }

  sample(locationIds: readonly number[], values: readonly Int64[], labels: readonly PprofLabel[]): void {
    const s = this.item;
    s.length = 0;
    s.packed(1, locationIds, this.scratch);
    s.packed(2, values, this.scratch);
    for (const label of labels) {
      this.inner.length = 0;
      this.inner.int(1, label.key);
      this.inner.int(2, label.str);
      this.inner.int(3, label.num);
      s.message(3, this.inner);
    }
    this.samples.message(2, s);
  }

  mapping(id: number, start: Int64, limit: Int64, offset: Int64, filename: string): void {
    const m = this.item;
    m.length = 0;
    m.int(1, id);
    m.int(2, start);
    m.int(3, limit);
    m.int(4, offset);
    m.int(5, this.string(filename));
    m.int(7, 1); // has_functions
    this.mappings.message(3, m);
  }

  location(id: number, mappingId: number, address: Int64, lines: readonly PprofLine[]): void {
    const l = this.item;
    l.length = 0;
    l.int(1, id);
    l.int(2, mappingId);
    l.int(3, address);
    for (const line of lines) {
      this.inner.length = 0;
      this.inner.int(1, line.functionId);
      this.inner.int(2, line.line);
      this.inner.int(3, line.column);
      l.message(4, this.inner);
    }
    this.locations.message(4, l);
  }

  function(id: number, name: string, systemName: string, filename: string, startLine: Int64): void {
    const f = this.item;
    f.length = 0;
    f.int(1, id);
    f.int(2, this.string(name));
    f.int(3, this.string(systemName));
    f.int(4, this.string(filename));
    f.int(5, startLine);
    this.functions.message(5, f);
  }

  finish(timeNanos: Int64, durationNanos: Int64, periodType: [string, string], period: Int64): Uint8Array {
    this.item.length = 0;
    this.item.int(1, this.string(periodType[0]));
    this.item.int(2, this.string(periodType[1]));
    const periodTypeBytes = this.item.result();
    const out = new Wire();
    out.raw(this.sampleTypes.bytes.subarray(0, this.sampleTypes.length));
    out.raw(this.samples.bytes.subarray(0, this.samples.length));
    out.raw(this.mappings.bytes.subarray(0, this.mappings.length));
    out.raw(this.locations.bytes.subarray(0, this.locations.length));
    out.raw(this.functions.bytes.subarray(0, this.functions.length));
    const encoder = new TextEncoder();
    for (const text of this.strings) {
      const bytes = encoder.encode(text);
      out.tag(6, 2);
      out.varint(bytes.length);
      out.raw(bytes);
    }
    out.int(9, timeNanos);
    out.int(10, durationNanos);
    out.tag(11, 2);
    out.varint(periodTypeBytes.length);
    out.raw(periodTypeBytes);
    out.int(12, period);
    return out.result();
  }
}
