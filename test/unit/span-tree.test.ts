import { describe, expect, it } from 'vitest';
import { spanTree, type TreeSpan } from '../../shared/query/sql/span-tree.js';

const span = (span_id: string, parent_id: string, service: string): TreeSpan => ({ span_id, parent_id, service });

/**
 * An array that counts how often its elements are read and fails once the reads pass a budget:
 * the work of a tree built from it, measured without a clock.
 */
function countingArray<T>(items: T[], budget: number): { array: readonly T[]; reads: () => number } {
  let reads = 0;
  const array = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        reads += 1;
        if (reads > budget) throw new Error(`more than ${budget} element reads`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { array, reads: () => reads };
}

/** One `api` span calling `db` 20,000 times: each call a local root with one child of its own. */
function fanOut(children: number): TreeSpan[] {
  const spans = [span('1', '0', 'api'), span('2', '1', 'api')];
  for (let i = 0; i < children; i += 1) {
    const call = String(1_000_000 + i);
    spans.push(span(call, '1', 'db'), span(String(5_000_000 + i), call, 'db'));
  }
  return spans;
}

describe('spanTree', () => {
  it('finds the requests of a span with 20,000 children in another service', () => {
    const spans = fanOut(20_000);

    const tree = spanTree(spans);

    const calls = spans.filter((s) => s.service === 'db' && s.parent_id === '1').map((s) => s.span_id);
    expect([tree.isLocalRoot('1'), tree.isLocalRoot('2'), tree.requestSpanIds('1')]).toEqual([true, false, ['1', '2']]);
    expect(calls.map((call) => tree.requestSpanIds(call))).toEqual(
      calls.map((call) => [call, String(Number(call) + 4_000_000)]),
    );
    expect(spans.filter((s) => tree.isLocalRoot(s.span_id)).length).toBe(1 + 20_000);
  });

  it('reads each span a bounded number of times however many local roots the trace has', () => {
    const spans = fanOut(20_000);
    const { array, reads } = countingArray(spans, 4 * spans.length);

    const tree = spanTree(array);
    const requestSizes = spans.filter((s) => tree.isLocalRoot(s.span_id)).map((s) => tree.requestSpanIds(s.span_id));

    expect(requestSizes.reduce((n, ids) => n + ids.length, 0)).toBe(spans.length);
    expect(reads()).toBeLessThanOrEqual(2 * spans.length);
  });

  it('treats a span whose parent is absent or in another service as a local root', () => {
    const tree = spanTree([span('10', '99', 'api'), span('11', '10', 'api'), span('12', '11', 'web')]);

    expect(['10', '11', '12'].map((id) => tree.isLocalRoot(id))).toEqual([true, false, true]);
    expect(tree.requestSpanIds('10')).toEqual(['10', '11']);
  });

  it('has no request for a span that is not a local root, or unknown', () => {
    const tree = spanTree([span('10', '0', 'api'), span('11', '10', 'api')]);

    expect([tree.requestSpanIds('11'), tree.requestSpanIds('404')]).toEqual([[], []]);
  });

  it('ends on a parent cycle and reads a repeated span id once', () => {
    const tree = spanTree([
      span('1', '0', 'api'),
      span('2', '1', 'api'),
      span('2', '1', 'api'),
      span('3', '4', 'api'),
      span('4', '3', 'api'),
    ]);

    expect(tree.requestSpanIds('1')).toEqual(['1', '2']);
    expect([tree.isLocalRoot('3'), tree.isLocalRoot('4')]).toEqual([false, false]);
  });
});
