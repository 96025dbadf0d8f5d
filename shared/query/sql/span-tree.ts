/**
 * Local roots and their requests from span parentage, for tracers that label CPU samples with
 * `span id` only (dd-trace-go ≥ 2.11 dropped `local root span id`). A span is a local root when
 * it has no parent in the trace or its parent belongs to another service; its request is itself
 * plus every descendant reached without crossing into another service.
 */
export interface TreeSpan {
  span_id: string;
  parent_id: string;
  service: string;
}

export function isLocalRoot(span: TreeSpan, spans: readonly TreeSpan[]): boolean {
  if (span.parent_id === '0') return true;
  const parent = spans.find((s) => s.span_id === span.parent_id);
  return parent === undefined || parent.service !== span.service;
}

export function localRequestSpanIds(rootId: string, spans: readonly TreeSpan[]): string[] {
  const root = spans.find((s) => s.span_id === rootId);
  if (!root) return [rootId];
  const children = new Map<string, TreeSpan[]>();
  for (const s of spans) children.set(s.parent_id, [...(children.get(s.parent_id) ?? []), s]);
  const out: string[] = [];
  const stack = [root];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const span = stack.pop() as TreeSpan;
    if (seen.has(span.span_id)) continue;
    seen.add(span.span_id);
    out.push(span.span_id);
    for (const child of children.get(span.span_id) ?? []) if (child.service === root.service) stack.push(child);
  }
  return out;
}
