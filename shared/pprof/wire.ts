import { type HotspotsError, unprocessable } from '../platform/errors.js';

/**
 * A minimal reader of the protobuf wire format (protobuf.dev/programming-guides/encoding): a
 * message is a sequence of records `tag value`, tag = varint (field_number << 3 | wire_type).
 *
 *   wire type 0 VARINT  base-128 varint, least significant group first, at most 10 bytes
 *   wire type 1 I64     8 bytes little-endian
 *   wire type 2 LEN     varint length, then that many bytes (strings, messages, packed repeats)
 *   wire type 5 I32     4 bytes little-endian
 *   wire types 3 and 4 (groups, deprecated) and 6, 7 (undefined) are refused, as Go's
 *   google/pprof profile reader refuses them.
 *
 * Malformed input is refused, never guessed at: a varint longer than 10 bytes or carrying more
 * than 64 bits (as protobuf-go's protowire refuses it), a length beyond the end of the enclosing
 * message, a fixed-size value cut short. Every error is unprocessable (HTTP 422, dead letter):
 * the same bytes fail the same way on every retry.
 *
 * 64-bit values never go through a lossy path: `varint()` keeps their exact low and high 32 bits
 * in `lo` and `hi` and returns a double that is exact below 2^53 (lengths, indices and ids of
 * real profiles), so callers needing all 64 bits read `lo`/`hi` and the rest use the double.
 */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const TWO_32 = 4294967296;

export class WireReader {
  readonly bytes: Uint8Array;
  pos: number;
  /** End of the message (or packed field) being read: reads never pass it. */
  end: number;
  /** Low and high 32 bits (unsigned) of the last varint read. */
  lo = 0;
  hi = 0;

  constructor(
    bytes: Uint8Array,
    private readonly subject: string,
  ) {
    this.bytes = bytes;
    this.pos = 0;
    this.end = bytes.length;
  }

  fail(what: string, at = this.pos): HotspotsError {
    return unprocessable(`payload is not a valid ${this.subject}: ${what} at byte ${at}`);
  }

  /**
   * Reads one varint; returns it as a double (exact below 2^53) and keeps its 64 bits in lo/hi.
   * Unrolled by 7-bit group: bytes 1–4 fill lo's bits 0–27, byte 5 lo's 28–31 and hi's 0–2,
   * bytes 6–9 hi's 3–30, and a 10th byte may only carry bit 63.
   */
  varint(): number {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw this.fail('truncated varint');
    let byte = bytes[pos++] as number;
    if (byte < 0x80) {
      this.pos = pos;
      this.lo = byte;
      this.hi = 0;
      return byte;
    }
    let lo = byte & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) throw this.fail('truncated varint');
      byte = bytes[pos++] as number;
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        this.lo = lo;
        this.hi = 0;
        return lo;
      }
    }
    if (pos >= end) throw this.fail('truncated varint');
    byte = bytes[pos++] as number;
    lo = (lo | ((byte & 0x0f) << 28)) >>> 0;
    let hi = (byte & 0x7f) >>> 4;
    if (byte >= 0x80) {
      let shift = 3;
      for (; shift < 31; shift += 7) {
        if (pos >= end) throw this.fail('truncated varint');
        byte = bytes[pos++] as number;
        hi |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      if (shift >= 31) {
        if (pos >= end) throw this.fail('truncated varint');
        byte = bytes[pos++] as number;
        if (byte > 1) throw this.fail('varint longer than 64 bits', pos - 1);
        hi |= byte << 31;
      }
      hi >>>= 0;
    }
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
    return hi * TWO_32 + lo;
  }

  /** Reads the length of a LEN record and checks that its bytes are all there. */
  length(): number {
    const length = this.varint();
    if (length > this.end - this.pos) throw this.fail(`length ${length} runs past the end of the message`);
    return length;
  }

  /** Skips the value of a record of an unknown field. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_LEN: {
        // Not `this.pos += this.length()`: that would add to the position before the length.
        const length = this.length();
        this.pos += length;
        return;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const size = wireType === WIRE_I64 ? 8 : 4;
        if (size > this.end - this.pos) throw this.fail(`truncated ${size * 8}-bit value`);
        this.pos += size;
        return;
      }
      default:
        throw this.fail(`unsupported wire type ${wireType}`);
    }
  }
}

// 64-bit columns (BigUint64Array, BigInt64Array) are written and read through a 32-bit view of
// the same memory, no bigint per value: the index of each half of element i is 2i + LO / 2i + HI.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
export const LO = LITTLE_ENDIAN ? 0 : 1;
export const HI = 1 - LO;

/** A uint64 as an exact decimal string; ids and hashes need all 64 bits. */
export function uint64Decimal(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** An int64 (two's complement, as Go reads profile.proto's int64 fields) as a bigint. */
export function int64BigInt(hi: number, lo: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}
