import type { FlameNode } from '../answers.js';
import { nodesToKeep, OTHER_NODE } from './tree.js';

/**
 * Diff flame graphs: two flame trees (A and B) merged by function path. Pure: no I/O.
 * Each node holds both sides' total and self and their differences, exactly (bigints), so every
 * figure equals the difference of the two single-selection flame graphs. `value` and `delta` are
 * what d3-flame-graph's differential mode reads: the width (A + B, so that frames found on one
 * side only stay visible and children never outgrow their parent) and the change (B − A), both on
 * the scale the query asked for (see `Scale`).
 */
export interface DiffNode {
  name: string;
  a_total: bigint;
  a_self: bigint;
  b_total: bigint;
  b_self: bigint;
  diff_total: bigint;
  diff_self: bigint;
  /** a_total + b_total on the asked scale: the width d3-flame-graph draws. */
  value: bigint | number;
  /** b_total − a_total on the asked scale: what d3-flame-graph colours by. */
  delta: bigint | number;
  /** Figures on the asked scale (absent for `absolute`, where they are the bigints above). */
  scaled?: { a_total: number; a_self: number; b_total: number; b_self: number; diff_total: number; diff_self: number };
  /** "a" or "b" when the frame path occurs on one side only. */
  only?: 'a' | 'b';
  children: DiffNode[];
}

/** How a side's nanoseconds become the figures shown: as they are, per request, or as a share. */
export type Scale = { kind: 'absolute' } | { kind: 'divide'; a: bigint; b: bigint };

const EMPTY: FlameNode = { name: '', value: 0n, self: 0n, children: [] };

/** x / d as a float, exact to ~15 significant digits however large x is. */
export function ratio(x: bigint, d: bigint): number {
  if (d === 0n) return 0;
  const whole = x / d;
  return Number(whole) + Number(x - whole * d) / Number(d);
}

function byWidthThenName(x: DiffNode, y: DiffNode): number {
  const wx = x.a_total + x.b_total;
  const wy = y.a_total + y.b_total;
  if (wx !== wy) return wx > wy ? -1 : 1;
  return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
}

function diffNode(
  name: string,
  a: FlameNode,
  b: FlameNode,
  scale: Scale,
  only: 'a' | 'b' | undefined,
  children: DiffNode[],
): DiffNode {
  const node: DiffNode = {
    name,
    a_total: a.value,
    a_self: a.self,
    b_total: b.value,
    b_self: b.self,
    diff_total: b.value - a.value,
    diff_self: b.self - a.self,
    value: a.value + b.value,
    delta: b.value - a.value,
    ...(only ? { only } : {}),
    children,
  };
  if (scale.kind === 'divide') {
    const s = {
      a_total: ratio(a.value, scale.a),
      a_self: ratio(a.self, scale.a),
      b_total: ratio(b.value, scale.b),
      b_self: ratio(b.self, scale.b),
      diff_total: 0,
      diff_self: 0,
    };
    s.diff_total = s.b_total - s.a_total;
    s.diff_self = s.b_self - s.a_self;
    node.scaled = s;
    node.value = s.a_total + s.b_total;
    node.delta = s.diff_total;
  }
  return node;
}

/** Merges two flame trees (same root name) into one diff tree. */
export function diffFlameTrees(a: FlameNode, b: FlameNode, scale: Scale): DiffNode {
  const merge = (x: FlameNode | undefined, y: FlameNode | undefined, name: string): DiffNode => {
    const names: string[] = [];
    const xs = new Map<string, FlameNode>();
    const ys = new Map<string, FlameNode>();
    for (const c of x?.children ?? []) {
      xs.set(c.name, c);
      names.push(c.name);
    }
    for (const c of y?.children ?? []) {
      ys.set(c.name, c);
      if (!xs.has(c.name)) names.push(c.name);
    }
    const children = names.map((n) => merge(xs.get(n), ys.get(n), n)).sort(byWidthThenName);
    const only = x === undefined ? 'b' : y === undefined ? 'a' : undefined;
    return diffNode(name, x ?? EMPTY, y ?? EMPTY, scale, only, children);
  };
  return merge(a, b, a.name);
}

export function countDiffNodes(node: DiffNode): number {
  return 1 + node.children.reduce((n, child) => n + countDiffNodes(child), 0);
}

/**
 * Keeps at most `maxNodes` nodes, the widest (A + B) first, as boundFlameTree does for one side:
 * the children a kept node loses fold into one "(other)" child holding their sums as self, so every
 * kept node's figures and the sums of all self figures are unchanged.
 */
export function boundDiffTree(root: DiffNode, maxNodes: number, scale: Scale): { tree: DiffNode; truncated: boolean } {
  if (countDiffNodes(root) <= maxNodes) return { tree: root, truncated: false };
  const kept = nodesToKeep(root, maxNodes, (n) => n.a_total + n.b_total);
  const copy = (node: DiffNode): DiffNode => {
    const children = node.children.filter((c) => kept.has(c)).map(copy);
    const dropped = node.children.filter((c) => !kept.has(c));
    if (dropped.length > 0) {
      const a = dropped.reduce((sum, c) => sum + c.a_total, 0n);
      const b = dropped.reduce((sum, c) => sum + c.b_total, 0n);
      const folded = { name: OTHER_NODE, children: [] };
      children.push(
        diffNode(OTHER_NODE, { ...folded, value: a, self: a }, { ...folded, value: b, self: b }, scale, undefined, []),
      );
    }
    return { ...node, children };
  };
  return { tree: copy(root), truncated: true };
}

/**
 * The collapsed (folded) form of a diff, as Brendan Gregg's difffolded.pl writes it and
 * flamegraph.pl reads it: `frame;frame;leaf <A> <B>` per stack, root first.
 */
export function collapsedDiff(
  a: readonly { frames: string[]; value: bigint }[],
  b: readonly { frames: string[]; value: bigint }[],
): string {
  const merged = new Map<string, [bigint, bigint]>();
  const add = (stacks: readonly { frames: string[]; value: bigint }[], side: 0 | 1) => {
    for (const stack of stacks) {
      const key = stack.frames.map((f) => f.replace(/[;\r\n]/g, '_')).join(';');
      const entry = merged.get(key) ?? [0n, 0n];
      entry[side] += stack.value;
      merged.set(key, entry);
    }
  };
  add(a, 0);
  add(b, 1);
  return [...merged]
    .filter(([, [x, y]]) => x !== 0n || y !== 0n)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([key, [x, y]]) => `${key} ${x} ${y}\n`)
    .join('');
}
