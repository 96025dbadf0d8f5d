import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../shared/platform/auth.js';

/**
 * The key lookup must not reveal, by its timing, whether or where a key matched: every configured
 * entry is compared, in constant time, whatever the presented key. Checked two ways: by counting
 * the constant-time comparisons (node:crypto's timingSafeEqual, observed through the builtin's
 * exports), and by timing lookups against many keys.
 */
const keys = Array.from({ length: 2000 }, (_, i) => ({
  key: `tenant-key-${String(i).padStart(6, '0')}`,
  tenant: `t${i}`,
}));
const first = keys[0]?.key ?? '';
const last = keys[keys.length - 1]?.key ?? '';

const original = crypto.timingSafeEqual;
afterEach(() => {
  crypto.timingSafeEqual = original;
  syncBuiltinESMExports();
});

function countComparisons(run: () => void): { calls: number; lengths: Set<number> } {
  const seen = { calls: 0, lengths: new Set<number>() };
  crypto.timingSafeEqual = (a, b) => {
    seen.calls += 1;
    seen.lengths.add(a.byteLength).add(b.byteLength);
    return original(a, b);
  };
  syncBuiltinESMExports();
  try {
    run();
  } catch {
    // Refused keys throw; only the comparisons matter here.
  }
  return seen;
}

describe('the API key lookup', () => {
  const auth = createAuthenticator(keys);

  it.each([
    ['the first key', first],
    ['the last key', last],
    ['an unknown key', 'not-a-configured-key'],
    ['a prefix of the first key', first.slice(0, -1)],
    ['a very long key', 'x'.repeat(100_000)],
  ])('compares every configured entry for %s', (_what, key) => {
    const { calls } = countComparisons(() => auth.tenantOf({ authorization: `Bearer ${key}` }));

    expect(calls).toBe(keys.length);
  });

  it('compares fixed-length digests only, so the length of a key says nothing either', () => {
    const { lengths } = countComparisons(() => auth.tenantOf({ 'dd-api-key': 'short-key' }));

    expect([...lengths]).toEqual([32]);
  });

  it('still maps each key to its own tenant', () => {
    expect([auth.tenantOf({ 'dd-api-key': first }), auth.tenantOf({ 'dd-api-key': last })]).toEqual([
      't0',
      `t${keys.length - 1}`,
    ]);
  });

  it('takes as long to match the first key as to refuse an unknown one', () => {
    const time = (key: string) => {
      const start = performance.now();
      for (let i = 0; i < 5; i += 1) {
        try {
          auth.tenantOf({ authorization: `Bearer ${key}` });
        } catch {
          // refused
        }
      }
      return performance.now() - start;
    };
    const candidates = [first, last, 'not-a-configured-key'];
    // Interleaved rounds: a busy machine slows all three alike instead of whichever ran last.
    const times: number[][] = candidates.map(() => []);
    for (const key of candidates) time(key); // warm-up
    for (let round = 0; round < 41; round += 1) {
      for (const [i, key] of candidates.entries()) times[i]?.push(time(key));
    }
    const [matchFirst, matchLast, unknown] = times.map((t) => t.sort((a, b) => a - b)[20] ?? 0) as [
      number,
      number,
      number,
    ];

    // An early exit would make the first key ~2000× faster than an unknown one; allow noise only.
    expect(matchFirst / unknown).toBeGreaterThan(0.25);
    expect(matchLast / unknown).toBeGreaterThan(0.25);
  });
});
