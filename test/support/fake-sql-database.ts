import type { SqlDatabase } from '../../shared/platform/ports.js';
import type { ExternalTable, Sql } from '../../shared/platform/sql.js';

/**
 * A statement as a canned answer sees it: its text and the sets sent along with it as external
 * data (sql.ts `uint64Set`, `stringSet`), decoded from RowBinary.
 */
export interface FakeStatement {
  readonly text: string;
  /** The values of each external table, by table name; UInt64 values in decimal. */
  readonly sets: ReadonlyMap<string, readonly string[]>;
  /**
   * The values of the set the text reads as `<column> IN <set>`, the first such; undefined when
   * the text holds no such set.
   */
  setOf(column: string): readonly string[] | undefined;
}

/**
 * Canned rows for the statements that match `pattern`: a list, or a function of the statement
 * for answers that depend on it (the ids of an IN list, or of a set sent as external data).
 */
export type CannedAnswer = readonly [
  pattern: RegExp,
  rows: readonly object[] | ((statement: string, query: FakeStatement) => object[]),
];

export interface FakeSqlDatabase extends SqlDatabase {
  /** The text of every statement queried, in order. */
  readonly statements: string[];
  /** Every statement queried, in order, with its sets decoded. */
  readonly queries: FakeStatement[];
}

/** Reads the one-column tables sql.ts builds: `value UInt64` or `value String`, in RowBinary. */
function decodeSet(table: ExternalTable): string[] {
  const bytes = Buffer.from(table.rows.buffer, table.rows.byteOffset, table.rows.byteLength);
  const values: string[] = [];
  if (table.structure === 'value UInt64') {
    for (let offset = 0; offset < bytes.length; offset += 8) values.push(bytes.readBigUInt64LE(offset).toString());
    return values;
  }
  if (table.structure === 'value String') {
    let offset = 0;
    while (offset < bytes.length) {
      let length = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = bytes[offset++] ?? 0;
        length += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      values.push(bytes.toString('utf8', offset, offset + length));
      offset += length;
    }
    return values;
  }
  throw new Error(`the fake SqlDatabase cannot read an external table of structure ${table.structure}`);
}

function fakeStatement(statement: Sql): FakeStatement {
  const sets = new Map(statement.tables.map((table) => [table.name, decodeSet(table)]));
  return {
    text: statement.text,
    sets,
    setOf(column) {
      const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const name = new RegExp(`\\b${escaped} IN (\\w+)`).exec(statement.text)?.[1];
      return name === undefined ? undefined : sets.get(name);
    },
  };
}

/**
 * An in-memory SqlDatabase for unit tests of the read side: each query is answered by the first
 * canned answer whose pattern matches its text. Statements often nest (a samples query
 * holds a subquery on spans), so list the most specific pattern first. A statement nothing
 * matches fails the test, naming it; writes fail too, since the read side never writes.
 */
export function createFakeSqlDatabase(answers: readonly CannedAnswer[]): FakeSqlDatabase {
  const statements: string[] = [];
  const queries: FakeStatement[] = [];
  const readOnly = (what: string) => () => Promise.reject(new Error(`the fake SqlDatabase is read-only (${what})`));
  return {
    statements,
    queries,
    query<T>(statement: Sql): Promise<T[]> {
      const query = fakeStatement(statement);
      statements.push(query.text);
      queries.push(query);
      const answer = answers.find(([pattern]) => pattern.test(query.text));
      if (!answer) return Promise.reject(new Error(`no canned rows for the statement:\n${query.text}`));
      const [, rows] = answer;
      return Promise.resolve((typeof rows === 'function' ? rows(query.text, query) : [...rows]) as T[]);
    },
    insert: readOnly('insert'),
    insertRowBinary: readOnly('insertRowBinary'),
    command: readOnly('command'),
    ping: () => Promise.resolve(),
  };
}

/**
 * A CPU sum as the read side's statements answer it (shared/query/sql/cpu-sum.ts): two String
 * columns `<alias>_hi` and `<alias>_lo`, hi = value >> 32 (arithmetic), lo = value & (2^32 − 1).
 * `cpuSum(100n)` → `{ cpu_hi: '0', cpu_lo: '100' }`.
 */
export function cpuSum<A extends string = 'cpu'>(
  value: bigint,
  alias: A = 'cpu' as A,
): Record<`${A}_hi` | `${A}_lo`, string> {
  return {
    [`${alias}_hi`]: (value >> 32n).toString(),
    [`${alias}_lo`]: (value & 0xffffffffn).toString(),
  } as Record<`${A}_hi` | `${A}_lo`, string>;
}
