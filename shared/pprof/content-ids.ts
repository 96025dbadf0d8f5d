/**
 * Content ids of frames and stacks: the same frame or stack gets the same uint64 in every
 * profile, so `frames` and `stacks` rows are shared across profiles and tenants' uploads.
 *
 *   frame_id = XXH64 (seed 0) of the UTF-8 bytes of
 *              `function_name \0 system_name \0 file_name \0 line` (line in decimal)
 *   stack_id = a chain over the stack's frame ids, root first:
 *                h = P5
 *                for each frame id f, from the root to the leaf:
 *                  h ^= round(0, f);  h = rotl(h, 27)·P1 + P4     (XXH64's step for 8 input bytes)
 *                h += 8·n                                         (n frames: XXH64 adds its length)
 *                stack_id = avalanche(h)                          (XXH64's final mix)
 *
 * Why not one hash over the stack's bytes: stacks that differ only in their leaf share everything
 * from the root down, and a root-first chain lets the decoder hash that shared part once and carry
 * its state (`StackChain`). Ids are not secret and not collision-resistant against a deliberate
 * attacker; 64 bits keep accidental collisions negligible (a tenant's ids only meet its own).
 *
 * Until 2026-11 both ids were the first 8 bytes of SHA-1 over decimal text. Rows written then
 * keep their ids and stay consistent among themselves (samples → stacks → frames); a stack seen
 * before and after appears under two ids, which flame graphs merge by function name.
 *
 * Two implementations: `frameIdOf`/`stackIdOf` (bigint, written for clarity; the reference explode
 * uses them) and the 32-bit-halves code the decoder runs (`xxh64Range`, `StackChain`).
 * test/unit/content-ids.test.ts holds them together and against the xxhash-wasm library.
 */

const MASK64 = (1n << 64n) - 1n;
const P1n = 0x9e3779b185ebca87n;
const P2n = 0xc2b2ae3d27d4eb4fn;
const P3n = 0x165667b19e3779f9n;
const P4n = 0x85ebca77c2b2ae63n;
const P5n = 0x27d4eb2f165667c5n;

const rotl64n = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK64;
const roundN = (acc: bigint, input: bigint): bigint => (rotl64n((acc + input * P2n) & MASK64, 31n) * P1n) & MASK64;
const mergeRoundN = (acc: bigint, value: bigint): bigint =>
  ((((acc ^ roundN(0n, value)) * P1n) & MASK64) + P4n) & MASK64;
/** XXH64's step for 8 input bytes. */
const step8N = (h: bigint, input: bigint): bigint =>
  (((rotl64n(h ^ roundN(0n, input), 27n) * P1n) & MASK64) + P4n) & MASK64;
function avalancheN(h: bigint): bigint {
  let x = h & MASK64;
  x = ((x ^ (x >> 33n)) * P2n) & MASK64;
  x = ((x ^ (x >> 29n)) * P3n) & MASK64;
  return x ^ (x >> 32n);
}

/** XXH64 with seed 0, in bigints (the definition; the decoder runs `xxh64Range`). */
export function xxh64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.length;
  let at = 0;
  let h: bigint;
  if (length >= 32) {
    let v1 = (P1n + P2n) & MASK64;
    let v2 = P2n;
    let v3 = 0n;
    let v4 = (0n - P1n) & MASK64;
    for (; at + 32 <= length; at += 32) {
      v1 = roundN(v1, view.getBigUint64(at, true));
      v2 = roundN(v2, view.getBigUint64(at + 8, true));
      v3 = roundN(v3, view.getBigUint64(at + 16, true));
      v4 = roundN(v4, view.getBigUint64(at + 24, true));
    }
    h = (rotl64n(v1, 1n) + rotl64n(v2, 7n) + rotl64n(v3, 12n) + rotl64n(v4, 18n)) & MASK64;
    for (const v of [v1, v2, v3, v4]) h = mergeRoundN(h, v);
  } else {
    h = P5n;
  }
  h = (h + BigInt(length)) & MASK64;
  for (; at + 8 <= length; at += 8) h = step8N(h, view.getBigUint64(at, true));
  if (at + 4 <= length) {
    h ^= (BigInt(view.getUint32(at, true)) * P1n) & MASK64;
    h = (((rotl64n(h, 23n) * P2n) & MASK64) + P3n) & MASK64;
    at += 4;
  }
  for (; at < length; at++) {
    h ^= (BigInt(bytes[at] as number) * P5n) & MASK64;
    h = (rotl64n(h, 11n) * P1n) & MASK64;
  }
  return avalancheN(h);
}

