import { describe, expect, it } from 'vitest';
import { countFlameNodes, type FlameNode, matchedTotal } from '../../ui/src/flame-tree.js';

const node = (name: string, value: number, self: number, children: FlameNode[] = []): FlameNode => ({
  name,
  value,
  self,
  children,
});

describe('flame trees in the browser', () => {
  it('counts every node, the root included', () => {
    expect(countFlameNodes(node('all', 3, 0, [node('a', 2, 2), node('b', 1, 0, [node('c', 1, 1)])]))).toBe(4);
  });

  it('totals search matches once even when a match calls another match', () => {
    const tree = node('all', 50, 0, [node('http.Serve', 40, 0, [node('http.Handler', 30, 30)]), node('gc', 10, 10)]);
    expect([matchedTotal(tree, 'HTTP'), matchedTotal(tree, 'gc'), matchedTotal(tree, '')]).toEqual([40, 10, 0]);
  });
});
