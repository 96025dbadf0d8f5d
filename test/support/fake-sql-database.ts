import type { SqlDatabase } from '../../shared/platform/ports.js';
import type { Sql } from '../../shared/platform/sql.js';

/**
 * Canned rows for the statements that match `pattern`: a list, or a function of the statement
 * text for answers that depend on it (the ids of an IN list).
 */
export type CannedAnswer = readonly [pattern: RegExp, rows: readonly object[] | ((statement: string) => object[])];

export interface FakeSqlDatabase extends SqlDatabase {
  /** Every statement queried, in order. */
  readonly statements: string[];
}

/**
 * An in-memory SqlDatabase for unit tests of the read side: each query is answered by the first
 * canned answer whose pattern matches its text. Statements often nest (a samples query
 * holds a subquery on spans), so list the most specific pattern first. A statement nothing
 * matches fails the test, naming it; writes fail too, since the read side never writes.
 */
export function createFakeSqlDatabase(answers: readonly CannedAnswer[]): FakeSqlDatabase {
  const statements: string[] = [];
  const readOnly = (what: string) => () => Promise.reject(new Error(`the fake SqlDatabase is read-only (${what})`));
  return {
    statements,
    query<T>(statement: Sql): Promise<T[]> {
      const text = statement.text;
      statements.push(text);
      const answer = answers.find(([pattern]) => pattern.test(text));
      if (!answer) return Promise.reject(new Error(`no canned rows for the statement:\n${text}`));
      const [, rows] = answer;
      return Promise.resolve((typeof rows === 'function' ? rows(text) : [...rows]) as T[]);
    },
    insert: readOnly('insert'),
    insertRowBinary: readOnly('insertRowBinary'),
    command: readOnly('command'),
    ping: () => Promise.resolve(),
  };
}
