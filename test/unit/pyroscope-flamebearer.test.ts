import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundFlameTree, buildFlameTree, type WeightedStack } from '../../shared/query/flame-tree/tree.js';
import { toFlameBearer } from '../../shared/query/pyroscope/flamebearer.js';
import { type FlameGraphMessage, flameGraphPaths } from '../support/pyroscope-query.js';

const asMessage = (bearer: ReturnType<typeof toFlameBearer>): FlameGraphMessage => ({
  names: bearer.names,
  levels: bearer.levels.map((l) => ({ values: l.values.map(String) })),
  total: String(bearer.total),
  maxSelf: String(bearer.maxSelf),
});

function collapsed(stacks: readonly WeightedStack[]): Map<string, bigint> {
  const paths = new Map<string, bigint>();
  for (const s of stacks) {
    if (s.value === 0n) continue;
    const key = s.frames.join(';');
    paths.set(key, (paths.get(key) ?? 0n) + s.value);
  }
  return paths;
}

const stacks = fc.array(
  fc.record({
    frames: fc.array(fc.constantFrom('main', 'a', 'b', 'c', 'json.Marshal', 'runtime.gc'), {
      minLength: 1,
      maxLength: 6,
    }),
    value: fc.bigInt({ min: 0n, max: 1n << 62n }),
  }),
  { maxLength: 40 },
);

describe('toFlameBearer', () => {
  it('writes [x-delta, total, self, name] per node, level by level, from one root named total', () => {
    const bearer = toFlameBearer(
      buildFlameTree(
        [
          { frames: ['a', 'b'], value: 3n },
          { frames: ['a', 'c'], value: 2n },
          { frames: ['d'], value: 1n },
        ],
        'total',
      ),
    );
    expect(bearer.names).toEqual(['total', 'a', 'b', 'c', 'd']);
    expect(bearer.levels.map((l) => l.values)).toEqual([
      [0n, 6n, 0n, 0n],
      [0n, 5n, 0n, 1n, 0n, 1n, 1n, 4n],
      [0n, 3n, 3n, 2n, 0n, 2n, 2n, 3n],
    ]);
    expect([bearer.total, bearer.maxSelf]).toEqual([6n, 3n]);
  });

  it('gives an empty selection one root of 0', () => {
    const bearer = toFlameBearer(buildFlameTree([], 'total'));
    expect([bearer.names, bearer.levels.map((l) => l.values), bearer.total]).toEqual([
      ['total'],
      [[0n, 0n, 0n, 0n]],
      0n,
    ]);
  });

  it('decodes, as Grafana reads it, to exactly the stacks it was built from', () => {
    fc.assert(
      fc.property(stacks, (list) => {
        expect(flameGraphPaths(asMessage(toFlameBearer(buildFlameTree(list, 'total'))))).toEqual(collapsed(list));
      }),
      { numRuns: 300 },
    );
  });

  it('stays well formed with the same total when max_nodes bounds the tree', () => {
    fc.assert(
      fc.property(stacks, fc.integer({ min: 2, max: 30 }), (list, maxNodes) => {
        const { tree } = boundFlameTree(buildFlameTree(list, 'total'), maxNodes);
        const bearer = toFlameBearer(tree);
        const paths = flameGraphPaths(asMessage(bearer));
        expect(bearer.levels.reduce((n, l) => n + l.values.length / 4, 0)).toBeLessThanOrEqual(maxNodes);
        expect([...paths.values()].reduce((a, b) => a + b, 0n)).toBe(list.reduce((sum, s) => sum + s.value, 0n));
      }),
      { numRuns: 300 },
    );
  });
});
