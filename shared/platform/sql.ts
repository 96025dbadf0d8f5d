/**
 * The one place where values become ClickHouse SQL text.
 *
 * ClickHouse 18.16 has no query parameters (`{name:Type}` arrived in 19.x), so values are bound as
 * escaped literals here and nowhere else: every query is built with the `sql` tagged template, and
 * any other string concatenation of user input is a bug. String literals follow ClickHouse's
 * grammar for quoted strings (backslash escapes; `\xHH` for bytes), which is the same in current
 * ClickHouse, so this stays valid after an upgrade. Sets of values, which can be large, are bound as
 * data instead (`uint64Set`, `stringSet`).
 */
import { createHash } from 'node:crypto';

export class Sql {
  constructor(
    readonly text: string,
    /** Tables the text reads that travel with it as data (see `uint64Set`); none for most statements. */
    readonly tables: readonly ExternalTable[] = [],
  ) {}
  toString(): string {
    return this.text;
  }
}

/**
 * A table sent along with a SELECT (ClickHouse "external data": a multipart part per table, read
 * as a temporary table, and sent on to every shard of a distributed query). Its rows are bound as
 * bytes, so a set of any size costs no SQL text: max_query_size (256 KiB by default) bounds the
 * statement alone.
 */
export interface ExternalTable {
  name: string;
  /** Columns as `name Type, …`. */
  structure: string;
  /** The rows in RowBinary. */
  rows: Uint8Array;
}

/** Tables of several fragments, each once: one set bound twice in a statement is sent once. */
function tablesOf(values: readonly unknown[]): ExternalTable[] {
  const byName = new Map<string, ExternalTable>();
  const visit = (value: unknown) => {
    if (value instanceof Sql) for (const table of value.tables) byName.set(table.name, table);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  values.forEach(visit);
  return [...byName.values()];
}

/** An external table of one column named `value`, named after a hash of its rows. */
function valueSet(type: 'UInt64' | 'String', rows: Buffer): Sql {
  const name = `_set_${createHash('sha256').update(type).update(rows).digest('hex').slice(0, 24)}`;
  return new Sql(name, [{ name, structure: `value ${type}`, rows }]);
}

/**
 * A set of UInt64 values for `x IN ${uint64Set(ids)}`, sent as an external table of RowBinary rows
 * rather than spelled out in the statement. The table is named after a hash of its rows, so equal
 * sets share one table and different sets in one statement never collide.
 */
export function uint64Set(values: readonly bigint[]): Sql {
  const rows = Buffer.alloc(values.length * 8);
  values.forEach((value, index) => {
    if (value < 0n || value >= 1n << 64n) throw new TypeError(`not a UInt64: ${value}`);
    rows.writeBigUInt64LE(value, index * 8);
  });
  return valueSet('UInt64', rows);
}

/** A set of strings, as `uint64Set`: RowBinary strings are a LEB128 byte length and the UTF-8 bytes. */
export function stringSet(values: readonly string[]): Sql {
  const parts: Buffer[] = [];
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8');
    const length: number[] = [];
    let rest = bytes.length;
    do {
      length.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
      rest >>>= 7;
    } while (rest > 0);
    parts.push(Buffer.from(length), bytes);
  }
  return valueSet('String', Buffer.concat(parts));
}

export type SqlValue = string | number | bigint | boolean | Date | null | Sql | readonly SqlValue[];

function hexByte(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** A quoted ClickHouse string literal that reads back as exactly `value`. */
export function stringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    // Control characters are escaped so that no log line, HTTP framing or terminal sees them raw.
    else if (code < 0x20 || code === 0x7f) out += hexByte(code);
    else out += ch;
  }
  return `${out}'`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`cannot bind non-finite number ${value} into SQL`);
  const text = Number.isInteger(value) ? value.toFixed(0) : value.toString();
  // Parenthesised so that `a - ${-1}` never becomes the comment marker `--`.
  return value < 0 ? `(${text})` : text;
}

export function literal(value: SqlValue): string {
  if (value instanceof Sql) return value.text;
  if (value === null) return 'NULL';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return value < 0n ? `(${value.toString()})` : value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new TypeError('cannot bind an invalid Date into SQL');
    return `toDateTime(${Math.floor(ms / 1000)})`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => literal(item)).join(', ')}]`;
  throw new TypeError(`cannot bind ${typeof value} into SQL`);
}

/** Tagged template: `sql\`SELECT 1 WHERE tenant = ${tenant}\``. Interpolations are always literals. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += literal(value) + (strings[index + 1] ?? '');
  });
  return new Sql(text, tablesOf(values));
}

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A table, column or database name. Only plain identifiers are allowed; they come from config. */
export function identifier(name: string): Sql {
  if (!identifierPattern.test(name)) throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return new Sql(name);
}

/** A tuple literal for `(a, b) IN (...)`-style comparisons. */
export function tuple(values: readonly SqlValue[]): Sql {
  return new Sql(`(${values.map((v) => literal(v)).join(', ')})`, tablesOf(values));
}

/** Joins fragments that were themselves built with `sql`. */
export function joinSql(parts: readonly Sql[], separator: string): Sql {
  return new Sql(parts.map((p) => p.text).join(separator), tablesOf(parts));
}

export const emptySql = new Sql('');
