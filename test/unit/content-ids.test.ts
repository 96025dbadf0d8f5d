import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import xxhashWasm from 'xxhash-wasm';
import {
  contentId,
  frameChainKey,
  frameIdOf,
  StackChain,
  stackIdOf,
  xxh64,
  xxh64Range,
} from '../../shared/pprof/content-ids.js';

/**
 * Frame and stack ids (shared/pprof/content-ids.ts). The bigint definitions are checked against
 * the xxhash-wasm library and published vectors; the decoder's 32-bit-halves code against them.
 */
let h64Raw: (input: Uint8Array, seed?: bigint) => bigint;
beforeAll(async () => {
  ({ h64Raw } = await xxhashWasm());
});

const fast = (bytes: Uint8Array, from = 0, to = bytes.length): bigint => {
  xxh64Range(bytes, from, to);
  return (BigInt(contentId.hi) << 32n) | BigInt(contentId.lo);
};

function fastStackId(frameIdsLeafFirst: readonly bigint[]): bigint {
  let hi = StackChain.startHi;
  let lo = StackChain.startLo;
  for (let i = frameIdsLeafFirst.length - 1; i >= 0; i--) {
    const id = frameIdsLeafFirst[i] as bigint;
    frameChainKey(Number(id >> 32n), Number(id & 0xffffffffn));
    StackChain.step(hi, lo, contentId.hi, contentId.lo);
    hi = contentId.hi;
    lo = contentId.lo;
  }
  StackChain.finish(hi, lo, frameIdsLeafFirst.length);
  return (BigInt(contentId.hi) << 32n) | BigInt(contentId.lo);
}

describe('XXH64', () => {
  it('matches published vectors', () => {
    expect(xxh64(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(xxh64(Buffer.from('abc'))).toBe(0x44bc2cf5ad770999n);
    expect(fast(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(fast(Buffer.from('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  it('the bigint definition equals xxhash-wasm for every length from 0 to 200', () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let length = 0; length <= 200; length++) {
      const input = bytes.subarray(0, length);
      expect(xxh64(input)).toBe(h64Raw(input, 0n));
    }
  });

  it('the decoder implementation equals xxhash-wasm on random bytes, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, skip) => {
        const from = Math.min(skip, bytes.length);
        expect(fast(bytes, from, bytes.length)).toBe(h64Raw(bytes.subarray(from), 0n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('carries right where sums pass 2^32 and 2^64 (all-ones input)', () => {
    for (const length of [8, 31, 32, 33, 64, 100]) {
      const input = new Uint8Array(length).fill(0xff);
      expect(fast(input)).toBe(h64Raw(input, 0n));
    }
  });
});

describe('frame and stack ids', () => {
  it('frame_id is XXH64 of the UTF-8 frame text', () => {
    const text = 'main.handler\u0000main.handler\u0000/src/main.go\u000042';
    expect(frameIdOf('main.handler', 'main.handler', '/src/main.go', 42)).toBe(h64Raw(Buffer.from(text), 0n));
    expect(frameIdOf('café', '', '', 0)).toBe(h64Raw(Buffer.from('café\u0000\u0000\u00000', 'utf8'), 0n));
  });

  it('the chain in 32-bit halves equals the bigint definition', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 60 }), (ids) => {
        expect(fastStackId(ids)).toBe(stackIdOf(ids));
      }),
      { numRuns: 1_000 },
    );
  });

  it('depends on order and length', () => {
    const a = frameIdOf('a', '', '', 1);
    const b = frameIdOf('b', '', '', 1);
    const ids = new Set([stackIdOf([]), stackIdOf([a]), stackIdOf([a, b]), stackIdOf([b, a]), stackIdOf([a, a])]);
    expect(ids.size).toBe(5);
  });

  it('spreads: no collision among 200k stacks that differ in one frame', () => {
    const base = Array.from({ length: 20 }, (_, i) => frameIdOf(`f${i}`, '', '', i));
    const seen = new Set<bigint>();
    for (let leaf = 0; leaf < 10_000; leaf++) {
      for (let depth = 0; depth < 20; depth++) {
        const ids = base.slice(depth);
        ids[0] = frameIdOf(`leaf${leaf}`, '', '', depth);
        seen.add(fastStackId(ids));
      }
    }
    expect(seen.size).toBe(200_000);
  });
});