/** The frame_id of a frame (see the top of this file). */
export function frameIdOf(functionName: string, systemName: string, fileName: string, line: number): bigint {
  return xxh64(Buffer.from(`${functionName}\u0000${systemName}\u0000${fileName}\u0000${line}`, 'utf8'));
}

/** The stack_id of frame ids listed leaf first, as stacks store them. */
export function stackIdOf(frameIdsLeafFirst: readonly bigint[]): bigint {
  let h = P5n;
  for (let i = frameIdsLeafFirst.length - 1; i >= 0; i--) h = step8N(h, frameIdsLeafFirst[i] as bigint);
  return avalancheN((h + 8n * BigInt(frameIdsLeafFirst.length)) & MASK64);
}

// ---------------------------------------------------------------------------------------------
// The decoder's implementation: 64-bit values as (hi, lo) unsigned 32-bit halves, results in the
// module's registers below (no object, no bigint per call).

/** The result of the last call: its high and low 32 bits. */
export const contentId = { hi: 0, lo: 0 };

const P1_HI = 0x9e3779b1;
const P1_LO = 0x85ebca87;
const P2_HI = 0xc2b2ae3d;
const P2_LO = 0x27d4eb4f;
const P3_HI = 0x165667b1;
const P3_LO = 0x9e3779f9;
const P4_HI = 0x85ebca77;
const P4_LO = 0xc2b2ae63;
const P5_HI = 0x27d4eb2f;
const P5_LO = 0x165667c5;
const TWO_32 = 4294967296;

// Scratch registers of the 32-bit arithmetic.
let mHi = 0;
let mLo = 0;

