import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundDiffTree,
  collapsedDiff,
  countDiffNodes,
  type DiffNode,
  diffFlameTrees,
  ratio,
} from '../../shared/query/flame-tree/diff-tree.js';
import { buildFlameTree, type WeightedStack } from '../../shared/query/flame-tree/tree.js';

const stacks = fc.array(
  fc.record({
    frames: fc.array(fc.constantFrom('main', 'a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 }),
    value: fc.bigInt({ min: 1n, max: 1n << 62n }),
  }),
  { maxLength: 25 },
);

const sumSelf = (node: DiffNode, side: 'a_self' | 'b_self'): bigint =>
  node[side] + node.children.reduce((sum, child) => sum + sumSelf(child, side), 0n);
const total = (s: readonly WeightedStack[]) => s.reduce((sum, x) => sum + x.value, 0n);

describe('diff flame trees', () => {
  it('keep both sides’ totals and self sums, whole and bounded', () => {
    fc.assert(
      fc.property(stacks, stacks, fc.integer({ min: 2, max: 12 }), (a, b, maxNodes) => {
        const diff = diffFlameTrees(buildFlameTree(a), buildFlameTree(b), { kind: 'absolute' });
        const { tree } = boundDiffTree(diff, maxNodes, { kind: 'absolute' });
        for (const t of [diff, tree]) {
          expect([t.a_total, t.b_total, t.diff_total]).toEqual([total(a), total(b), total(b) - total(a)]);
          expect([sumSelf(t, 'a_self'), sumSelf(t, 'b_self')]).toEqual([total(a), total(b)]);
        }
        expect(countDiffNodes(tree)).toBeLessThanOrEqual(
          Math.max(maxNodes, countDiffNodes(diff) <= maxNodes ? maxNodes : 0),
        );
      }),
    );
  });

  it('writes folded stacks with both sides’ values', () => {
    expect(
      collapsedDiff(
        [
          { frames: ['main', 'a'], value: 3n },
          { frames: ['main', 'a'], value: 2n },
        ],
        [{ frames: ['main', 'b;c'], value: 7n }],
      ),
    ).toBe('main;a 5 0\nmain;b_c 0 7\n');
  });

  it('divides exactly enough for huge figures', () => {
    expect(ratio((1n << 80n) + 1n, 1n << 40n)).toBe(2 ** 40);
    expect(ratio(1n, 3n)).toBeCloseTo(1 / 3, 15);
    expect(ratio(5n, 0n)).toBe(0);
  });
});
