import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import { sql, tuple } from '../../shared/platform/sql.js';
import { testDeps } from '../support/services.js';

/** How the ClickHouse port reports what the real server refuses. */
let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

async function failureOf(run: () => Promise<unknown>): Promise<HotspotsError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail');
}

describe('ClickHouse failures through the port', () => {
  it('reports a statement past max_query_size as a non-retriable internal error without its SQL', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => 9_000_000_000_000_000_000n + BigInt(i));

    const error = await failureOf(() =>
      deps.db.query(sql`SELECT count() FROM numbers(10) WHERE number IN ${tuple(ids)}`),
    );

    expect([error.code, error.retriable, error.message]).toEqual([
      'internal',
      false,
      'ClickHouse refused the query: SYNTAX_ERROR (code 62)',
    ]);
  });

  it('reports an unknown column as a non-retriable internal error', async () => {
    const error = await failureOf(() => deps.db.query(sql`SELECT no_such_column FROM spans LIMIT 1`));

    expect([error.code, error.retriable]).toEqual(['internal', false]);
    expect(error.message).not.toContain('no_such_column');
  });
});
