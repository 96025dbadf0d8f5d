import { unprocessable } from '../errors.js';

// Same decoding as pprof-format (`new TextDecoder().decode`): invalid UTF-8 becomes U+FFFD and a
// leading byte-order mark is dropped.
const utf8 = new TextDecoder();

/**
 * profile.proto's string_table (Profile field 6) as byte ranges of the profile, decoded on first
 * use. Content ids hash a string's UTF-8: for an ASCII string that is its bytes in the profile;
 * any other is hashed as the UTF-8 of its decoding (what the reference hashes), kept once made.
 */
export class ProfileStrings {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private decoded: (string | undefined)[] = [];
  private byteLengths: number[] = [];
  /** UTF-8 of decoded non-ASCII strings, by index. */
  private encoded: (Uint8Array | undefined)[] = [];
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
    if (!ascii) this.encoded[index] = Buffer.from(text, 'utf8');
    return text;
  }

  /** UTF-8 length of the decoded string (U+FFFD replacements count 3 bytes, as in the reference). */
  byteLength(index: number, what: string): number {
    const known = this.byteLengths[index];
    if (known !== undefined) return known;
    this.get(index, what);
    return this.byteLengths[index] as number;
  }

  /** Copies the UTF-8 of the decoded string into `target` at `at`; returns the end. */
  copyUtf8(index: number, what: string, target: Uint8Array, at: number): number {
    this.get(index, what);
    const encoded = this.encoded[index];
    if (encoded !== undefined) {
      target.set(encoded, at);
      return at + encoded.length;
    }
    const start = this.starts[index] as number;
    const end = this.ends[index] as number;
    const bytes = this.bytes;
    for (let from = start; from < end; from++) target[at++] = bytes[from] as number;
    return at;
  }
}
