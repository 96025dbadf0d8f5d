import { describe, expect, it } from 'vitest';
import { countFlameNodes, type FlameNode, matchedTotal, mergeFlameTrees } from '../../ui/src/flame-tree.js';

const node = (name: string, value: number, self: number, children: FlameNode[] = []): FlameNode => ({
  name,
  value,
  self,
  children,
});

describe('flame trees in the browser', () => {
  it('sums trees path by path (a request assembled from its spans)', () => {
    const a = node('all', 30, 0, [node('main', 30, 0, [node('spin', 20, 20), node('io', 10, 10)])]);
    const b = node('all', 15, 0, [node('main', 10, 0, [node('spin', 10, 10)]), node('gc', 5, 5)]);
    const merged = mergeFlameTrees([a, b]);
    expect(merged).toEqual(
      node('all', 45, 0, [node('main', 40, 0, [node('spin', 30, 30), node('io', 10, 10)]), node('gc', 5, 5)]),
    );
    expect(a.children[0]?.value).toBe(30);
    expect(countFlameNodes(merged)).toBe(5);
  });

  it('totals search matches once even when a match calls another match', () => {
    const tree = node('all', 50, 0, [node('http.Serve', 40, 0, [node('http.Handler', 30, 30)]), node('gc', 10, 10)]);
    expect([matchedTotal(tree, 'HTTP'), matchedTotal(tree, 'gc'), matchedTotal(tree, '')]).toEqual([40, 10, 0]);
  });
});
