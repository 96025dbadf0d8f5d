/**
 * Local roots and their requests from span parentage, for tracers that label CPU samples with
 * `span id` only (dd-trace-go ≥ 2.11 dropped `local root span id`). A span is a local root when
 * it has no parent in the trace or its parent belongs to another service; its request is itself
 * plus every descendant reached without crossing into another service.
 *
 * The tree is indexed once, in one pass over the spans, and every request is found then: requests
 * are disjoint, so the whole trace costs O(spans) whatever its shape (a span calling another
 * service thousands of times makes thousands of local roots).
 */
export interface TreeSpan {
  span_id: string;
  parent_id: string;
  service: string;
}

export interface SpanTree {
  isLocalRoot(spanId: string): boolean;
  /** The request of a local root, the root first; empty when `rootId` is not a local root. */
  requestSpanIds(rootId: string): readonly string[];
}

export function spanTree(spans: Iterable<TreeSpan>): SpanTree {
  // A repeated span id (a ReplacingMergeTree not yet merged) counts once: the first row wins.
  const byId = new Map<string, TreeSpan>();
  for (const span of spans) if (!byId.has(span.span_id)) byId.set(span.span_id, span);

  const children = new Map<string, TreeSpan[]>();
  for (const span of byId.values()) {
    const siblings = children.get(span.parent_id);
    if (siblings) siblings.push(span);
    else children.set(span.parent_id, [span]);
  }

  const requests = new Map<string, string[]>();
  for (const root of byId.values()) {
    const parent = root.parent_id === '0' ? undefined : byId.get(root.parent_id);
    if (parent !== undefined && parent.service === root.service) continue;
    const ids: string[] = [];
    const stack = [root];
    for (let span = stack.pop(); span !== undefined; span = stack.pop()) {
      ids.push(span.span_id);
      // A same-service child is no local root, and a span has one parent: no other request and no
      // other path reaches it, so each span is visited once (a parent cycle has no local root).
      for (const child of children.get(span.span_id) ?? []) if (child.service === root.service) stack.push(child);
    }
    requests.set(root.span_id, ids);
  }

  return {
    isLocalRoot: (spanId) => requests.has(spanId),
    requestSpanIds: (rootId) => requests.get(rootId) ?? [],
  };
}
