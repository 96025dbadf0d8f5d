import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlameNode } from '../../shared/query/answers.js';
import {
  boundFlameTree,
  buildFlameTree,
  collapsedStacks,
  countNodes,
  functionTotals,
  OTHER_NODE,
  topFunctions,
  type WeightedStack,
} from '../../shared/query/flame-tree/tree.js';

const RUNS = { numRuns: 200 };

const stack = (frames: string, value: bigint): WeightedStack => ({
  frames: frames === '' ? [] : frames.split(';'),
  value,
});

const node = (name: string, value: bigint, self: bigint, children: FlameNode[] = []): FlameNode => ({
  name,
  value,
  self,
  children,
});

function allNodes(root: FlameNode): FlameNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}

/** Stacks over a few function names, so that prefixes are shared and trees get deep and wide. */
const stacksArbitrary = fc.array(
  fc.record({
    frames: fc.array(fc.constantFrom('main', 'serve', 'handle', 'encode', 'gc', 'write'), { maxLength: 6 }),
    // Small values make ties and zero-valued subtrees common; large ones pass 2^53.
    value: fc.oneof(fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 2n ** 62n })),
  }),
  { maxLength: 40 },
);

describe('buildFlameTree', () => {
  it('merges stacks that share a prefix, with inclusive values and leaf self time', () => {
    const tree = buildFlameTree([stack('main;serve;encode', 30n), stack('main;serve', 10n), stack('main;gc', 5n)]);

    expect(tree).toEqual(
      node('all', 45n, 0n, [
        node('main', 45n, 0n, [node('serve', 40n, 10n, [node('encode', 30n, 30n)]), node('gc', 5n, 5n)]),
      ]),
    );
  });

  it('orders children by value, then by name', () => {
    const tree = buildFlameTree([stack('b', 1n), stack('c', 5n), stack('a', 1n)]);

    expect(tree.children.map((child) => child.name)).toEqual(['c', 'a', 'b']);
  });

  it('counts a stack without frames as self time of the root', () => {
    const tree = buildFlameTree([stack('', 7n), stack('main', 3n)], 'checkout');

    expect([tree.name, tree.value, tree.self]).toEqual(['checkout', 10n, 7n]);
  });

  it('keeps totals exact beyond 2^53 nanoseconds', () => {
    const huge = 2n ** 60n + 1n;

    const tree = buildFlameTree([stack('main', huge), stack('main', 1n)]);

    expect(tree.value).toBe(huge + 1n);
  });

  it('gives every node a total equal to its self time plus its children, and the root the sum of all stacks', () => {
    fc.assert(
      fc.property(stacksArbitrary, (stacks) => {
        const tree = buildFlameTree(stacks);

        expect(tree.value).toBe(stacks.reduce((sum, s) => sum + s.value, 0n));
        for (const n of allNodes(tree)) {
          expect(n.value).toBe(n.self + n.children.reduce((sum, child) => sum + child.value, 0n));
        }
      }),
      RUNS,
    );
  });
});

