import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { joinSql, sql } from '../../shared/platform/sql.js';
import { testDeps } from '../support/services.js';

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
