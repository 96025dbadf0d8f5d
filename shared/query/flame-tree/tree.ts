import type { FlameNode, FunctionCpu } from '../answers.js';
/**
 * Flame graphs from weighted stacks. Pure: no I/O. Nodes are keyed by function name along the
 * path from the root, as `go tool pprof` aggregates at its default (functions) granularity; a
 * node's `value` is its total (inclusive) CPU and `self` the part spent in it as the leaf.
 * The JSON shape ({name, value, children}) is what d3-flame-graph and most flame-graph libraries
 * read; `self` is extra.
 */
export interface WeightedStack {
  /** Function names, root first. */
  frames: string[];
  value: bigint;
}

export const OTHER_NODE = '(other)';

function byValueThenName(a: FlameNode, b: FlameNode): number {
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function buildFlameTree(stacks: readonly WeightedStack[], rootName = 'all'): FlameNode {
  interface Building {
    node: FlameNode;
    index: Map<string, Building>;
  }
  const root: Building = { node: { name: rootName, value: 0n, self: 0n, children: [] }, index: new Map() };
  for (const stack of stacks) {
    let at = root;
    at.node.value += stack.value;
    for (const name of stack.frames) {
      let next = at.index.get(name);
      if (!next) {
        next = { node: { name, value: 0n, self: 0n, children: [] }, index: new Map() };
        at.index.set(name, next);
        at.node.children.push(next.node);
      }
      next.node.value += stack.value;
      at = next;
    }
    at.node.self += stack.value;
  }
  const sort = (node: FlameNode) => {
    node.children.sort(byValueThenName);
    for (const child of node.children) sort(child);
  };
  sort(root.node);
  return root.node;
}

export function countNodes(node: FlameNode): number {
  return 1 + node.children.reduce((n, child) => n + countNodes(child), 0);
}

/**
 * Which nodes a tree bounded to `maxNodes` keeps (the root and the "(other)" node each parent that
 * loses children gets counted in), largest `width` first; ties in BFS order, so a node's parent is
 * always considered before the node.
 */
export function nodesToKeep<N extends { children: N[] }>(
  root: N,
  maxNodes: number,
  width: (node: N) => bigint,
): Set<N> {
  const order: { node: N; parent: N | undefined; seq: number }[] = [];
  const queue: { node: N; parent: N | undefined }[] = [{ node: root, parent: undefined }];
  for (let i = 0; i < queue.length; i += 1) {
    const item = queue[i] as (typeof queue)[number];
    order.push({ ...item, seq: i });
    for (const child of item.node.children) queue.push({ node: child, parent: item.node });
  }
  order.sort((x, y) => {
    const wx = width(x.node);
    const wy = width(y.node);
    return wx !== wy ? (wx > wy ? -1 : 1) : x.seq - y.seq;
  });
  const kept = new Set<N>([root]);
  const missing = new Map<N, number>([[root, root.children.length]]);
  let others = root.children.length > 0 ? 1 : 0;
  for (const { node, parent } of order) {
    if (node === root || !parent || !kept.has(parent)) continue;
    const parentMissing = missing.get(parent) ?? 0;
    const othersAfter = others - (parentMissing === 1 ? 1 : 0) + (node.children.length > 0 ? 1 : 0);
    if (kept.size + 1 + othersAfter > maxNodes) continue;
    kept.add(node);
    missing.set(parent, parentMissing - 1);
    missing.set(node, node.children.length);
    others = othersAfter;
  }
  return kept;
}

/**
 * Keeps at most `maxNodes` nodes (the root and "(other)" nodes included), preferring the largest.
 * The children a kept node loses are folded into one "(other)" child carrying their total as
 * self time, so every kept node's total, the root's total and the sum of all self values are
 * unchanged.
 */
export function boundFlameTree(root: FlameNode, maxNodes: number): { tree: FlameNode; truncated: boolean } {
  if (countNodes(root) <= maxNodes) return { tree: root, truncated: false };
  const kept = nodesToKeep(root, maxNodes, (node) => node.value);
  const copy = (node: FlameNode): FlameNode => {
    const children = node.children.filter((c) => kept.has(c)).map(copy);
    const dropped = node.children.filter((c) => !kept.has(c)).reduce((sum, c) => sum + c.value, 0n);
    if (dropped > 0n) children.push({ name: OTHER_NODE, value: dropped, self: dropped, children: [] });
    return { name: node.name, value: node.value, self: node.self, children };
  };
  return { tree: copy(root), truncated: true };
}

/** Brendan Gregg's folded format: `root;child;leaf <value>` per line, frames root first. */
export function collapsedStacks(stacks: readonly WeightedStack[]): string {
  const merged = new Map<string, bigint>();
  for (const stack of stacks) {
    // Frame names may themselves hold ';' or newlines: replaced so each line stays parseable.
    const key = stack.frames.map((f) => f.replace(/[;\r\n]/g, '_')).join(';');
    merged.set(key, (merged.get(key) ?? 0n) + stack.value);
  }
  return [...merged]
    .filter(([, value]) => value !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key} ${value}\n`)
    .join('');
}

/** Per function: self = as the leaf; total = in the stack at all (counted once per stack). */
export function functionTotals(stacks: readonly WeightedStack[]): FunctionCpu[] {
  const totals = new Map<string, FunctionCpu>();
  const entry = (name: string) => {
    let found = totals.get(name);
    if (!found) {
      found = { function: name, self_ns: 0n, total_ns: 0n };
      totals.set(name, found);
    }
    return found;
  };
  for (const stack of stacks) {
    for (const name of new Set(stack.frames)) entry(name).total_ns += stack.value;
    const leaf = stack.frames[stack.frames.length - 1];
    if (leaf !== undefined) entry(leaf).self_ns += stack.value;
  }
  return [...totals.values()];
}

export function topFunctions(
  stacks: readonly WeightedStack[],
  by: 'self_ns' | 'total_ns',
  limit: number,
): FunctionCpu[] {
  return functionTotals(stacks)
    .filter((f) => f[by] > 0n)
    .sort((a, b) => (a[by] !== b[by] ? (a[by] > b[by] ? -1 : 1) : a.function < b.function ? -1 : 1))
    .slice(0, limit);
}
