/**
 * The flame graph tree of `GET /v1/flamegraph` (format=json): `value` is a node's total CPU (ns),
 * `self` its leaf CPU; the shape d3-flame-graph reads. Pure helpers, unit-tested.
 */
export interface FlameNode {
  name: string;
  value: number;
  self: number;
  children: FlameNode[];
}

export interface FlameBody {
  total_cpu_ns: number;
  node_count: number;
  truncated: boolean;
  tree: FlameNode;
}

const copy = (node: FlameNode): FlameNode => ({ ...node, children: node.children.map(copy) });

function mergeInto(target: FlameNode, source: FlameNode): void {
  target.value += source.value;
  target.self += source.self;
  for (const child of source.children) {
    const same = target.children.find((c) => c.name === child.name);
    if (same) mergeInto(same, child);
    else target.children.push(copy(child));
  }
}

/**
 * Sums trees frame path by frame path: the request of a span tree when samples carry only
 * `span id` labels (dd-trace-go ≥ 2.11), drawn from one flame graph per span of the request.
 */
export function mergeFlameTrees(trees: readonly FlameNode[]): FlameNode {
  const root: FlameNode = { name: trees[0]?.name ?? 'all', value: 0, self: 0, children: [] };
  for (const tree of trees) mergeInto(root, tree);
  root.children.sort((a, b) => b.value - a.value);
  return root;
}

/** Nodes in the tree, the root included. */
export function countFlameNodes(node: FlameNode): number {
  return node.children.reduce((sum, child) => sum + countFlameNodes(child), 1);
}

/** Sum of the totals of nodes whose name contains `term` (case-insensitive), nested matches counted once. */
export function matchedTotal(node: FlameNode, term: string): number {
  const needle = term.toLowerCase();
  if (needle === '') return 0;
  const walk = (n: FlameNode): number =>
    n.name.toLowerCase().includes(needle) ? n.value : n.children.reduce((sum, c) => sum + walk(c), 0);
  return walk(node);
}
