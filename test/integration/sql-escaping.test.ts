import { createClient } from '@clickhouse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { clickhouseSettings } from '../../shared/platform/adapters/clickhouse/client.js';
import { createClickHouseDatabase } from '../../shared/platform/adapters/clickhouse/database.js';
import { joinSql, sql, stringSet, uint64Set } from '../../shared/platform/sql.js';
import { testConfig, testDeps } from '../support/services.js';

/** The escaping module against the real ClickHouse 18.16 parser: every string reads back as itself. */
let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

// Well-formed UTF-16 only: a lone surrogate cannot be sent as UTF-8 at all.
const wellFormed = fc.string({ unit: 'grapheme', maxLength: 40 });
const hostile = fc.string({
  unit: fc.constantFrom(
    "'",
    '\\',
    '"',
    '`',
    ';',
    '--',
    '/*',
    '\n',
    '\r',
    '\t',
    '\u0000',
    '\u007f',
    'é',
    '日',
    '😀',
    'x',
    '{',
    '}',
  ),
  maxLength: 30,
});

describe('sql literals in ClickHouse', () => {
  it('read back exactly for arbitrary and hostile strings', async () => {
    const values = [...fc.sample(wellFormed, 150), ...fc.sample(hostile, 150), "' OR 1=1 --", '\\', "\\'"];
    const selects = joinSql(
      values.map((value, i) => sql`SELECT ${i} AS i, ${value} AS v`),
      ' UNION ALL ',
    );
    const rows = await deps.db.query<{ i: number; v: string }>(sql`SELECT i, v FROM (${selects}) ORDER BY i`);
    expect(rows.map((row) => row.v)).toEqual(values);
  });

  it('keep 64-bit ids exact in both directions', async () => {
    const rows = await deps.db.query<{ v: string }>(sql`SELECT toUInt64(${18446744073709551557n}) AS v`);
    expect(rows[0]?.v).toBe('18446744073709551557');
  });
});

describe('sets bound as external tables', () => {
  it('send 100,000 ids, 2^64 − 1 included, in a statement far below max_query_size', async () => {
    const ids = [...Array.from({ length: 99_999 }, (_, i) => 10_000_000_000_000_000_000n + BigInt(i)), 2n ** 64n - 1n];
    const set = uint64Set(ids);
    const statement = sql`SELECT toString(count()) AS n, toString(sum(value - ${ids[0] ?? 0n})) AS s, toString(max(value)) AS m
      FROM ${set} WHERE value IN ${set} AND value < ${2n ** 64n - 1n}`;

    const rows = await deps.db.query<{ n: string; s: string; m: string }>(statement);

    expect(statement.text.length).toBeLessThan(300);
    expect(rows).toEqual([{ n: '99999', s: String((99_998 * 99_999) / 2), m: '10000000000000099998' }]);
    expect(
      await deps.db.query(sql`SELECT toString(value) AS v FROM ${set} WHERE value > ${ids[99_998] ?? 0n}`),
    ).toEqual([{ v: '18446744073709551615' }]);
  });

  it('leave a kept-alive connection clean for the statements after them', async () => {
    // One connection, so every statement reuses the socket of the set before it.
    const { url, database } = testConfig().clickhouse;
    const client = createClient({
      url,
      database,
      max_open_connections: 1,
      clickhouse_settings: clickhouseSettings(undefined),
    });
    const single = createClickHouseDatabase(client);
    const failures: string[] = [];
    for (let round = 0; round < 400; round += 1) {
      const set = uint64Set(Array.from({ length: 1 + (round % 4) * 300 }, (_, i) => BigInt(round * 10_000 + i)));
      await single.query(sql`SELECT count() AS n FROM ${set}`).catch((e: Error) => failures.push(`set: ${e.message}`));
      await single.query(sql`SELECT ${round} AS n`).catch((e: Error) => failures.push(`after a set: ${e.message}`));
    }
    await client.close();

    expect(failures).toEqual([]);
  });

  it('read arbitrary and hostile strings back exactly', async () => {
    const values = [...new Set([...fc.sample(wellFormed, 150), ...fc.sample(hostile, 150), 'x'.repeat(300), ''])];

    const rows = await deps.db.query<{ value: string }>(sql`SELECT value FROM ${stringSet(values)}`);

    expect(rows.map((row) => row.value).sort()).toEqual([...values].sort());
  });

  it('keep two different sets of one statement apart', async () => {
    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT toString(count()) AS n FROM numbers(10) WHERE number IN ${uint64Set([1n, 2n, 3n])} AND number NOT IN ${uint64Set([2n])}`,
    );

    expect(rows).toEqual([{ n: '2' }]);
  });
});
