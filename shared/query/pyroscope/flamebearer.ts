import type { FlameNode } from '../answers.js';

/**
 * Pyroscope's flame graph ("flamebearer"): `names` (names[0] = "total", the root) and `levels`,
 * one per depth, each a flat list of [x-delta, total, self, name index] per node. A node's x is
 * its left edge in value units: the parent's x plus the totals of the siblings before it; x-delta
 * is the distance from the end of the previous node on the same level (0 for a level's first node
 * from 0). Totals stay exact: the tree (bounded or not) is written as it is.
 */
export interface FlameBearer {
  names: string[];
  levels: { values: bigint[] }[];
  total: bigint;
  maxSelf: bigint;
}

export function toFlameBearer(root: FlameNode): FlameBearer {
  const names: string[] = ['total'];
  const nameIndex = new Map<string, number>([['total', 0]]);
  const indexOf = (name: string): number => {
    let index = nameIndex.get(name);
    if (index === undefined) {
      index = names.length;
      names.push(name);
      nameIndex.set(name, index);
    }
    return index;
  };
  const levels: { values: bigint[] }[] = [];
  /** End (x + total) of the last node written on each level. */
  const levelEnds: bigint[] = [];
  let maxSelf = 0n;
  // Depth-first, children left to right: each level's nodes are written in increasing x.
  const stack: { node: FlameNode; depth: number; x: bigint }[] = [{ node: root, depth: 0, x: 0n }];
  while (stack.length > 0) {
    const { node, depth, x } = stack.pop() as { node: FlameNode; depth: number; x: bigint };
    if (levels.length === depth) {
      levels.push({ values: [] });
      levelEnds.push(0n);
    }
    const name = depth === 0 ? 0 : indexOf(node.name);
    (levels[depth] as { values: bigint[] }).values.push(
      x - (levelEnds[depth] as bigint),
      node.value,
      node.self,
      BigInt(name),
    );
    levelEnds[depth] = x + node.value;
    if (node.self > maxSelf) maxSelf = node.self;
    const children: { node: FlameNode; depth: number; x: bigint }[] = [];
    let childX = x;
    for (const child of node.children) {
      children.push({ node: child, depth: depth + 1, x: childX });
      childX += child.value;
    }
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i] as (typeof children)[number]);
  }
  return { names, levels, total: root.value, maxSelf };
}
