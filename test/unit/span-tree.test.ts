import { describe, expect, it } from 'vitest';
import { isLocalRoot, localRequestSpanIds, type TreeSpan } from '../../shared/query/sql/span-tree.js';

const span = (span_id: string, parent_id: string, service: string): TreeSpan => ({ span_id, parent_id, service });

/** gateway → checkout (2) → checkout (3) → payments (4) → checkout (5); checkout (2) → checkout (6). */
const trace = [
  span('1', '0', 'gateway'),
  span('2', '1', 'checkout'),
  span('3', '2', 'checkout'),
  span('4', '3', 'payments'),
  span('5', '4', 'checkout'),
  span('6', '2', 'checkout'),
];

describe('isLocalRoot', () => {
  it('holds for a span without a parent', () => {
    expect(isLocalRoot(span('1', '0', 'gateway'), trace)).toBe(true);
  });

  it('holds for a span whose parent belongs to another service', () => {
    expect([isLocalRoot(span('2', '1', 'checkout'), trace), isLocalRoot(span('5', '4', 'checkout'), trace)]).toEqual([
      true,
      true,
    ]);
  });

  it('holds for a span whose parent the trace does not hold', () => {
    expect(isLocalRoot(span('9', '8', 'checkout'), trace)).toBe(true);
  });

  it('does not hold for a span whose parent is in the same service', () => {
    expect(isLocalRoot(span('3', '2', 'checkout'), trace)).toBe(false);
  });
});

describe('localRequestSpanIds', () => {
  it('is the root and its descendants in the same service, stopping at other services', () => {
    expect(localRequestSpanIds('2', trace).sort()).toEqual(['2', '3', '6']);
  });

  it('is the root alone when the trace does not hold it', () => {
    expect(localRequestSpanIds('99', trace)).toEqual(['99']);
  });

  it('visits each span once even when parent ids form a cycle', () => {
    const cyclic = [span('1', '2', 'checkout'), span('2', '1', 'checkout')];

    expect(localRequestSpanIds('1', cyclic).sort()).toEqual(['1', '2']);
  });
});