describe('boundFlameTree', () => {
  it('returns a tree within the limit unchanged and not truncated', () => {
    const tree = buildFlameTree([stack('main;serve', 10n), stack('main;gc', 5n)]);

    expect(boundFlameTree(tree, countNodes(tree))).toEqual({ tree, truncated: false });
  });

  it('keeps the largest nodes and folds the dropped children into one (other) node carrying their total', () => {
    const tree = buildFlameTree([stack('a;a1', 50n), stack('b', 30n), stack('c', 20n)]);

    const bounded = boundFlameTree(tree, 4);

    expect(bounded).toEqual({
      tree: node('all', 100n, 0n, [node('a', 50n, 0n, [node('a1', 50n, 50n)]), node(OTHER_NODE, 50n, 50n)]),
      truncated: true,
    });
  });

  it('keeps only the root and one (other) node at the smallest limit', () => {
    const tree = buildFlameTree([stack('a', 2n), stack('b', 1n)]);

    expect(boundFlameTree(tree, 2).tree).toEqual(node('all', 3n, 0n, [node(OTHER_NODE, 3n, 3n)]));
  });

  it('stays within the limit and keeps every total exact, for any stacks and any limit', () => {
    const input = stacksArbitrary.chain((stacks) =>
      fc.tuple(fc.constant(stacks), fc.integer({ min: 2, max: countNodes(buildFlameTree(stacks)) + 1 })),
    );
    fc.assert(
      fc.property(input, ([stacks, maxNodes]) => {
        const full = buildFlameTree(stacks);

        const { tree } = boundFlameTree(full, maxNodes);

        expect(countNodes(tree)).toBeLessThanOrEqual(maxNodes);
        expect(tree.value).toBe(full.value);
        expect(allNodes(tree).reduce((sum, n) => sum + n.self, 0n)).toBe(full.value);
        for (const n of allNodes(tree)) {
          expect(n.value).toBe(n.self + n.children.reduce((sum, child) => sum + child.value, 0n));
        }
      }),
      RUNS,
    );
  });

  it('keeps each kept node with the total it had in the full tree', () => {
    const input = stacksArbitrary.chain((stacks) =>
      fc.tuple(fc.constant(stacks), fc.integer({ min: 2, max: Math.max(2, countNodes(buildFlameTree(stacks))) })),
    );
    fc.assert(
      fc.property(input, ([stacks, maxNodes]) => {
        const full = buildFlameTree(stacks);
        const totalsByPath = new Map<string, bigint>();
        const walk = (n: FlameNode, path: string) => {
          totalsByPath.set(path, n.value);
          for (const child of n.children) walk(child, `${path};${child.name}`);
        };
        walk(full, full.name);

        const { tree } = boundFlameTree(full, maxNodes);

        const check = (n: FlameNode, path: string) => {
          if (n.name !== OTHER_NODE) expect(totalsByPath.get(path)).toBe(n.value);
          for (const child of n.children) check(child, `${path};${child.name}`);
        };
        check(tree, tree.name);
      }),
      RUNS,
    );
  });
});

describe('collapsedStacks', () => {
  it('writes one sorted line per distinct stack, merging repeats', () => {
    const text = collapsedStacks([stack('main;serve', 10n), stack('main;gc', 5n), stack('main;serve', 2n)]);

    expect(text).toBe('main;gc 5\nmain;serve 12\n');
  });

  it('leaves out stacks whose total is zero', () => {
    expect(collapsedStacks([stack('main;idle', 0n), stack('main', 1n)])).toBe('main 1\n');
  });

  it('replaces separators and line breaks inside frame names, so every line stays parseable', () => {
    const text = collapsedStacks([{ frames: ['main', 'a;b', 'c\nd\re'], value: 3n }]);

    expect(text).toBe('main;a_b;c_d_e 3\n');
  });
});

describe('functionTotals and topFunctions', () => {
  it('counts a recursive function once per stack in its total, and as self only at the leaf', () => {
    const totals = functionTotals([stack('main;walk;walk;walk', 10n), stack('main;walk;print', 4n)]);

    expect(totals).toEqual([
      { function: 'main', self_ns: 0n, total_ns: 14n },
      { function: 'walk', self_ns: 10n, total_ns: 14n },
      { function: 'print', self_ns: 4n, total_ns: 4n },
    ]);
  });

  it('ranks by the chosen measure, then by name, leaving out functions without any', () => {
    const stacks = [stack('main;b', 5n), stack('main;a', 5n), stack('main;c', 9n)];

    expect(topFunctions(stacks, 'self_ns', 10).map((f) => f.function)).toEqual(['c', 'a', 'b']);
  });

  it('returns at most the limit', () => {
    const stacks = [stack('main;a', 3n), stack('main;b', 2n), stack('main;c', 1n)];

    expect(topFunctions(stacks, 'total_ns', 2).map((f) => [f.function, f.total_ns])).toEqual([
      ['main', 6n],
      ['a', 3n],
    ]);
  });
});
