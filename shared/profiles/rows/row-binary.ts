/**
 * A growable writer for ClickHouse's RowBinary input format (docs: "Formats → RowBinary"):
 * little-endian fixed-width integers, DateTime as UInt32 seconds, String and Array as an
 * unsigned LEB128 length followed by the bytes / elements, Nullable as one null-flag byte (1 =
 * NULL) before the value. Columns follow the INSERT's column list, row after row, with nothing
 * between rows. Chosen over JSONEachRow on measurements (test/bench/consumer.ts).
 */
const EMPTY = Buffer.alloc(0);

/** Texts by number whose UTF-8 can be copied straight into a row (the decoder's label sets). */
export interface Utf8Source {
  utf8Length(ref: number): number;
  /** Copies text `ref`'s UTF-8 into `target` at `at` (room reserved); returns the end. */
  copyUtf8(ref: number, target: DataView, at: number): number;
}

export class RowBinaryWriter {
  private buffer: Buffer;
  private view: DataView;
  private offset = 0;
  /** A taken buffer given back (see `recycle`), used instead of allocating a new one. */
  private spare: Buffer | undefined;
  /** The memory of buffers `take` handed over and not yet given back. */
  private readonly handedOver = new WeakSet<ArrayBufferLike>();

  constructor(private readonly initialBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  get length(): number {
    return this.offset;
  }

  /** The bytes written so far (a view: copy it before writing on). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  reset(): void {
    this.offset = 0;
  }

  /**
   * The bytes written so far, handed over rather than copied (chunks are megabytes); the writer
   * starts over and takes a new buffer of its initial size when it next writes.
   */
  take(): Buffer {
    const taken = this.bytes();
    if (this.buffer !== EMPTY) this.handedOver.add(this.buffer.buffer);
    this.buffer = EMPTY;
    this.view = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
    this.offset = 0;
    return taken;
  }

  /**
   * Gives back a buffer `take` handed over, once nothing reads it any more (its insert is done):
   * a chunk is megabytes, and memory newly allocated at that size costs page faults on every
   * first write. One is kept; others are left to the garbage collector. Only memory this writer
   * allocated (unpooled, allocUnsafeSlow) and handed over is taken back, each time once: any other
   * buffer may share its memory with buffers the writer must not overwrite.
   */
  recycle(taken: Uint8Array): void {
    const memory = taken.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.handedOver.delete(memory)) return;
    if (this.spare === undefined && memory.byteLength >= this.initialBytes) this.spare = Buffer.from(memory);
  }

  private reserve(bytes: number): void {
    const needed = this.offset + bytes;
    if (needed <= this.buffer.length) return;
    const spare = this.spare;
    if (this.offset === 0 && spare !== undefined && spare.length >= needed) {
      this.spare = undefined;
      this.buffer = spare;
      this.view = new DataView(spare.buffer, spare.byteOffset, spare.byteLength);
      return;
    }
    let size = Math.max(this.buffer.length * 2, this.initialBytes);
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  uint8(value: number): void {
    this.reserve(1);
    this.buffer[this.offset++] = value;
  }

  uint32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
  }

  int64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.offset, value, true);
    this.offset += 8;
  }

  /** An Int64 given as a number: exact below 2^53 in magnitude, as decoded line numbers are. */
  int64Number(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.int64(BigInt.asIntN(64, BigInt(Math.trunc(value))));
      return;
    }
    this.reserve(8);
    const lo = value % 4294967296;
    this.view.setUint32(this.offset, lo >>> 0, true);
    this.view.setInt32(this.offset + 4, Math.floor(value / 4294967296) | 0, true);
    this.offset += 8;
  }

  uint64(value: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.offset, value, true);
    this.offset += 8;
  }

  varUint(value: number): void {
    this.reserve(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.offset++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.offset++] = rest;
  }

  string(value: string): void {
    // Worst case three bytes per UTF-16 unit; write first, then the length in front.
    const maxBytes = value.length * 3;
    if (maxBytes < 128) {
      this.reserve(1 + maxBytes);
      const written = this.buffer.write(value, this.offset + 1, 'utf8');
      this.buffer[this.offset] = written;
      this.offset += 1 + written;
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varUint(bytes);
    this.reserve(bytes);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
  }

  /** A String copied from `source`'s text `ref`: no JS string in between. */
  stringFrom(source: Utf8Source, ref: number): void {
    const length = source.utf8Length(ref);
    this.varUint(length);
    this.reserve(length);
    this.offset = source.copyUtf8(ref, this.view, this.offset);
  }

  nullableString(value: string | null): void {
    if (value === null) {
      this.uint8(1);
      return;
    }
    this.uint8(0);
    this.string(value);
  }

  stringArray(values: readonly string[]): void {
    this.varUint(values.length);
    for (const value of values) this.string(value);
  }

  uint64Array(values: readonly bigint[]): void {
    this.varUint(values.length);
    for (const value of values) this.uint64(value);
  }

  /** Copies 8 bytes from `source` at `at` (a 64-bit column value already in little-endian). */
  eightBytes(source: Uint8Array, at: number): void {
    this.reserve(8);
    const buffer = this.buffer;
    let offset = this.offset;
    for (let i = at; i < at + 8; i++) buffer[offset++] = source[i] as number;
    this.offset = offset;
  }

  /**
   * Reserves `length` bytes for the caller to write in place through `dataView()` (valid until
   * the writer next grows); returns where they start.
   */
  claim(length: number): number {
    this.reserve(length);
    const at = this.offset;
    this.offset = at + length;
    return at;
  }

  /** A view of this writer's buffer: what it has written, and room claimed (see `claim`). */
  dataView(): DataView {
    return this.view;
  }

  /** Copies pre-encoded bytes (a tenant, a block of frame ids). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }
}

/** Encodes one value set once, for rows that repeat it (see the samples encoder). */
export function encodeOnce(write: (writer: RowBinaryWriter) => void): Buffer {
  const writer = new RowBinaryWriter(256);
  write(writer);
  return writer.bytes(); // the writer is dropped: its bytes need no copy
}
