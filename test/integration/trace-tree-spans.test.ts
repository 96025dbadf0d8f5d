import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { traceTreeSpans } from '../../shared/query/sql/spans.js';
import { testDeps, uniqueService } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * The span tree reads of shared/query/sql/spans.ts against ClickHouse: a whole trace for the
 * trace view, or one service's spans of it for a request's subtree (shared/query/sql/request-spans.ts).
 */
const tenant = 'test-a';
let deps: Deps;

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

describe('traceTreeSpans', () => {
  it('reads every span of a trace once, or only those of one service', async () => {
    const checkout = uniqueService('checkout');
    const payments = uniqueService('payments');
    const traceId = `${Date.now().toString(16)}${Math.floor(Math.random() * 2 ** 32).toString(16)}`.padStart(32, '0');
    const span = (spanId: string, parentId: string, service: string) =>
      spanRow({ tenant, traceId, spanId, parentId, service, startNs: BigInt(Date.now()) * 1_000_000n });
    const rows = [
      span('11', '0', checkout),
      span('12', '11', checkout),
      span('21', '12', payments),
      span('22', '21', payments),
    ];
    // The same span stored twice (spans is a ReplacingMergeTree): read once.
    await deps.db.insert('spans', [...rows, span('12', '11', checkout)]);
    const ids = (spans: { span_id: string }[]) => spans.map((s) => s.span_id).sort();

    expect(ids(await traceTreeSpans(deps.db, tenant, traceId, 100))).toEqual(['11', '12', '21', '22']);
    expect(await traceTreeSpans(deps.db, tenant, traceId, 100, checkout)).toEqual(
      expect.arrayContaining([
        { span_id: '11', parent_id: '0', service: checkout },
        { span_id: '12', parent_id: '11', service: checkout },
      ]),
    );
    expect(ids(await traceTreeSpans(deps.db, tenant, traceId, 100, checkout))).toEqual(['11', '12']);
    expect(ids(await traceTreeSpans(deps.db, tenant, traceId, 100, payments))).toEqual(['21', '22']);
    expect(await traceTreeSpans(deps.db, tenant, traceId, 3)).toHaveLength(3);
  });
});
