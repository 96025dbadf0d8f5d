import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import xxhashWasm from 'xxhash-wasm';
import { frameIdOf, frameIdOfLine, StackChain, stackIdOf, xxh32Pair } from '../../shared/pprof/content-ids.js';

/**
 * Frame and stack ids (shared/pprof/content-ids.ts): the hand-written XXH32 against the
 * xxhash-wasm library and the published vectors, and the decoder's resumable stack chain against
 * the plain `stackIdOf`.
 */
let h32Raw: (input: Uint8Array, seed?: number) => number;
beforeAll(async () => {
  ({ h32Raw } = await xxhashWasm());
});

/** Where the functions under test write their ids. */
const contentId = new Uint32Array(2);
const pair = (bytes: Uint8Array, from = 0, to = bytes.length): [number, number] => {
  xxh32Pair(bytes, from, to, contentId);
  return [contentId[0] as number, contentId[1] as number];
};
const hiLo = (id: bigint): [number, number] => [Number(id >> 32n), Number(id & 0xffffffffn)];

describe('XXH32 pair', () => {
  it('matches published vectors (seed 0)', () => {
    expect(pair(new Uint8Array(0))[0]).toBe(0x02cc5d05);
    expect(pair(Buffer.from('abc'))[0]).toBe(0x32d153ff);
  });

  it('equals xxhash-wasm with seeds 0 and 1 for every length from 0 to 100', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let length = 0; length <= 100; length++) {
      const input = bytes.subarray(0, length);
      expect(pair(input)).toEqual([h32Raw(input, 0), h32Raw(input, 1)]);
    }
  });

  it('equals xxhash-wasm on random bytes, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, skip) => {
        const from = Math.min(skip, bytes.length);
        const input = bytes.subarray(from);
        expect(pair(bytes, from, bytes.length)).toEqual([h32Raw(input, 0), h32Raw(input, 1)]);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('frame and stack ids', () => {
  it("frame_id mixes the line into the XXH32 pair of the function's UTF-8 text", () => {
    const text = Buffer.from('main.handler\u0000main.handler\u0000/src/main.go');
    frameIdOfLine(h32Raw(text, 0), h32Raw(text, 1), 42, contentId);
    expect(hiLo(frameIdOf('main.handler', 'main.handler', '/src/main.go', 42))).toEqual([contentId[0], contentId[1]]);
    const accented = Buffer.from('café\u0000\u0000', 'utf8');
    frameIdOfLine(h32Raw(accented, 0), h32Raw(accented, 1), 0, contentId);
    expect(hiLo(frameIdOf('café', '', '', 0))).toEqual([contentId[0], contentId[1]]);
  });

  it('frame_id tells apart lines, including ones past 2^32 that share their low half', () => {
    const lines = [0, 1, 2, 42, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40];
    const ids = new Set(lines.map((line) => frameIdOf('f', '', '', line)));
    expect(ids.size).toBe(lines.length);
  });

  it('the stack of no frames is XXH32 of no bytes (the chain is its short-input path)', () => {
    // With no frames the chain is XXH32's short path on empty input: seed + P5 + 0, avalanched.
    expect(hiLo(stackIdOf([]))).toEqual([h32Raw(new Uint8Array(0), 0), h32Raw(new Uint8Array(0), 1)]);
  });

  it('the resumable chain (a caller path kept, then leaves added) equals stackIdOf', () => {
    const id = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(fc.array(id, { maxLength: 40 }), fc.array(id, { maxLength: 3 }), (callers, leaf) => {
        const state = new Int32Array(4);
        StackChain.start(state, 2);
        for (let i = callers.length - 1; i >= 0; i--) StackChain.step(state, 2, ...hiLo(callers[i] as bigint));
        state.copyWithin(0, 2, 4);
        for (let i = leaf.length - 1; i >= 0; i--) StackChain.step(state, 0, ...hiLo(leaf[i] as bigint));
        StackChain.finish(state, 0, leaf.length + callers.length, contentId);
        expect(hiLo(stackIdOf([...leaf, ...callers]))).toEqual([contentId[0], contentId[1]]);
      }),
      { numRuns: 1_000 },
    );
  });

  it('keeps the ids stored rows already carry (pinned values: a change here re-keys every stack)', () => {
    const handler = frameIdOf('main.handler', 'main.handler', '/src/main.go', 42);
    const serve = frameIdOf(
      'net/http.(*conn).serve',
      'net/http.(*conn).serve',
      '/usr/local/go/src/net/http/server.go',
      2039,
    );
    expect([handler, serve]).toEqual([4115332004810284916n, 17222323955810718058n]);
    expect([stackIdOf([]), stackIdOf([handler]), stackIdOf([handler, serve])]).toEqual([
      201638359568529298n,
      1330240453604889836n,
      15465354093027924874n,
    ]);
  });

  it('depends on order and length', () => {
    const a = frameIdOf('a', '', '', 1);
    const b = frameIdOf('b', '', '', 1);
    const ids = new Set([stackIdOf([]), stackIdOf([a]), stackIdOf([a, b]), stackIdOf([b, a]), stackIdOf([a, a])]);
    expect(ids.size).toBe(5);
  });

  it('spreads: no collision among 200k stacks that differ in one frame, nor in either half alone', () => {
    const base = Array.from({ length: 20 }, (_, i) => frameIdOf(`f${i}`, '', '', i));
    const ids = new Set<bigint>();
    const highs = new Set<bigint>();
    for (let leaf = 0; leaf < 10_000; leaf++) {
      for (let depth = 0; depth < 20; depth++) {
        const frames = base.slice(depth);
        frames[0] = frameIdOf(`leaf${leaf}`, '', '', depth);
        const id = stackIdOf(frames);
        ids.add(id);
        highs.add(id >> 32n);
      }
    }
    expect(ids.size).toBe(200_000);
    // 32 bits over 200k values: about 5 collisions expected by chance; far more would mean the lanes are weak.
    expect(highs.size).toBeGreaterThan(200_000 - 30);
  });
});
