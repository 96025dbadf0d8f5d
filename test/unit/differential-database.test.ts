import { describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { type Sql, sql } from '../../shared/platform/sql.js';
import { createDifferentialDatabase, ordersRows } from '../support/differential-database.js';
import { cpuSum } from '../support/fake-sql-database.js';

/** An engine answering every query with `rows`, or refusing it. */
function engine(rows: object[] | Error): SqlDatabase {
  return {
    query: <T>() => (rows instanceof Error ? Promise.reject(rows) : Promise.resolve(rows as T[])),
    insert: () => Promise.resolve(),
    insertRowBinary: () => Promise.resolve(),
    command: () => Promise.resolve(),
    ping: () => Promise.resolve(),
  };
}

async function differences(first: object[] | Error, second: object[] | Error, statement: Sql) {
  const db = createDifferentialDatabase(engine(first), engine(second));
  await db.query(statement).catch(() => undefined);
  return db.differences;
}

describe('the differential database (18.16 beside chDB)', () => {
  const grouped = sql`SELECT id, count() AS n FROM t WHERE x IN (SELECT x FROM u ORDER BY x) GROUP BY id`;
  const ordered = sql`SELECT id FROM t GROUP BY id ORDER BY id`;

  it('finds the outer ORDER BY only', () => {
    expect(ordersRows(ordered.text)).toBe(true);
    expect(ordersRows(grouped.text)).toBe(false);
    expect(ordersRows("SELECT 'ORDER BY' AS s, 'it\\'s (' AS t")).toBe(false);
    expect(ordersRows("SELECT ')' AS s FROM t ORDER BY s")).toBe(true);
  });

  it('accepts rows in another order only where the statement leaves the order open', async () => {
    const rows = [{ id: '1' }, { id: '2' }];
    expect(await differences(rows, [...rows].reverse(), grouped)).toEqual([]);
    expect(await differences(rows, [...rows].reverse(), ordered)).toHaveLength(1);
    expect(await differences(rows, rows.slice(1), grouped)).toHaveLength(1);
  });

  it('compares CPU sums by value, not by how they are split in halves', async () => {
    const total = 3n * 2n ** 32n + 5n;
    const split = { id: '1', cpu_hi: '1', cpu_lo: String(2n * 2n ** 32n + 5n) };
    expect(await differences([{ id: '1', ...cpuSum(total) }], [split], grouped)).toEqual([]);
    expect(await differences([{ id: '1', ...cpuSum(total + 1n) }], [split], grouped)).toHaveLength(1);
  });

  it('records a statement one engine refuses, and passes the first engine’s failure on', async () => {
    const db = createDifferentialDatabase(engine([]), engine(new Error('Code: 62. Syntax error')));
    await expect(db.query(ordered)).resolves.toEqual([]);
    expect(db.differences).toHaveLength(1);
    const both = createDifferentialDatabase(engine(new Error('first')), engine(new Error('second')));
    await expect(both.query(ordered)).rejects.toThrow('first');
    expect(both.differences).toEqual([]);
  });
});
