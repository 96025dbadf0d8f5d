import { isDeepStrictEqual } from 'node:util';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import type { Sql } from '../../shared/platform/sql.js';
import { type CpuSumRow, cpuSumOf } from '../../shared/query/sql/cpu-sum.js';

/**
 * One SqlDatabase over two engines holding the same data (the local ClickHouse 18.16 server and
 * chDB's ClickHouse 26.x): every write goes to both, every query runs on both, and any statement
 * the two answer differently — or that one refuses and the other runs — is recorded. Callers get
 * the first engine's answer, so a use case behaves exactly as it does in production tests.
 */
export interface Difference {
  statement: string;
  first: unknown;
  second: unknown;
}

export interface DifferentialDatabase extends SqlDatabase {
  /** Every statement queried, in order. */
  readonly statements: string[];
  /** Every insert and command, in order (an insert as its INSERT … FORMAT line). */
  readonly writes: string[];
  readonly differences: Difference[];
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

const settle = <T>(promise: Promise<T>): Promise<Outcome<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const describe = (outcome: Outcome<unknown>) =>
  outcome.ok
    ? outcome.value
    : { error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };

/**
 * Whether the statement fixes the order of its rows: an ORDER BY outside every parenthesis and
 * string. Without one, ClickHouse returns groups in whatever order its hash tables give, which
 * differs between versions (and callers must not rely on it).
 */
export function ordersRows(statement: string): boolean {
  let depth = 0;
  let outer = '';
  for (let index = 0; index < statement.length; index++) {
    const ch = statement[index];
    if (ch === "'") {
      // Skip the literal, with sql.ts's backslash escapes.
      for (index++; index < statement.length && statement[index] !== "'"; index++) {
        if (statement[index] === '\\') index++;
      }
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) outer += ch;
  }
  return /\bORDER\s+BY\b/i.test(outer);
}

/**
 * A row with each CPU sum's halves (`<alias>_hi`, `<alias>_lo`: shared/query/sql/cpu-sum.ts)
 * joined into the one number they stand for. The split of a sum depends on how the rows were
 * merged — a SummingMergeTree roll-up row summed past 2^32 moves CPU from lo to hi — but the sum
 * does not, and it is all a caller reads.
 */
function withCpuSums(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row;
  const record = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    const alias = key.endsWith('_hi') ? key.slice(0, -3) : key.endsWith('_lo') ? key.slice(0, -3) : undefined;
    if (alias !== undefined && `${alias}_hi` in record && `${alias}_lo` in record) {
      out[`${alias} (cpu sum)`] = cpuSumOf(record as CpuSumRow<string>, alias).toString();
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Equal rows; in any order when the statement leaves it open. */
function sameRows(statement: string) {
  return (first: unknown[], second: unknown[]) => {
    if (isDeepStrictEqual(first, second)) return true;
    const a = first.map(withCpuSums);
    const b = second.map(withCpuSums);
    if (isDeepStrictEqual(a, b)) return true;
    if (ordersRows(statement) || a.length !== b.length) return false;
    const sorted = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).sort();
    return isDeepStrictEqual(sorted(a), sorted(b));
  };
}

export function createDifferentialDatabase(first: SqlDatabase, second: SqlDatabase): DifferentialDatabase {
  const statements: string[] = [];
  const writes: string[] = [];
  const differences: Difference[] = [];
  async function both<T>(statement: string, run: (db: SqlDatabase) => Promise<T>, same: (a: T, b: T) => boolean) {
    // One after the other: a write's order against the next statement matters on each engine.
    const a = await settle(run(first));
    const b = await settle(run(second));
    const agree = a.ok && b.ok ? same(a.value, b.value) : a.ok === b.ok;
    if (!agree) differences.push({ statement, first: describe(a), second: describe(b) });
    if (!a.ok) throw a.error;
    return a.value;
  }
  const always = () => true;
  return {
    statements,
    writes,
    differences,
    query<T>(statement: Sql) {
      statements.push(statement.text);
      return both(statement.text, (db) => db.query<T>(statement), sameRows(statement.text));
    },
    insert(table, rows) {
      const text = `INSERT INTO ${table} FORMAT JSONEachRow`;
      writes.push(text);
      return both(text, (db) => db.insert(table, rows), always);
    },
    insertRowBinary(table, columns, rows) {
      const text = `INSERT INTO ${table} (${columns.join(', ')}) FORMAT RowBinary`;
      writes.push(text);
      return both(text, (db) => db.insertRowBinary(table, columns, rows), always);
    },
    command(statement) {
      writes.push(statement.text);
      return both(statement.text, (db) => db.command(statement), always);
    },
    ping: () => both('ping', (db) => db.ping(), always),
  };
}