/** (aHi, aLo) · (bHi, bLo) mod 2^64 into mHi/mLo: the low halves' 64-bit product via 16-bit limbs. */
function mul(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mLo = (((middle & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16);
  mHi = (carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) >>> 0;
}

/** XXH64's round: rotl(acc + input·P2, 31)·P1, into mHi/mLo. */
function round(accHi: number, accLo: number, inHi: number, inLo: number): void {
  mul(inHi, inLo, P2_HI, P2_LO);
  const lo = accLo + mLo;
  const hi = (accHi + mHi + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  const sumLo = lo >>> 0;
  // rotl 31 = swap halves, then rotr 1
  const rHi = ((sumLo >>> 1) | (hi << 31)) >>> 0;
  const rLo = ((hi >>> 1) | (sumLo << 31)) >>> 0;
  mul(rHi, rLo, P1_HI, P1_LO);
}

/** XXH64's 8-byte step on h = (hHi, hLo) with the round of the input already in (kHi, kLo): into contentId. */
function step8(hHi: number, hLo: number, kHi: number, kLo: number): void {
  const xHi = hHi ^ kHi;
  const xLo = hLo ^ kLo;
  // rotl 27
  const rHi = ((xHi << 27) | (xLo >>> 5)) >>> 0;
  const rLo = ((xLo << 27) | (xHi >>> 5)) >>> 0;
  mul(rHi, rLo, P1_HI, P1_LO);
  const lo = mLo + P4_LO;
  contentId.hi = (mHi + P4_HI + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  contentId.lo = lo >>> 0;
}

/** XXH64's avalanche of (hHi, hLo) into contentId. */
function avalanche(hHi: number, hLo: number): void {
  // h ^= h >> 33
  let lo = (hLo ^ (hHi >>> 1)) >>> 0;
  let hi = hHi;
  mul(hi, lo, P2_HI, P2_LO);
  // h ^= h >> 29
  lo = (mLo ^ ((mLo >>> 29) | (mHi << 3))) >>> 0;
  hi = (mHi ^ (mHi >>> 29)) >>> 0;
  mul(hi, lo, P3_HI, P3_LO);
  // h ^= h >> 32
  contentId.hi = mHi;
  contentId.lo = (mLo ^ mHi) >>> 0;
}

function mergeRound(hHi: number, hLo: number, vHi: number, vLo: number): void {
  round(0, 0, vHi, vLo);
  mul((hHi ^ mHi) >>> 0, (hLo ^ mLo) >>> 0, P1_HI, P1_LO);
  const lo = mLo + P4_LO;
  contentId.hi = (mHi + P4_HI + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  contentId.lo = lo >>> 0;
}

function rotlHi(hi: number, lo: number, r: number): number {
  return ((hi << r) | (lo >>> (32 - r))) >>> 0;
}
function rotlLo(hi: number, lo: number, r: number): number {
  return ((lo << r) | (hi >>> (32 - r))) >>> 0;
}

const word = (b: Uint8Array, at: number): number =>
  ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>>
  0;

/** XXH64 (seed 0) of bytes[from, to), into contentId. */
export function xxh64Range(bytes: Uint8Array, from: number, to: number): void {
  const length = to - from;
  let at = from;
  let hHi: number;
  let hLo: number;
  if (length >= 32) {
    // v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1
    let v1Hi = 0x60ea27ee;
    let v1Lo = 0xadc0b5d6;
    let v2Hi = P2_HI;
    let v2Lo = P2_LO;
    let v3Hi = 0;
    let v3Lo = 0;
    let v4Hi = 0x61c8864e;
    let v4Lo = 0x7a143579;
    for (; at + 32 <= to; at += 32) {
      round(v1Hi, v1Lo, word(bytes, at + 4), word(bytes, at));
      v1Hi = mHi;
      v1Lo = mLo;
      round(v2Hi, v2Lo, word(bytes, at + 12), word(bytes, at + 8));
      v2Hi = mHi;
      v2Lo = mLo;
      round(v3Hi, v3Lo, word(bytes, at + 20), word(bytes, at + 16));
      v3Hi = mHi;
      v3Lo = mLo;
      round(v4Hi, v4Lo, word(bytes, at + 28), word(bytes, at + 24));
      v4Hi = mHi;
      v4Lo = mLo;
    }
    // h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18), summed in doubles then carried
    let lo = rotlLo(v1Hi, v1Lo, 1) + rotlLo(v2Hi, v2Lo, 7) + rotlLo(v3Hi, v3Lo, 12) + rotlLo(v4Hi, v4Lo, 18);
    const carry = Math.floor(lo / TWO_32);
    lo >>>= 0;
    hHi =
      (rotlHi(v1Hi, v1Lo, 1) + rotlHi(v2Hi, v2Lo, 7) + rotlHi(v3Hi, v3Lo, 12) + rotlHi(v4Hi, v4Lo, 18) + carry) >>> 0;
    hLo = lo;
    mergeRound(hHi, hLo, v1Hi, v1Lo);
    mergeRound(contentId.hi, contentId.lo, v2Hi, v2Lo);
    mergeRound(contentId.hi, contentId.lo, v3Hi, v3Lo);
    mergeRound(contentId.hi, contentId.lo, v4Hi, v4Lo);
    hHi = contentId.hi;
    hLo = contentId.lo;
  } else {
    hHi = P5_HI;
    hLo = P5_LO;
  }
  // h += length (below 2^32: inputs here are one frame's text)
  const sum = hLo + (length >>> 0);
  hHi = (hHi + Math.floor(length / TWO_32) + (sum >= TWO_32 ? 1 : 0)) >>> 0;
  hLo = sum >>> 0;
  for (; at + 8 <= to; at += 8) {
    round(0, 0, word(bytes, at + 4), word(bytes, at));
    step8(hHi, hLo, mHi, mLo);
    hHi = contentId.hi;
    hLo = contentId.lo;
  }
  if (at + 4 <= to) {
    mul(0, word(bytes, at), P1_HI, P1_LO);
    const xHi = (hHi ^ mHi) >>> 0;
    const xLo = (hLo ^ mLo) >>> 0;
    mul(rotlHi(xHi, xLo, 23), rotlLo(xHi, xLo, 23), P2_HI, P2_LO);
    const lo = mLo + P3_LO;
    hHi = (mHi + P3_HI + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    hLo = lo >>> 0;
    at += 4;
  }
  for (; at < to; at++) {
    mul(0, bytes[at] as number, P5_HI, P5_LO);
    const xHi = (hHi ^ mHi) >>> 0;
    const xLo = (hLo ^ mLo) >>> 0;
    mul(rotlHi(xHi, xLo, 11), rotlLo(xHi, xLo, 11), P1_HI, P1_LO);
    hHi = mHi;
    hLo = mLo;
  }
  avalanche(hHi, hLo);
}

/** round(0, id): what a frame contributes to every stack chain it is in; computed once per frame. */
export function frameChainKey(frameIdHi: number, frameIdLo: number): void {
  round(0, 0, frameIdHi, frameIdLo);
  contentId.hi = mHi;
  contentId.lo = mLo;
}

/**
 * The stack_id chain in the decoder: state as (hi, lo) in caller-held numbers. `start` and
 * `step` leave the new state in contentId; `finish` leaves the stack_id there.
 */
export const StackChain = {
  startHi: P5_HI,
  startLo: P5_LO,
  /** Adds a frame, given its `frameChainKey`. */
  step(hHi: number, hLo: number, keyHi: number, keyLo: number): void {
    step8(hHi, hLo, keyHi, keyLo);
  },
  /** The stack_id of a chain over `frameCount` frames. */
  finish(hHi: number, hLo: number, frameCount: number): void {
    const add = 8 * frameCount;
    const sum = hLo + add;
    avalanche((hHi + Math.floor(sum / TWO_32)) >>> 0, sum >>> 0);
  },
};
