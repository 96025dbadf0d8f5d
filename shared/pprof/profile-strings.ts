import { copyBytes } from '../platform/bytes.js';
import { unprocessable } from '../platform/errors.js';
import { growInt32 } from './typed-arrays.js';

// Same decoding as pprof-format (`new TextDecoder().decode`): invalid UTF-8 becomes U+FFFD and a
// leading byte-order mark is dropped.
const utf8 = new TextDecoder();

/**
 * profile.proto's string_table (Profile field 6) as byte ranges of the profile, decoded on first
 * use. Content ids hash a string's UTF-8: for an ASCII string that is its bytes in the profile;
 * any other is hashed as the UTF-8 of its decoding (what the reference hashes), kept once made.
 */
export class ProfileStrings {
  private starts: Int32Array = new Int32Array(64);
  private ends: Int32Array = new Int32Array(64);
  private size = 0;
  private decoded: (string | undefined)[] = [];
  /** Per string: 0 not yet looked at, 1 ASCII, 2 not (decoded, with its UTF-8 in `encoded`). */
  private kinds = new Uint8Array(0);
  /** UTF-8 of decoded non-ASCII strings, by index. */
  private encoded: (Uint8Array | undefined)[] = [];
  private readonly text: Buffer;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The table of `count` strings at [starts[i], ends[i]) of `bytes`, found by another scan (WebAssembly's). */
  static ofRanges(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number): ProfileStrings {
    const strings = new ProfileStrings(bytes);
    strings.starts = starts;
    strings.ends = ends;
    strings.size = count;
    strings.seal();
    return strings;
  }

  get count(): number {
    return this.size;
  }

  add(start: number, end: number): void {
    if (this.size === this.starts.length) {
      this.starts = growInt32(this.starts, 2 * this.size);
      this.ends = growInt32(this.ends, 2 * this.size);
    }
    this.starts[this.size] = start;
    this.ends[this.size] = end;
    this.size++;
  }

  /** Fixes the table once read; pprof-format reads a profile without one as the table [""]. */
  seal(): void {
    if (this.size === 0) this.add(0, 0);
    this.decoded = new Array(this.size);
    this.kinds = new Uint8Array(this.size);
  }

  private kind(index: number, what: string): number {
    const known = this.kinds[index];
    if (known !== undefined && known !== 0) return known;
    this.check(index, what);
    const bytes = this.bytes;
    const end = this.ends[index] as number;
    for (let at = this.starts[index] as number; at < end; at++) {
      if ((bytes[at] as number) >= 0x80) {
        const text = utf8.decode(bytes.subarray(this.starts[index], end));
        this.decoded[index] = text;
        this.encoded[index] = Buffer.from(text, 'utf8');
        this.kinds[index] = 2;
        return 2;
      }
    }
    this.kinds[index] = 1;
    return 1;
  }

  check(index: number, what: string): void {
    if (!(index < this.size)) throw unprocessable(`${what} refers to string ${index}, beyond the string table`);
  }

  get(index: number, what: string): string {
    const known = this.decoded[index];
    if (known !== undefined) return known;
    this.kind(index, what);
    let text = this.decoded[index];
    if (text === undefined) {
      text = this.text.toString('latin1', this.starts[index], this.ends[index]);
      this.decoded[index] = text;
    }
    return text;
  }

  /** True when string `index` is ASCII: its bytes in the profile, [startOf, endOf), are its text. */
  isAscii(index: number, what: string): boolean {
    return this.kind(index, what) === 1;
  }

  startOf(index: number): number {
    return this.starts[index] as number;
  }

  endOf(index: number): number {
    return this.ends[index] as number;
  }

  /** UTF-8 length of the decoded string (U+FFFD replacements count 3 bytes, as in the reference). */
  byteLength(index: number, what: string): number {
    if (this.kind(index, what) === 1) return (this.ends[index] as number) - (this.starts[index] as number);
    return (this.encoded[index] as Uint8Array).length;
  }

  /**
   * Copies the UTF-8 of the decoded string into `target` at `at` (a RowBinary writer's buffer, a
   * frame's text to hash), eight bytes at a time where it is ASCII; returns the end.
   */
  copyUtf8(index: number, what: string, target: DataView, at: number): number {
    if (this.kind(index, what) === 2) {
      const encoded = this.encoded[index] as Uint8Array;
      for (let i = 0; i < encoded.length; i++) target.setUint8(at + i, encoded[i] as number);
      return at + encoded.length;
    }
    const from = this.starts[index] as number;
    const to = this.ends[index] as number;
    copyBytes(target, at, this.view, from, to);
    return at + to - from;
  }
}
