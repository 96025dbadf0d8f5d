import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { identifier, sql } from '../../shared/platform/sql.js';
import { matches, parseLabelSelector, sanitiseLabelName } from '../../shared/query/pyroscope/label-selector.js';
import { type LabelMatcher, matcherSql } from '../../shared/query/sql/label-source.js';
import { testDeps } from '../support/services.js';

/**
 * Label matchers as ClickHouse runs them (label-source.ts) against the same matchers in JavaScript
 * (re2js, PromQL semantics): for generated values, patterns and label texts full of quotes,
 * backslashes and SQL, the database decides exactly as the reference does — the values and
 * patterns reach it as literals, never as SQL.
 */
let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

const hostile = fc.string({
  unit: fc.constantFrom(
    "'",
    '"',
    '\\',
    ';',
    '--',
    ')',
    '(',
    'a',
    'b',
    '.',
    '*',
    '|',
    ' ',
    'é',
    '𝄞',
    '\n',
    '%',
    '_',
    '\0',
  ),
  maxLength: 12,
});
const pattern = fc.constantFrom('a.*', '(a|b)+', '.*\\.b', "[ab']*", '', '.', '\\\\', 'é|𝄞', '[^a]*', 'a?b?', '.*--.*');

describe('label matchers in ClickHouse', () => {
  it('decide every generated case as the JavaScript reference does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ name: fc.constant('x'), op: fc.constantFrom('=' as const, '!=' as const), value: hostile }),
          fc.record({ name: fc.constant('x'), op: fc.constantFrom('=~' as const, '!~' as const), value: pattern }),
        ),
        fc.array(hostile, { minLength: 1, maxLength: 8 }),
        async (matcher: LabelMatcher, labels) => {
          const columns = labels.map(
            (label, i) => sql`${matcherSql(matcher, sql`${label}`)} AS ${identifier(`m${i}`)}`,
          );
          const rows = await deps.db.query<Record<string, number | string>>(
            sql`SELECT ${columns.reduce((all, c) => sql`${all}, ${c}`)}`,
          );
          const got = labels.map((_, i) => Number(rows[0]?.[`m${i}`]) === 1);
          expect(got).toEqual(labels.map((label) => matches(matcher, label)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sanitises label keys as the JavaScript reference does', async () => {
    const keys = ['trace endpoint', 'span id', 'a.b-c/é𝄞', "it's", 'x\\y', 'plain_key9'];
    const rows = await deps.db.query<{ k: string[] }>(
      sql`SELECT arrayMap(k -> replaceRegexpAll(k, '[^A-Za-z0-9_]', '_'), ${keys}) AS k`,
    );
    expect(rows[0]?.k).toEqual(keys.map(sanitiseLabelName));
  });

  it('parses a selector whose values hold SQL into matchers that match only their literal text', async () => {
    const [matcher] = parseLabelSelector(`{x="a' OR '1'='1"}`, { maxSelectorBytes: 1000, maxMatchers: 4 });
    const rows = await deps.db.query<{ yes: number; no: number }>(
      sql`SELECT ${matcherSql(matcher as LabelMatcher, sql`${"a' OR '1'='1"}`)} AS yes, ${matcherSql(matcher as LabelMatcher, sql`${'b'}`)} AS no`,
    );
    expect([Number(rows[0]?.yes), Number(rows[0]?.no)]).toEqual([1, 0]);
  });
});
