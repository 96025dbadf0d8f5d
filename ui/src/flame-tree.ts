import type { FlameGraph, FlameNode as FlameNodeAnswer, Json } from '../../shared/query/answers.js';

/**
 * The flame graph tree of `GET /v1/flamegraph` (format=json): `value` is a node's total CPU (ns),
 * `self` its leaf CPU; the shape d3-flame-graph reads. Pure helpers, unit-tested.
 */
export type FlameNode = Json<FlameNodeAnswer>;
export type FlameBody = Json<FlameGraph>;

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
