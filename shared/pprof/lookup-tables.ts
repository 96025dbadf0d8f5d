import { getRandomValues } from 'node:crypto';
import { growInt32, growUint32 } from './typed-arrays.js';

/**
 * Secret per process: where keys land in these tables cannot be worked out in advance, so a
 * crafted profile cannot pile its keys into one run of slots (hash flooding).
 */
const [BYTES_SEED = 0, ID_SEED = 0] = getRandomValues(new Int32Array(2));
/** A lookup probing more slots than this has met a flood, not bad luck (at load ≤ 1/2). */
const MAX_PROBES = 64;

/**
 * A hash map from byte ranges of one buffer, compared by content, to non-negative integers: the
 * decoder looks up a sample's raw location ids and label records without building a key string
 * per sample. Open addressing with linear probing over typed arrays; an entry keeps where its
 * key's first occurrence sits in the buffer, and a lookup compares bytes there. The hash is fast,
 * not collision-resistant, so inputs built to collide are possible: a lookup that probes too far
 * moves the table into a Map keyed by the bytes as text, whose hashing V8 seeds itself.
 */
export class ByteRangeMap {
  /** Set once flooded: the entries, by their bytes as latin1 text. */
  private flooded: Map<string, number> | undefined;
  private readonly text: Buffer;
  /**
   * Two entries per slot: the key's hash and its entry + 1 (0: empty). Beside each other, so a
   * probe that meets another key costs one memory read, not one per column.
   */
  private slots: Int32Array;
  /** Three entries per entry: where its key starts and ends, and its value. */
  private entries: Int32Array;
  private size = 0;
  // The hash and slot of the last miss, so that `set` right after it does not hash again.
  private missFrom = -1;
  private missTo = -1;
  private missHash = 0;
  /** The same bytes, read four at a time (little-endian words at any offset). */
  private readonly words: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    expected = 256,
    private readonly maxProbes = MAX_PROBES,
  ) {
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(2 * capacity);
    this.entries = new Int32Array(3 * (capacity / 2));
  }

  /**
   * A MurmurHash3-style 32-bit hash of the bytes in [from, to), four bytes per step (FNV-1a's
   * byte-at-a-time multiply chain took twice as long on the decoder's keys).
   */
  private hash(from: number, to: number): number {
    const bytes = this.bytes;
    const words = this.words;
    let hash = (to - from) ^ BYTES_SEED;
    let at = from;
    for (; at + 4 <= to; at += 4) {
      let k = words.getInt32(at, true);
      k = Math.imul(k, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      hash ^= k;
      hash = (Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64) | 0;
    }
    for (; at < to; at++) hash = Math.imul(hash ^ (bytes[at] as number), 0x01000193);
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    return hash ^ (hash >>> 16);
  }

  private sameBytes(entry: number, from: number, to: number): boolean {
    const start = this.entries[3 * entry] as number;
    if ((this.entries[3 * entry + 1] as number) - start !== to - from) return false;
    const words = this.words;
    let at = from;
    let other = start;
    for (; at + 4 <= to; at += 4, other += 4)
      if (words.getInt32(at, true) !== words.getInt32(other, true)) return false;
    const bytes = this.bytes;
    for (; at < to; at++, other++) if (bytes[at] !== bytes[other]) return false;
    return true;
  }

  /** The value stored for the bytes in [from, to), or -1. */
  get(from: number, to: number): number {
    if (this.flooded) return this.flooded.get(this.text.toString('latin1', from, to)) ?? -1;
    const hash = this.hash(from, to);
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let probes = 0;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = (slots[2 * slot + 1] as number) - 1;
      if (entry < 0) break;
      if (slots[2 * slot] === hash && this.sameBytes(entry, from, to)) return this.entries[3 * entry + 2] as number;
      if (++probes > this.maxProbes) {
        this.flood();
        return this.get(from, to);
      }
    }
    this.missFrom = from;
    this.missTo = to;
    this.missHash = hash;
    return -1;
  }

  /** Stores a value for the bytes in [from, to), which `get` did not find. */
  set(from: number, to: number, value: number): void {
    if (this.flooded) {
      this.flooded.set(this.text.toString('latin1', from, to), value);
      return;
    }
    const hash = from === this.missFrom && to === this.missTo ? this.missHash : this.hash(from, to);
    if (this.size * 4 >= this.slots.length) this.grow();
    const entry = this.size++;
    this.entries[3 * entry] = from;
    this.entries[3 * entry + 1] = to;
    this.entries[3 * entry + 2] = value;
    this.place(entry, hash);
  }

  /** Moves every entry into a Map (see the class comment); the typed arrays are dropped. */
  private flood(): void {
    const flooded = new Map<string, number>();
    for (let entry = 0; entry < this.size; entry++) {
      const entries = this.entries;
      flooded.set(
        this.text.toString('latin1', entries[3 * entry] as number, entries[3 * entry + 1] as number),
        entries[3 * entry + 2] as number,
      );
    }
    this.flooded = flooded;
    this.slots = new Int32Array(0);
    this.entries = this.slots;
  }

  /** True once the table has moved into its Map (for tests). */
  get isFlooded(): boolean {
    return this.flooded !== undefined;
  }

  private place(entry: number, hash: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = entry + 1;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = old.length; // slots, twice the old count
    this.entries = growInt32(this.entries, 3 * (capacity / 2));
    this.slots = new Int32Array(2 * capacity);
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot + 1] !== 0) this.place((old[slot + 1] as number) - 1, old[slot] as number);
    }
  }
}

/**
 * A hash map from uint64 keys given as two 32-bit halves to non-negative integers, over typed
 * arrays: the decoder finds stacks and frames by their content id (a hash, so already spread),
 * and the consumer remembers inserted ids, without a decimal string or a bigint per lookup.
 */
export class Uint64Map {
  private slots: Int32Array;
  private his: Uint32Array;
  private los: Uint32Array;
  private values: Int32Array;
  private size = 0;

  constructor(expected = 256) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.his = new Uint32Array(capacity / 2);
    this.los = new Uint32Array(capacity / 2);
    this.values = new Int32Array(capacity / 2);
  }

  /** Where a key starts probing: its halves mixed with the process's secret (see ID_SEED). */
  private static slotOf(hi: number, lo: number, mask: number): number {
    let x = lo ^ Math.imul(hi, 0x9e3779b1) ^ ID_SEED;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return (x ^ (x >>> 16)) & mask;
  }

  /** The value stored for the key, or -1. */
  get(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = Uint64Map.slotOf(hi, lo, mask); ; slot = (slot + 1) & mask) {
      const entry = (slots[slot] as number) - 1;
      if (entry < 0) return -1;
      if (this.los[entry] === lo && this.his[entry] === hi) return this.values[entry] as number;
    }
  }

  /** Stores a value for a key that `get` did not find. */
  set(hi: number, lo: number, value: number): void {
    if (this.size * 2 >= this.slots.length) this.grow();
    const entry = this.size++;
    this.his[entry] = hi;
    this.los[entry] = lo;
    this.values[entry] = value;
    this.place(entry);
  }

  private place(entry: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = Uint64Map.slotOf(this.his[entry] as number, this.los[entry] as number, mask);
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry + 1;
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    this.his = growUint32(this.his, capacity / 2);
    this.los = growUint32(this.los, capacity / 2);
    this.values = growInt32(this.values, capacity / 2);
    this.slots = new Int32Array(capacity);
    for (let entry = 0; entry < this.size; entry++) this.place(entry);
  }
}
