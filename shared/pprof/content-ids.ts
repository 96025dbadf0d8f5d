/**
 * Content ids of frames and stacks: the same frame or stack gets the same uint64 in every
 * profile, so `frames` and `stacks` rows are shared across profiles.
 *
 *   frame_id = the function's key, then its line, through the step below, the two halves apart:
 *                key = (XXH32(text, seed 0), XXH32(text, seed 1)), text the UTF-8 of
 *                      `function_name \0 system_name \0 file_name`
 *                half = avalanche(step(step(key half, line ÷ 2^32), line mod 2^32) + 8)
 *              A function's key is hashed once per profile however many lines of it are seen.
 *   stack_id = two 32-bit chains over the stack's frame ids, root first; the high half starts
 *              from seed 0, the low half from seed 1, each as XXH32 does for a short input:
 *                h = seed + P5
 *                for each frame id (hi, lo), from the root to the leaf:
 *                  h = step(step(h, hi), lo)       step(h, w) = rotl(h + w·P3, 17)·P4
 *                h = avalanche(h + 8·n)            (n frames; XXH32 adds its length first)
 *
 * Only 32-bit multiplies: Math.imul is exact and fast, where 64-bit arithmetic in JavaScript
 * costs a bigint or a dozen operations per multiply (measured: XXH64 in 32-bit halves ran 4×
 * slower than two XXH32 lanes). Why a chain for stacks rather than one hash over their bytes:
 * stacks that differ only in their leaf share everything from the root down, and a root-first
 * chain lets the decoder hash that shared part once and carry its state (stack-table.ts). Ids are
 * not collision-resistant against a deliberate attacker; 64 bits keep accidental collisions
 * negligible, and a tenant's ids only ever meet its own.
 *
 * Until 2026-11 both ids were the first 8 bytes of SHA-1 over decimal text. Rows written then
 * keep their ids and stay consistent among themselves (samples → stacks → frames); a stack seen
 * before and after appears under two ids, which flame graphs merge by function name.
 *
 * test/unit/content-ids.test.ts checks XXH32 against the xxhash-wasm library and the stack chain
 * against `stackIdOf`, its plain form.
 */

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

/**
 * Functions below write an id into `out`, [high 32 bits, low 32 bits]: a typed array the caller
 * owns, not variables or an object, since storing a uint32 above 2^30 anywhere else boxes it on
 * the heap, every time.
 */

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const word = (b: Uint8Array, at: number): number =>
  (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24);
/** XXH32's step for 4 input bytes (its short-input loop). */
const step = (h: number, w: number): number => Math.imul(rotl((h + Math.imul(w, P3)) | 0, 17), P4);
/** XXH32's step for 1 input byte. */
const stepByte = (h: number, byte: number): number => Math.imul(rotl((h + Math.imul(byte, P5)) | 0, 11), P1);
/** XXH32's round for a 16-byte stripe lane. */
const round = (acc: number, w: number): number => Math.imul(rotl((acc + Math.imul(w, P2)) | 0, 13), P1);

function avalanche(input: number): number {
  let h = input;
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * XXH32 of bytes[from, to) with seeds 0 and 1 at once (the two halves of a 64-bit id), into
 * `out`: both lanes read each word once.
 */
export function xxh32Pair(bytes: Uint8Array, from: number, to: number, out: Uint32Array): void {
  const length = to - from;
  let at = from;
  let h: number;
  let g: number;
  if (length >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    let w1 = (1 + P1 + P2) | 0;
    let w2 = (1 + P2) | 0;
    let w3 = 1;
    let w4 = (1 - P1) | 0;
    for (; at + 16 <= to; at += 16) {
      const a = word(bytes, at);
      const b = word(bytes, at + 4);
      const c = word(bytes, at + 8);
      const d = word(bytes, at + 12);
      v1 = round(v1, a);
      v2 = round(v2, b);
      v3 = round(v3, c);
      v4 = round(v4, d);
      w1 = round(w1, a);
      w2 = round(w2, b);
      w3 = round(w3, c);
      w4 = round(w4, d);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
    g = (rotl(w1, 1) + rotl(w2, 7) + rotl(w3, 12) + rotl(w4, 18)) | 0;
  } else {
    h = P5;
    g = (1 + P5) | 0;
  }
  h = (h + length) | 0;
  g = (g + length) | 0;
  for (; at + 4 <= to; at += 4) {
    const a = word(bytes, at);
    h = step(h, a);
    g = step(g, a);
  }
  for (; at < to; at++) {
    const byte = bytes[at] as number;
    h = stepByte(h, byte);
    g = stepByte(g, byte);
  }
  out[0] = avalanche(h);
  out[1] = avalanche(g);
}

const asUint64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** The frame_id of a function's line, from the function's key (xxh32Pair of its text), into `out`. */
export function frameIdOfLine(keyHi: number, keyLo: number, line: number, out: Uint32Array): void {
  // The line as the decoder holds it, a double: exact below 2^53 (a line of -1, read unsigned as
  // about 2^64, lands on some large value; decoder and reference agree on it).
  const lineHi = Math.floor(line / 4294967296) | 0;
  const lineLo = line | 0;
  out[0] = avalanche((step(step(keyHi, lineHi), lineLo) + 8) | 0);
  out[1] = avalanche((step(step(keyLo, lineHi), lineLo) + 8) | 0);
}

/** The frame_id of a frame (see the top of this file). */
export function frameIdOf(functionName: string, systemName: string, fileName: string, line: number): bigint {
  const text = Buffer.from(`${functionName}\u0000${systemName}\u0000${fileName}`, 'utf8');
  const id = new Uint32Array(2);
  xxh32Pair(text, 0, text.length, id);
  frameIdOfLine(id[0] as number, id[1] as number, line, id);
  return asUint64(id[0] as number, id[1] as number);
}

/** The stack_id of frame ids listed leaf first, as stacks store them: the chain in its plain form. */
export function stackIdOf(frameIdsLeafFirst: readonly bigint[]): bigint {
  let h = P5;
  let g = (1 + P5) | 0;
  for (let i = frameIdsLeafFirst.length - 1; i >= 0; i--) {
    const id = frameIdsLeafFirst[i] as bigint;
    const hi = Number(id >> 32n) | 0;
    const lo = Number(id & 0xffffffffn) | 0;
    h = step(step(h, hi), lo);
    g = step(step(g, hi), lo);
  }
  const length = 8 * frameIdsLeafFirst.length;
  return asUint64(avalanche((h + length) | 0), avalanche((g + length) | 0));
}

/**
 * The stack-id chain as the decoder runs it, with its state in an Int32Array pair [high lane,
 * low lane] so that a caller path's state can be kept and continued from.
 */
export const StackChain = {
  /** Sets `state` (two entries from `at`) to the chain of no frames. */
  start(state: Int32Array, at: number): void {
    state[at] = P5;
    state[at + 1] = (1 + P5) | 0;
  },
  /** Adds the frame with id (hi, lo) to the chain in `state` at `at`. */
  step(state: Int32Array, at: number, hi: number, lo: number): void {
    state[at] = step(step(state[at] as number, hi), lo);
    state[at + 1] = step(step(state[at + 1] as number, hi), lo);
  },
  /** The stack_id of the chain in `state` at `at` over `frameCount` frames, into `out`. */
  finish(state: Int32Array, at: number, frameCount: number, out: Uint32Array): void {
    const length = 8 * frameCount;
    out[0] = avalanche(((state[at] as number) + length) | 0);
    out[1] = avalanche(((state[at + 1] as number) + length) | 0);
  },
};
